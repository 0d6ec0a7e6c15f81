"""Study 06 end to end: the predictor over decision steps and its sensitivity to the labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...metrics.answers import extract_final_answer, gold_alternatives, label_runs, normalize_text
from .predictor import best_under_drop, fpr_targets, operating_points, roc_points, score_traces, stop_all_at_step
from .traces import Traces, step_feature_blocks

__all__ = ["DEFAULTS", "run_predictor", "headline", "labellings", "label_sensitivity"]

#: parameter -> (full run, fast run), settled by :func:`agenteff.params.settle`
DEFAULTS = {
    "n_folds": (5, 3),
    "inner_folds": (5, 3),
    "n_boot": (1000, 200),
    "decision_steps": (10, 4),
    "fpr_step": (0.05, 0.1),
}


def run_predictor(
    traces: Traces,
    decision_steps: int,
    n_folds: int,
    inner_folds: int,
    n_boot: int,
    fpr_step: float,
    seed: int = 42,
    classifier: str = "logistic",
    threshold_source: str = "evaluation",
    features: tuple | None = None,
) -> dict:
    """Score every decision step 1..``decision_steps``, account the energy, and pool the ROC curves.

    Returns ``{"scored", "table" (all methods and the stop-all rule), "roc"}``. ``features`` as in
    :func:`score_traces`.
    """
    targets = fpr_targets(fpr_step)
    steps = range(1, decision_steps + 1)
    scored = score_traces(traces, steps, classifier, n_folds, inner_folds, seed, targets=targets, features=features)
    table = pd.concat(
        [
            operating_points(traces, scored, targets, threshold_source, n_boot, seed),
            stop_all_at_step(traces, steps, n_boot, seed),
        ],
        ignore_index=True,
    )
    return {"scored": scored, "table": table, "roc": roc_points(scored)}


def headline(table: pd.DataFrame, max_drop_pct: float = 5.0) -> pd.DataFrame:
    """Per method, the best waste reduction among operating points below ``max_drop_pct`` drop (NaN row when a
    method has none)."""
    rows = []
    for method in table["method"].unique():
        try:
            best = best_under_drop(table, max_drop_pct, method)
        except ValueError:
            best = pd.Series({"method": method})
        rows.append(best)
    columns = [
        "method",
        "k",
        "fpr_target",
        "stopped",
        "auc",
        "waste_reduction_pct",
        "waste_reduction_low",
        "waste_reduction_high",
        "performance_drop_pct",
        "performance_drop_low",
        "performance_drop_high",
    ]
    return pd.DataFrame(rows).reindex(columns=columns).reset_index(drop=True)


def _phrase(tokens) -> str:
    return " " + " ".join(tokens) + " "


def _exact(output, gold) -> bool:
    final = extract_final_answer(output)
    answer = normalize_text(final) if final else ()
    return bool(answer) and any(answer == normalize_text(g) for g in gold_alternatives(gold))


def _anywhere(output, gold) -> bool:
    text = _phrase(normalize_text(output or ""))
    return any(len(normalize_text(g)) and _phrase(normalize_text(g)) in text for g in gold_alternatives(gold))


def labellings(runs: pd.DataFrame) -> dict[str, np.ndarray]:
    """Three labellings of the agent runs, strictest to most lenient (the release has no judge labels for them):

    * ``grader``: the project's short-answer grader (:func:`agenteff.metrics.answers.label_runs`);
    * ``strict``: the final answer, normalised, equals the gold or one of its alternatives;
    * ``lenient``: the normalised gold (or an alternative) appears anywhere in the agent's output, tool results
      and reasoning included.
    """
    outputs, golds = runs["agent_output"].tolist(), runs["gold"].tolist()
    return {
        "strict": np.array([_exact(o, g) for o, g in zip(outputs, golds)]),
        "grader": label_runs(runs)["success"].astype(bool).to_numpy(),
        "lenient": np.array([_anywhere(o, g) for o, g in zip(outputs, golds)]),
    }


def label_sensitivity(
    traces: Traces, labellings: dict[str, np.ndarray], max_drop_pct: float = 5.0, **predictor
) -> pd.DataFrame:
    """The headline under each labelling of the same runs (``{name: success array}``): success rate, AgentStop's
    best saving below the drop bound, and the random score's and stop-all rule's for reference."""
    features = predictor.pop("features", None) or step_feature_blocks(traces)
    rows = []
    for name, success in labellings.items():
        relabelled = traces.relabel(~np.asarray(success, dtype=bool))
        result = run_predictor(relabelled, features=features, **predictor)
        best = headline(result["table"], max_drop_pct).set_index("method")
        rows.append(
            {
                "labels": name,
                "successes": int(np.sum(success)),
                "success_rate": float(np.mean(success)),
                "agentstop_k": best.loc["agentstop", "k"],
                "agentstop_waste_reduction_pct": best.loc["agentstop", "waste_reduction_pct"],
                "agentstop_performance_drop_pct": best.loc["agentstop", "performance_drop_pct"],
                "random_waste_reduction_pct": best.loc["random", "waste_reduction_pct"],
                "stop_all_waste_reduction_pct": best.loc["stop_all", "waste_reduction_pct"],
            }
        )
    return pd.DataFrame(rows)
