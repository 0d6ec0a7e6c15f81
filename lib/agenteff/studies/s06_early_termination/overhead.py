"""What the agent costs on top of one inference, where it spends, and how efficiently it succeeds.

Reads RUNS (``energy_mwh``, ``latency_s``, ``n_steps``, token sums, ``success``), STEPS (per-call tokens and
``energy_mwh``) and, for the bare model, SAMPLES (``output``, ``correct``; the released bare-LLM files hold the
answer text and the judge's verdict, no energy, time or token counts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ... import metrics
from ...metrics.grading import fill_token_counts

__all__ = [
    "agent_model",
    "agent_overhead",
    "run_energy",
    "cache_by_step",
    "step_cap_hits",
    "bare_model_correct",
    "spend_where_bare_correct",
    "eqa_by_group",
    "rank_changes",
    "reasoning_groups",
]


def agent_model(runs: pd.DataFrame) -> str:
    """The one model whose agent runs ``runs`` holds (a RUNS table, or any table with its ``model`` column)."""
    models = runs["model"].dropna().unique()
    if len(models) != 1:
        raise ValueError(f"expected the runs of one agent model, found {sorted(map(str, models)) or 'none'}")
    return str(models[0])


def _stat_row(quantity, unit, agent, bare=None, note=""):
    agent = pd.Series(agent, dtype=float).dropna()
    bare = pd.Series([] if bare is None else bare, dtype=float).dropna()
    bare_mean = bare.mean() if len(bare) else np.nan
    return {
        "quantity": quantity,
        "unit": unit,
        "agent_mean": agent.mean(),
        "agent_median": agent.median(),
        "bare_mean": bare_mean,
        "bare_median": bare.median() if len(bare) else np.nan,
        "agent_over_bare": agent.mean() / bare_mean if len(bare) and bare_mean > 0 else np.nan,
        "note": note,
    }


def agent_overhead(runs: pd.DataFrame, steps: pd.DataFrame, bare: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-task means and medians of the agent against the bare model, quantity by quantity, with what can be
    compared said in ``note``.

    ``bare``: SAMPLES of the bare model on the same tasks; its completion tokens are counted from the answer text
    with the project's tokenizer when the file has none (a proxy: the agent's counts come from Qwen3's own).
    """
    first_call = steps.sort_values(["run_id", "step"]).groupby("run_id", sort=False).head(1)
    bare_tokens = None
    if bare is not None:
        counted = fill_token_counts(
            bare[["output", "completion_tokens"]] if "completion_tokens" in bare else bare[["output"]],
            text_column="output",
        )
        bare_tokens = counted["completion_tokens"].astype(float)
    no_bare = "bare-LLM files record no {}: not comparable"
    return pd.DataFrame(
        [
            _stat_row("energy per task", "mWh", runs["energy_mwh"], note=no_bare.format("energy")),
            _stat_row(
                "energy of the run's first LLM call",
                "mWh",
                first_call["energy_mwh"],
                note="closest released quantity to one inference (with the agent's long prompt)",
            ),
            _stat_row("time per task", "s", runs["latency_s"], note=no_bare.format("time")),
            _stat_row(
                "LLM calls per task",
                "calls",
                runs["n_steps"],
                [1.0] * (0 if bare is None else len(bare)),
                note="the bare model answers in one call",
            ),
            _stat_row(
                "prompt tokens per task (all calls)",
                "tokens",
                runs["prompt_tokens"],
                note=no_bare.format("prompt tokens"),
            ),
            _stat_row(
                "completion tokens per task",
                "tokens",
                runs["completion_tokens"],
                bare_tokens,
                note="bare: answer text counted with cl100k_base (a proxy for Qwen3's tokenizer)",
            ),
        ]
    )


