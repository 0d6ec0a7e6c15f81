"""Reasoning length and accuracy: per-problem statistics, overthinking measures, targets, rewards, frontiers.

Every function takes a table in the SAMPLES schema (or the rounds table of the overthinking demo) and a
``length`` column (``completion_tokens``, ``reasoning_tokens``, ``reasoning_chars``...), and returns a table.
A *problem group* is the set of samples that answer one problem under one condition: by default
``("dataset", "model", "method", "problem_id")``, i.e. the k samples of one model; pass
``by=("dataset", "problem_id")`` to compare different models' answers to the same problem.

Correct and incorrect lengths are only ever compared *within* a problem group: hard problems draw both longer
answers and more errors, so a pooled comparison would credit length for difficulty.

Sources:

* shortest-correct analyses: 'Exploring and Exploiting the Inherent Efficiency within Large Reasoning Models'
  (arXiv:2506.15647): correct reasoning paths of one problem vary widely in length, and the shortest correct one
  often suffices;
* :func:`lead_targets`, :func:`lead_efficiency_reward`: LEAD (arXiv:2605.09806): per-problem target length
  ``L*_q`` = the mean length of the model's correct rollouts, clamped to [1000, 8000], and 8000 when none is
  correct; reward ``max(-1, 1 - |L - L*_q| / L*_q)``;
* :func:`accuracy_efficiency_score`: the Accuracy-Efficiency Score of O1-Pruner (Luo et al., arXiv:2501.12570),
  whose weights alpha=1, beta=3, gamma=5 are the defaults here; LEAD reports the same score;
* :func:`round_efficiency`: outcome and process efficiency of Chen et al., 'Do NOT Think That Much for 2+3=?'
  (arXiv:2412.21187).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "GROUP",
    "problem_length_stats",
    "within_problem_gap",
    "summarize_gap",
    "accuracy_by_length_rank",
    "relative_length",
    "problem_difficulty",
    "length_by_difficulty",
    "shortest_correct_savings",
    "summarize_savings",
    "lead_targets",
    "lead_efficiency_reward",
    "lead_rewards",
    "accuracy_efficiency_score",
    "select_by_length",
    "round_efficiency",
    "model_summary",
    "LEAD_TARGET_BOUNDS",
    "LEAD_UNSOLVED_TARGET",
]

GROUP = ("dataset", "model", "method", "problem_id")
#: LEAD's clamp of the per-problem target length, and the target of a problem with no correct sample (tokens).
LEAD_TARGET_BOUNDS = (1000.0, 8000.0)
LEAD_UNSOLVED_TARGET = 8000.0


def _frame(samples: pd.DataFrame, length: str, by) -> pd.DataFrame:
    missing = [c for c in (*by, length, "correct") if c not in samples.columns]
    if missing:
        raise KeyError(f"samples lack columns {missing}")
    frame = samples[[*by, length, "correct"]].copy()
    frame = frame[frame[length].notna()]
    frame["length"] = frame[length].astype("float64")
    frame["correct"] = frame["correct"].astype(bool)
    return frame


def problem_length_stats(samples: pd.DataFrame, length: str = "completion_tokens", by=GROUP) -> pd.DataFrame:
    """Per problem group: samples, accuracy, and the spread of lengths overall and among correct samples.

    ``cv_correct`` is the coefficient of variation of correct lengths (sd / mean, ddof=0), the "correct paths
    vary widely in length" measure; ``range_ratio_correct`` = longest / shortest correct.
    """
    frame = _frame(samples, length, list(by))
    grouped = frame.groupby(list(by), observed=True, sort=True)
    out = grouped.agg(
        n=("length", "size"),
        n_correct=("correct", "sum"),
        mean_length=("length", "mean"),
        median_length=("length", "median"),
        min_length=("length", "min"),
        max_length=("length", "max"),
    )
    correct = frame[frame["correct"]].groupby(list(by), observed=True)["length"]
    incorrect = frame[~frame["correct"]].groupby(list(by), observed=True)["length"]
    out["accuracy"] = out["n_correct"] / out["n"]
    out["mean_correct"] = correct.mean()
    out["mean_incorrect"] = incorrect.mean()
    out["shortest_correct"] = correct.min()
    out["longest_correct"] = correct.max()
    out["cv_correct"] = correct.std(ddof=0) / correct.mean()
    out["range_ratio_correct"] = out["longest_correct"] / out["shortest_correct"]
    return out.reset_index()


def within_problem_gap(samples: pd.DataFrame, length: str = "completion_tokens", by=GROUP) -> pd.DataFrame:
    """Problem groups with both correct and incorrect samples: mean lengths of each and their ratio.

    ``ratio`` = mean incorrect / mean correct length; above 1 means the wrong answers of that problem were longer.
    """
    stats_table = problem_length_stats(samples, length, by)
    both = stats_table[(stats_table["n_correct"] > 0) & (stats_table["n_correct"] < stats_table["n"])].copy()
    both["ratio"] = both["mean_incorrect"] / both["mean_correct"]
    both["incorrect_longer"] = both["mean_incorrect"] > both["mean_correct"]
    return both[[*by, "n", "n_correct", "mean_correct", "mean_incorrect", "ratio", "incorrect_longer"]]


def summarize_gap(gaps: pd.DataFrame) -> pd.Series:
    """One line over problem groups: how often and by how much incorrect answers are longer.

    ``geometric_mean_ratio`` is exp(mean log ratio); ``p_value`` is the two-sided Wilcoxon signed-rank test of
    log ratio = 0 (paired within problem, no pooling across problems).
    """
    log_ratio = np.log(gaps["ratio"].to_numpy(dtype=float))
    log_ratio = log_ratio[np.isfinite(log_ratio)]
    if len(log_ratio) == 0:
        return pd.Series(
            {
                "problems": 0,
                "share_incorrect_longer": np.nan,
                "median_ratio": np.nan,
                "geometric_mean_ratio": np.nan,
                "p_value": np.nan,
            }
        )
    nonzero = log_ratio[log_ratio != 0]
    p_value = float(stats.wilcoxon(nonzero).pvalue) if len(nonzero) >= 10 else np.nan
    return pd.Series(
        {
            "problems": int(len(log_ratio)),
            "share_incorrect_longer": float((log_ratio > 0).mean()),
            "median_ratio": float(np.exp(np.median(log_ratio))),
            "geometric_mean_ratio": float(np.exp(log_ratio.mean())),
            "p_value": p_value,
        }
    )


def accuracy_by_length_rank(
    samples: pd.DataFrame, length: str = "completion_tokens", by=GROUP, bins: int = 4
) -> pd.DataFrame:
    """Accuracy by within-problem length rank: in each group of at least ``bins`` samples, samples are ranked by
    length (ties share their average rank) and cut into ``bins`` equal rank bins, 1 = shortest.

    Pooling bins across problems is safe here: every problem contributes to every bin. Only groups that have
    both correct and incorrect samples are used (the others carry no within-problem information).
    """
    frame = _frame(samples, length, list(by))
    size = frame.groupby(list(by), observed=True)["length"].transform("size")
    share = frame.groupby(list(by), observed=True)["correct"].transform("mean")
    frame = frame[(size >= bins) & (share > 0) & (share < 1)].copy()
    rank = frame.groupby(list(by), observed=True)["length"].rank(method="average")
    n = frame.groupby(list(by), observed=True)["length"].transform("size")
    frame["rank_bin"] = np.clip(np.ceil((rank - 0.5) / n * bins), 1, bins).astype(int)
    out = (
        frame.groupby("rank_bin")
        .agg(samples=("correct", "size"), accuracy=("correct", "mean"), mean_length=("length", "mean"))
        .reset_index()
    )
    out["se"] = np.sqrt(out["accuracy"] * (1 - out["accuracy"]) / out["samples"])
    return out


def relative_length(samples: pd.DataFrame, length: str = "completion_tokens", within=("model",)) -> pd.Series:
    """Length divided by the median length of its ``within`` group (by default the model's own median), so that
    a verbose model's answers and a terse one's can be ranked on one scale."""
    values = samples[length].astype("float64")
    return values / values.groupby([samples[c] for c in within]).transform("median")


def problem_difficulty(samples: pd.DataFrame, by=("dataset", "problem_id")) -> pd.DataFrame:
    """Per problem: how many samples answered it and the share that failed it (``fail_share``), e.g. the share of
    the models that got it wrong."""
    frame = samples[[*by, "correct"]].copy()
    frame["correct"] = frame["correct"].astype(bool)
    out = frame.groupby(list(by), observed=True)["correct"].agg(answers="size", solved="mean").reset_index()
    out["fail_share"] = 1 - out.pop("solved")
    return out


def length_by_difficulty(
    samples: pd.DataFrame, length: str, difficulty: pd.DataFrame, bins: int = 5, by=("dataset", "problem_id")
) -> pd.DataFrame:
    """Median length and accuracy of the answers per difficulty bin (equal-width bins of ``fail_share``)."""
    frame = samples.merge(difficulty[[*by, "fail_share"]], on=list(by), how="inner")
    edges = np.linspace(0, 1, bins + 1)
    frame["difficulty_bin"] = pd.cut(frame["fail_share"], edges, include_lowest=True)
    out = frame.groupby("difficulty_bin", observed=True).agg(
        problems=("problem_id", "nunique"),
        answers=(length, "size"),
        median_length=(length, "median"),
        mean_length=(length, "mean"),
        accuracy=("correct", lambda c: float(c.astype(bool).mean())),
    )
    out.index = out.index.astype(str)
    return out.reset_index()


def shortest_correct_savings(samples: pd.DataFrame, length: str = "completion_tokens", by=GROUP) -> pd.DataFrame:
    """Per problem group with a correct sample: what keeping only the shortest correct sample would save.

    ``shortest_to_mean_correct`` = shortest correct / mean correct length; ``saved_vs_mean`` = mean length of all
    samples (the expected cost of one sample) minus the shortest correct length; ``saved_vs_mean_correct``
    likewise against the mean correct length. Oracle selection: it needs the grades, so it bounds what a
    length-aware method could gain, and is not itself a method.
    """
    table = problem_length_stats(samples, length, by)
    solved = table[table["n_correct"] > 0].copy()
    solved["shortest_to_mean_correct"] = solved["shortest_correct"] / solved["mean_correct"]
    solved["saved_vs_mean"] = solved["mean_length"] - solved["shortest_correct"]
    solved["saved_vs_mean_correct"] = solved["mean_correct"] - solved["shortest_correct"]
    return solved[
        [
            *by,
            "n",
            "n_correct",
            "mean_length",
            "mean_correct",
            "shortest_correct",
            "shortest_to_mean_correct",
            "saved_vs_mean",
            "saved_vs_mean_correct",
        ]
    ]


def summarize_savings(savings: pd.DataFrame) -> pd.Series:
    """Totals over problem groups: median shortest/mean-correct ratio and the share of tokens saved."""
    return pd.Series(
        {
            "problems": int(len(savings)),
            "median_shortest_to_mean_correct": float(savings["shortest_to_mean_correct"].median()),
            "share_saved_vs_mean": float(savings["saved_vs_mean"].sum() / savings["mean_length"].sum()),
            "share_saved_vs_mean_correct": float(
                savings["saved_vs_mean_correct"].sum() / savings["mean_correct"].sum()
            ),
        }
    )


def lead_targets(
    samples: pd.DataFrame,
    length: str = "completion_tokens",
    by=GROUP,
    lower: float = LEAD_TARGET_BOUNDS[0],
    upper: float = LEAD_TARGET_BOUNDS[1],
    unsolved: float = LEAD_UNSOLVED_TARGET,
    aggregator: str = "mean",
) -> pd.DataFrame:
    """LEAD's per-problem target length ``L*_q``: the ``aggregator`` (mean, median or min) of the correct
    samples' lengths, clamped to [``lower``, ``upper``]; ``unsolved`` when no sample is correct."""
    if aggregator not in ("mean", "median", "min"):
        raise ValueError(f"aggregator must be mean, median or min, not {aggregator!r}")
    frame = _frame(samples, length, list(by))
    groups = frame.groupby(list(by), observed=True)
    out = groups.agg(n=("length", "size"), n_correct=("correct", "sum")).reset_index()
    correct = frame[frame["correct"]].groupby(list(by), observed=True)["length"].agg(aggregator)
    out = out.merge(correct.rename("correct_length").reset_index(), on=list(by), how="left")
    out["target_length"] = np.where(out["n_correct"] > 0, out["correct_length"].clip(lower, upper), unsolved)
    return out


def lead_efficiency_reward(length, target):
    """LEAD's symmetric efficiency reward ``max(-1, 1 - |L - L*| / L*)``: 1 at the target, 0 at twice (or zero
    times) the target, floored at -1."""
    length = np.asarray(length, dtype=float)
    target = np.asarray(target, dtype=float)
    return np.maximum(-1.0, 1.0 - np.abs(length - target) / target)


def lead_rewards(
    samples: pd.DataFrame, targets: pd.DataFrame, length: str = "completion_tokens", by=GROUP
) -> pd.DataFrame:
    """``samples`` with their problem's ``target_length`` and their ``efficiency_reward``."""
    out = samples.merge(targets[[*by, "target_length"]], on=list(by), how="left")
    out["efficiency_reward"] = lead_efficiency_reward(out[length].astype(float), out["target_length"])
    return out


def accuracy_efficiency_score(
    accuracy, length, base_accuracy, base_length, alpha: float = 1.0, beta: float = 3.0, gamma: float = 5.0
):
    """Accuracy-Efficiency Score against a baseline (O1-Pruner, arXiv:2501.12570; defaults are its weights).

    With ``dL = (base_length - length) / base_length`` and ``dA = (accuracy - base_accuracy) / base_accuracy``:
    ``AES = alpha*dL + beta*dA`` when ``dA >= 0``, else ``alpha*dL - gamma*|dA|`` (accuracy losses weigh more).
    """
    accuracy, length = np.asarray(accuracy, dtype=float), np.asarray(length, dtype=float)
    delta_length = (base_length - length) / base_length
    delta_accuracy = (accuracy - base_accuracy) / base_accuracy
    score = alpha * delta_length + np.where(delta_accuracy >= 0, beta * delta_accuracy, gamma * delta_accuracy)
    return score if score.ndim else float(score)


def select_by_length(
    samples: pd.DataFrame, length: str = "completion_tokens", by=GROUP, rules=("first", "shortest", "median", "longest")
) -> pd.DataFrame:
    """Accuracy and mean length when one sample per problem group is kept by a rule that does not look at grades:
    ``first`` (sample 0, the usual single-sample baseline), ``shortest``, ``median`` (the lower middle sample by
    length) or ``longest`` of the k samples. Ties in length go to the lower sample index."""
    frame = samples.sort_values([*by, "sample_index"]).copy()
    frame["_length"] = frame[length].astype("float64")
    frame["_correct"] = frame["correct"].astype(bool)
    rows = []
    for rule in rules:
        if rule == "first":
            chosen = frame.groupby(list(by), observed=True).head(1)
        else:
            ordered = frame.sort_values([*by, "_length", "sample_index"], kind="stable")
            position = ordered.groupby(list(by), observed=True).cumcount()
            size = ordered.groupby(list(by), observed=True)["_length"].transform("size")
            target = {"shortest": 0, "median": (size - 1) // 2, "longest": size - 1}[rule]
            chosen = ordered[position == target]
        rows.append(
            {
                "rule": rule,
                "problems": len(chosen),
                "accuracy": float(chosen["_correct"].mean()),
                "mean_length": float(chosen["_length"].mean()),
            }
        )
    return pd.DataFrame(rows)


def round_efficiency(rounds: pd.DataFrame, length: str = "tokens", by=("problem_id",)) -> pd.DataFrame:
    """Outcome and process efficiency per response (Chen et al., arXiv:2412.21187), from its solution rounds.

    * outcome efficiency = (length up to and including the first correct round) / (total length), and 0 when no
      round is correct: the share of the response that was needed to get the answer;
    * process efficiency = (length of the first round of each distinct cluster) / (total length): the share that
      brought a new approach rather than repeating one.
    """
    ordered = rounds.sort_values([*by, "round_index"])
    rows = []
    for key, response in ordered.groupby(list(by), sort=True):
        lengths = response[length].to_numpy(dtype=float)
        correct = response["correct"].astype(bool).to_numpy()
        total = lengths.sum()
        first = int(np.argmax(correct)) if correct.any() else None
        outcome = lengths[: first + 1].sum() / total if first is not None else 0.0
        new_cluster = ~response["cluster"].duplicated().to_numpy()
        process = lengths[new_cluster].sum() / total
        key = key if isinstance(key, tuple) else (key,)
        rows.append(
            {
                **dict(zip(by, key)),
                "rounds": len(response),
                "total_length": total,
                "first_correct_round": first,
                "outcome_efficiency": outcome,
                "process_efficiency": process,
                "clusters": int(new_cluster.sum()),
            }
        )
    out = pd.DataFrame(rows)
    out["first_correct_round"] = out["first_correct_round"].astype("Int64")
    return out


def model_summary(samples: pd.DataFrame, length: str = "completion_tokens", by=("model",)) -> pd.DataFrame:
    """Per model: answers, accuracy, mean and median length, and the mean length of correct and wrong answers."""
    frame = _frame(samples, length, list(by))
    out = frame.groupby(list(by), observed=True).agg(
        answers=("length", "size"),
        accuracy=("correct", "mean"),
        mean_length=("length", "mean"),
        median_length=("length", "median"),
    )
    out["mean_length_correct"] = frame[frame["correct"]].groupby(list(by), observed=True)["length"].mean()
    out["mean_length_incorrect"] = frame[~frame["correct"]].groupby(list(by), observed=True)["length"].mean()
    return out.reset_index()
