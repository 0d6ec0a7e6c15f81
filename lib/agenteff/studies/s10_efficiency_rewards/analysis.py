"""Study 10's analysis: the cohorts, every reward's advantages on them, and what the rewards teach."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from agenteff import datasets
from agenteff.metrics import rewards
from agenteff.progress import progress

__all__ = [
    "DEFAULTS",
    "SWEEPS",
    "ZEROEVAL",
    "TAU_BENCH",
    "reward_constants",
    "load_cohorts",
    "cohort_summary",
    "score_cohorts",
    "one_cohort",
    "rank_agreement",
    "sign_reversals",
    "length_biases",
    "selection",
    "cliff_counts",
    "trace_tightening",
    "webleaper_filter",
    "sensitivity",
]

#: Sizes that ``fast`` shrinks: (full run, fast run).
DEFAULTS = {"n_boot": (2000, 300), "zeroeval_every": (1, 4)}
ZEROEVAL = "ZeroEval MATH-L5"
TAU_BENCH = "tau-bench airline"
#: The constants swept (the others at the notebook's values): every constant a paper leaves unstated or that its
#: recipes vary, over the range they discuss, and the project's choices around their defaults.
SWEEPS: dict[str, dict[str, list]] = {
    "optima": {"token_weight": [-1.0, -0.6, -0.4], "short_tokens": [20, 40, 80]},
    "lead": {"budget": [4000, 8000, 16000], "correctness_weight": [0.3, 0.5, 0.8]},
    "trace": {"tighten": [False, True]},
    "webleaper": {"omega": [0.5, 1.0, 2.0]},
    "slimsearcher": {"tool_weight": [0.1, 0.3, 1.0], "token_weight": [0.05, 0.1, 0.3]},
    "eapo": {"gamma": [0.99, 0.995, 0.999]},
    "archer": {"gamma": [0.9, 0.95, 0.99]},
}


def reward_constants(
    *,
    optima_token_weight: float,
    lead_correctness_weight: float,
    lead_budget: float,
    webleaper_omega: float,
    slimsearcher_tool_weight: float,
    slimsearcher_token_weight: float,
    eapo_gamma: float,
    archer_gamma: float,
) -> dict[str, dict[str, float]]:
    """The notebook's constants in the shape :func:`agenteff.metrics.rewards.advantages` takes."""
    return {
        "optima": {"token_weight": optima_token_weight},
        "lead": {"correctness_weight": lead_correctness_weight, "budget": lead_budget},
        "webleaper": {"omega": webleaper_omega},
        "slimsearcher": {"tool_weight": slimsearcher_tool_weight, "token_weight": slimsearcher_token_weight},
        "eapo": {"gamma": eapo_gamma},
        "archer": {"gamma": archer_gamma},
    }


def load_cohorts(zeroeval_every: int = 1) -> dict[str, pd.DataFrame]:
    """The rollouts tables: ZeroEval's 40 models on every ``zeroeval_every``-th MATH level-5 problem (one cohort
    per problem, single-turn answers whose tokens are counted with the project's counter) and tau-bench's GPT-4o
    airline runs (one cohort of 4 trials per task, tokens counted from the agent's messages and tool calls)."""
    if not isinstance(zeroeval_every, int) or zeroeval_every < 1:
        raise ValueError(f"zeroeval_every must be a positive integer, not {zeroeval_every!r}")
    samples = datasets.tables("zeroeval-math-l5")["samples"]
    problems = sorted(samples["problem_id"].unique(), key=int)[::zeroeval_every]
    tau = datasets.tables("tau-bench-airline-gpt4o")
    return {
        ZEROEVAL: rewards.rollouts_from_samples(samples[samples["problem_id"].isin(problems)]),
        TAU_BENCH: rewards.rollouts_from_runs(tau["runs"], tau["steps"]),
    }