def run_energy(runs: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """One row per run: its model, outcome, energy, the sum of its steps' energy and its first call's energy (mWh)."""
    ordered = steps.sort_values(["run_id", "step"])
    per_run = ordered.groupby("run_id").agg(
        steps_energy_mwh=("energy_mwh", "sum"), first_call_energy_mwh=("energy_mwh", "first")
    )
    out = runs[["run_id", "model", "success", "energy_mwh"]].merge(
        per_run, left_on="run_id", right_index=True, how="left"
    )
    return out.rename(columns={"energy_mwh": "run_energy_mwh"})


def cache_by_step(steps: pd.DataFrame) -> pd.DataFrame:
    """Prompt-cache utilisation (cached / prompt tokens, pooled; PANDO's metric) per step index, then all steps."""
    by_step = metrics.prompt_cache_utilization(steps, by="step")
    overall = metrics.prompt_cache_utilization(steps).assign(step="all")
    return pd.concat([by_step.astype({"step": "string"}), overall.astype({"step": "string"})], ignore_index=True)


def step_cap_hits(runs: pd.DataFrame, cap: int) -> pd.DataFrame:
    """Runs per number of LLM calls, and whether that count means the run hit the step cap (``cap`` agent steps
    plus the forced final-answer call), with the success rate of each count."""
    if cap < 1:
        raise ValueError(f"step cap must be >= 1, got {cap}")
    table = (
        runs.groupby("n_steps")
        .agg(runs=("run_id", "size"), success_rate=("success", "mean"))
        .reset_index()
        .astype({"n_steps": int})
    )
    table["hit_step_cap"] = table["n_steps"] > cap
    table["share_of_runs"] = table["runs"] / table["runs"].sum()
    return table


def bare_model_correct(runs: pd.DataFrame, samples: pd.DataFrame, model: str) -> pd.Series:
    """Per run (aligned with ``runs``): did the bare ``model`` answer the run's task correctly (the authors'
    judge)? Joins ``runs.task`` to ``samples.problem_id``; a task the model was not asked is an error."""
    chosen = samples[samples["model"] == model]
    if chosen.empty:
        raise ValueError(f"no bare-LLM samples of model {model!r}; models: {sorted(samples['model'].unique())}")
    verdict = chosen.drop_duplicates("problem_id").set_index("problem_id")["correct"].astype(bool)
    missing = ~runs["task"].isin(verdict.index)
    if missing.any():
        raise ValueError(
            f"{int(missing.sum())} runs have no bare-LLM answer of {model!r}, "
            f"e.g. task {runs.loc[missing, 'task'].iloc[0]!r}"
        )
    return pd.Series(verdict.reindex(runs["task"]).to_numpy(), index=runs.index, name="bare_correct")


def spend_where_bare_correct(runs: pd.DataFrame, bare_correct: pd.Series) -> pd.DataFrame:
    """The agent's runs split by whether the bare model already answers correctly: tool use there is not
    epistemically necessary (arXiv:2506.00886). Runs, agent success, steps and energy, and the energy share."""
    frame = runs.assign(bare_correct=bare_correct.to_numpy())
    table = (
        frame.groupby("bare_correct")
        .agg(
            runs=("run_id", "size"),
            agent_success_rate=("success", "mean"),
            mean_steps=("n_steps", "mean"),
            mean_energy_mwh=("energy_mwh", "mean"),
            total_energy_mwh=("energy_mwh", "sum"),
        )
        .reset_index()
    )
    table["energy_share"] = table["total_energy_mwh"] / table["total_energy_mwh"].sum()
    return table


def eqa_by_group(runs: pd.DataFrame, groups: pd.DataFrame, max_steps: int, group: str = "group") -> pd.DataFrame:
    """Success rate and EQA (MMBench-GUI's area under success-within-step-budget) per group of runs.

    ``groups`` maps ``run_id`` to ``group`` (a run may sit in several groups, e.g. FRAMES reasoning types).
    Adds the rank of each group by success and by EQA (1 = best) and the standard error of the success rate.
    """
    frame = groups[["run_id", group]].merge(runs[["run_id", "n_steps", "success"]], on="run_id", how="inner")
    table = metrics.eqa(frame, max_steps, by=group, steps="n_steps")
    counts = frame.groupby(group).size().rename("runs").reset_index()
    table = table.merge(counts, on=group)
    table["success_se"] = np.sqrt(table["success_rate"] * (1 - table["success_rate"]) / table["runs"])
    table["rank_by_success"] = table["success_rate"].rank(ascending=False, method="min").astype(int)
    table["rank_by_eqa"] = table["eqa"].rank(ascending=False, method="min").astype(int)
    return table.sort_values(["rank_by_success", group]).reset_index(drop=True)


def rank_changes(table: pd.DataFrame, group: str = "group") -> dict:
    """How differently EQA orders groups than success does: Kendall's tau between the two orderings, and the
    pairs whose success rates are within one combined standard error yet EQA separates."""
    tau = stats.kendalltau(table["success_rate"], table["eqa"]).statistic if len(table) > 1 else np.nan
    pairs = []
    rows = table.to_dict("records")
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            close = abs(a["success_rate"] - b["success_rate"]) <= np.hypot(a["success_se"], b["success_se"])
            if close and a["eqa"] != b["eqa"]:
                pairs.append((a[group], b[group]))
    swapped = sum(
        1
        for i, a in enumerate(rows)
        for b in rows[i + 1 :]
        if (a["success_rate"] - b["success_rate"]) * (a["eqa"] - b["eqa"]) < 0
    )
    return {
        "kendall_tau": float(tau),
        "pairs_swapped": swapped,
        "pairs_total": len(rows) * (len(rows) - 1) // 2,
        "close_in_success_separated_by_eqa": len(pairs),
    }


def reasoning_groups(runs: pd.DataFrame, questions: pd.DataFrame) -> pd.DataFrame:
    """``run_id, group``: each run under each FRAMES reasoning type of its question (' | '-separated)."""
    types = questions.set_index("problem_id")["reasoning_types"]
    missing = ~runs["task"].isin(types.index)
    if missing.any():
        raise ValueError(
            f"{int(missing.sum())} runs have no FRAMES question, e.g. {runs.loc[missing, 'task'].iloc[0]!r}"
        )
    frame = pd.DataFrame({"run_id": runs["run_id"].to_numpy(), "group": types.reindex(runs["task"]).to_numpy()})
    frame["group"] = frame["group"].str.split("|")
    frame = frame.explode("group")
    frame["group"] = frame["group"].str.strip()
    return frame[frame["group"] != ""].reset_index(drop=True)