def cohort_summary(cohorts: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per data set: cohorts, rollouts per cohort, accuracy, cohorts with no correct rollout, and the mean tokens,
    tool calls and turns of a rollout."""
    rows = []
    for name, table in cohorts.items():
        solved = table.groupby("cohort")["correct"].any()
        sizes = table.groupby("cohort").size()
        rows.append(
            dict(
                data=name,
                cohorts=len(sizes),
                rollouts=len(table),
                rollouts_per_cohort=f"{sizes.min()}-{sizes.max()}" if sizes.min() != sizes.max() else str(sizes.min()),
                accuracy=table["correct"].mean(),
                all_wrong_cohorts=int((~solved).sum()),
                all_right_cohorts=int(table.groupby("cohort")["correct"].all().sum()),
                tokens=table["tokens"].mean(),
                tool_calls=table["tool_calls"].mean(),
                turns=table["turns"].mean(),
            )
        )
    return pd.DataFrame(rows)


def score_cohorts(
    cohorts: Mapping[str, pd.DataFrame], constants: Mapping[str, Mapping[str, object]] | None = None
) -> pd.DataFrame:
    """Every reward's reward and GRPO advantage on every rollout, with a ``data`` column naming its data set."""
    parts = [rewards.advantages(table, constants).assign(data=name) for name, table in cohorts.items()]
    return pd.concat(parts, ignore_index=True)


def one_cohort(scored: pd.DataFrame, data: str) -> pd.DataFrame:
    """The first cohort of ``data``: one row per rollout (correct, tokens, tool calls, turns) and each reward's
    advantage in a column."""
    rows = scored[scored["data"] == data]
    first = rows[rows["cohort"] == rows["cohort"].iloc[0]]
    index = ["rollout", "correct", "tokens", "tool_calls", "turns"]
    wide = first.pivot_table(index=index, columns="reward_name", values="advantage", sort=False)
    return wide.reset_index().rename_axis(columns=None)


def _per_data(scored: pd.DataFrame, measure, **options) -> pd.DataFrame:
    parts = [measure(group, **options).assign(data=name) for name, group in scored.groupby("data", sort=False)]
    return pd.concat(parts, ignore_index=True)


def rank_agreement(scored: pd.DataFrame, *, n_boot: int, seed: int) -> pd.DataFrame:
    """Per data set and pair of rewards: mean within-cohort Kendall tau of the advantages, bootstrap 95% interval
    over cohorts."""
    return _per_data(scored, rewards.rank_agreement, n_boot=n_boot, seed=seed)


def sign_reversals(scored: pd.DataFrame) -> pd.DataFrame:
    """Per data set and reward: shares of correct rollouts with a negative advantage and wrong ones with a positive
    one (cohorts with both)."""
    return _per_data(scored, rewards.sign_reversals)


def length_biases(scored: pd.DataFrame) -> pd.DataFrame:
    """Per data set and reward: the length bias among wrong and among right rollouts, over all cohorts, and among
    wrong rollouts of the cohorts where none is right."""
    parts = []
    for among, cohorts in (("wrong", "all"), ("right", "all"), ("wrong", "all_wrong")):
        part = _per_data(scored, rewards.length_bias, among=among, cohorts=cohorts)
        parts.append(part.assign(among=among, cohorts_kept=cohorts))
    return pd.concat(parts, ignore_index=True)


def selection(scored: pd.DataFrame) -> pd.DataFrame:
    """Per data set and reward: the preferred rollouts' mean correctness, tokens, tool calls and turns, and their
    cost against the binary reward's preferred rollouts (ties averaged)."""
    return _per_data(scored, lambda table: rewards.selection_summary(rewards.selected_rollouts(table)))


def cliff_counts(
    cohorts: Mapping[str, pd.DataFrame], *, short_tokens: int = 40, long_tokens: int = 2000
) -> pd.DataFrame:
    """Per data set: rollouts on Optima's short cliff (``L <= short_tokens``) and past its long one
    (``L > long_tokens``), right and wrong, and how many cohorts hold one."""
    rows = []
    for name, table in cohorts.items():
        short = table["tokens"] <= short_tokens
        long = table["tokens"] > long_tokens
        rows.append(
            dict(
                data=name,
                rollouts=len(table),
                short=int(short.sum()),
                short_correct=int((short & table["correct"]).sum()),
                long=int(long.sum()),
                long_correct=int((long & table["correct"]).sum()),
                share_past_cliffs=float((short | long).mean()),
                cohorts_touched=int(table[short | long]["cohort"].nunique()),
            )
        )
    return pd.DataFrame(rows)


def trace_tightening(cohorts: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per data set: what tightening TRACE's reference to the cohort's cheapest correct rollout changes: rollouts
    whose reward changes, whose advantage changes sign, and the preferred rollouts' tool calls, released and
    tightened."""
    rows = []
    for name, table in cohorts.items():
        released = rewards.advantages(table, rewards=("trace",))
        tightened = rewards.advantages(table, {"trace": {"tighten": True}}, rewards=("trace",))
        picks = [rewards.selected_rollouts(t) for t in (released, tightened)]
        rows.append(
            dict(
                data=name,
                with_reference=int(table["reference_tool_calls"].notna().sum()),
                reward_changed=int((~np.isclose(released["reward"], tightened["reward"])).sum()),
                sign_changed=int(
                    (np.sign(released["advantage"].round(9)) != np.sign(tightened["advantage"].round(9))).sum()
                ),
                selected_tool_calls_released=picks[0]["tool_calls"].mean(),
                selected_tool_calls_tightened=picks[1]["tool_calls"].mean(),
                selected_correct_released=picks[0]["correct"].mean(),
                selected_correct_tightened=picks[1]["correct"].mean(),
            )
        )
    return pd.DataFrame(rows)


def webleaper_filter(cohorts: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per data set with a target set: WebLeaper's SFT curation (ISR > 0.3, ISE > 0.1) on its rollouts: how many it
    keeps, and their accuracy and mean tokens against all rollouts'."""
    rows = []
    for name, table in cohorts.items():
        if table["recall"].isna().any():
            continue
        kept = rewards.webleaper_sft_keep(table)
        rows.append(
            dict(
                data=name,
                rollouts=len(table),
                kept=int(kept.sum()),
                accuracy_all=table["correct"].mean(),
                accuracy_kept=table.loc[kept, "correct"].mean(),
                tokens_all=table["tokens"].mean(),
                tokens_kept=table.loc[kept, "tokens"].mean(),
            )
        )
    return pd.DataFrame(rows)


def sensitivity(
    cohorts: Mapping[str, pd.DataFrame],
    constants: Mapping[str, Mapping[str, object]],
    sweeps: Mapping[str, Mapping[str, list]] = SWEEPS,
) -> pd.DataFrame:
    """Per data set, reward, constant and value swept (the reward's other constants at ``constants``): the
    sign-reversal rates, the length bias among wrong rollouts and the preferred rollout's correctness and tokens
    against the binary reward's."""
    parts = []
    jobs = [(name, reward, constant) for name in cohorts for reward in sweeps for constant in sweeps[reward]]
    for name, reward, constant in progress(jobs, desc="constants swept"):
        base = {k: v for k, v in constants.get(reward, {}).items() if k != constant}
        swept = {reward: {constant: sweeps[reward][constant]}}
        part = rewards.sensitivity(cohorts[name], swept, fixed={reward: base})
        parts.append(part.assign(data=name))
    return pd.concat(parts, ignore_index=True)
