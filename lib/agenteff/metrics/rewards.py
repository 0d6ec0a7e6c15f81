"""Efficiency-aware rewards of agent training methods, scored on cohorts of real rollouts.

A *cohort* is the group of rollouts of one prompt (one task, one problem); every reward here is read the way a
GRPO-style trainer reads it, through its group-relative advantage ``A = (r - mean_G) / (std_G + 1e-6)``. What a
reward teaches is therefore decided by how it orders the rollouts of one cohort, and that is what this module
measures: rank agreement between rewards, sign reversals, length bias, and the rollout each reward prefers.

The input is a *rollouts* table (:data:`ROLLOUT_COLUMNS`), built from a SAMPLES table
(:func:`rollouts_from_samples`: one cohort per problem, single turn, no tools) or from RUNS and STEPS
(:func:`rollouts_from_runs`: one cohort per task). Lengths are tokens: reported by the endpoint where the data
has them, otherwise counted with the project's counter (:func:`agenteff.metrics.grading.count_tokens`).

Each reward is re-implemented from the released code or text named in its docstring (read, never copied); its
constants are keyword parameters with the released defaults, and where the source gives none the value is the
project's choice and says so. No reward here needs model log-probabilities except Optima's perplexity term,
which no data set here carries (see :func:`optima`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from . import grading
from .samples import LEAD_TARGET_BOUNDS, LEAD_UNSOLVED_TARGET, lead_efficiency_reward, lead_targets

__all__ = [
    "ROLLOUT_COLUMNS",
    "REWARDS",
    "GRPO_EPSILON",
    "rollouts_from_samples",
    "rollouts_from_runs",
    "check_rollouts",
    "grpo_advantages",
    "binary",
    "optima",
    "lead_efficiency",
    "lead",
    "trace",
    "webleaper",
    "webleaper_sft_keep",
    "slimsearcher",
    "eapo",
    "archer",
    "agent_omit",
    "advantages",
    "rank_agreement",
    "sign_reversals",
    "length_bias",
    "selected_rollouts",
    "selection_summary",
    "sensitivity",
]

#: Columns of a rollouts table. ``score`` is partial credit in [0, 1] (1/0 where only correctness is known);
#: ``answered`` is False when the rollout gave no final answer; ``reference_tool_calls`` is a reference
#: trajectory's tool calls (HyperEyes' SFT trajectory; tau-bench's gold actions), missing where none exists;
#: ``precision`` and ``recall`` are over a target set (WebLeaper's entities; tau-bench's gold actions), missing
#: where none exists; ``omitted_share`` is Agent-Omit's share of characters saved by omission (0: nothing omitted).
ROLLOUT_COLUMNS = (
    "cohort",
    "rollout",
    "correct",
    "score",
    "answered",
    "tokens",
    "tool_calls",
    "turns",
    "reference_tool_calls",
    "precision",
    "recall",
    "omitted_share",
)
#: GRPO's epsilon in the denominator (the reference notation; verl's ``compute_grpo_outcome_advantage``).
GRPO_EPSILON = 1e-6
_AGENT_ROLES = ("single", "worker", "orchestrator", "aggregator", "peer")
_TIE = 1e-9  # advantages closer than this are equal (floating-point noise of the normalisation)


# --- the rollouts table ------------------------------------------------------------------------------------


def check_rollouts(rollouts: pd.DataFrame) -> pd.DataFrame:
    """Check a rollouts table and return it with canonical dtypes; an error names the row and column."""
    if not isinstance(rollouts, pd.DataFrame):
        raise TypeError(f"rollouts must be a table (DataFrame), not {type(rollouts).__name__}")
    missing = [c for c in ROLLOUT_COLUMNS if c not in rollouts.columns]
    if missing:
        raise ValueError(f"rollouts table lacks columns {missing} (see agenteff.metrics.rewards.ROLLOUT_COLUMNS)")
    out = rollouts.reset_index(drop=True).copy()
    for column in ("cohort", "rollout", "correct", "score", "answered", "tokens", "tool_calls", "turns"):
        empty = out[column].isna().to_numpy()
        if empty.any():
            raise ValueError(f"rollouts row {int(np.flatnonzero(empty)[0]) + 1}, column {column!r}: missing value")
    for column, lowest in (("tokens", 0), ("tool_calls", 0), ("turns", 1), ("score", 0)):
        values = out[column].astype(float).to_numpy()
        bad = values < lowest
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"rollouts row {row + 1}, column {column!r}: {values[row]:g} is below {lowest}")
    for column in ("score", "precision", "recall", "omitted_share"):
        values = out[column].astype(float).to_numpy()
        bad = values > 1
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"rollouts row {row + 1}, column {column!r}: {values[row]:g} is above 1")
    repeated = out.duplicated(["cohort", "rollout"])
    if repeated.any():
        row = int(np.flatnonzero(repeated.to_numpy())[0])
        raise ValueError(f"rollouts row {row + 1}: rollout {out['rollout'].iloc[row]!r} repeats in its cohort")
    out["cohort"] = out["cohort"].astype(str)
    out["rollout"] = out["rollout"].astype(str)
    out["correct"] = out["correct"].astype(bool)
    out["answered"] = out["answered"].astype(bool)
    for column in ("tokens", "tool_calls", "turns"):
        out[column] = out[column].astype("int64")
    for column in ("score", "reference_tool_calls", "precision", "recall", "omitted_share"):
        out[column] = out[column].astype("float64")
    return out


def rollouts_from_samples(samples: pd.DataFrame) -> pd.DataFrame:
    """One cohort per problem (``dataset``, ``problem_id``), one rollout per model, method and sample: single-turn
    answers with no tools. Missing ``completion_tokens`` are counted (:func:`grading.fill_token_counts`)."""
    counted = grading.fill_token_counts(samples)
    rollout = counted["model"].astype(str) + "/" + counted["method"].astype(str) + "/"
    return check_rollouts(
        pd.DataFrame(
            {
                "cohort": counted["dataset"].astype(str) + "/" + counted["problem_id"].astype(str),
                "rollout": rollout + counted["sample_index"].astype(str),
                "correct": counted["correct"].fillna(False).astype(bool),
                "score": counted["correct"].fillna(False).astype(float),
                "answered": counted["answer"].notna() & (counted["answer"].astype(str).str.strip() != ""),
                "tokens": counted["completion_tokens"].astype("int64"),
                "tool_calls": 0,
                "turns": 1,
                "reference_tool_calls": np.nan,
                "precision": np.nan,
                "recall": np.nan,
                "omitted_share": 0.0,
            }
        )
    )


def _calls(text) -> list[dict]:
    return json.loads(text) if isinstance(text, str) and text else []


def _call_key(call: dict) -> str:
    return json.dumps({"name": call.get("name"), "arguments": call.get("arguments", {})}, sort_keys=True)


def _gold_match(gold_text, made: list[dict]) -> tuple[float, float]:
    """Precision and recall of the calls made against the gold actions (name and arguments equal, as
    multisets); recall 1 when there is no gold action, precision 1 when no call was made."""
    gold = Counter(_call_key(call) for call in _calls(gold_text))
    done = Counter(_call_key(call) for call in made)
    found = sum((gold & done).values())
    recall = found / sum(gold.values()) if gold else 1.0
    precision = found / sum(done.values()) if done else 1.0
    return precision, recall


def rollouts_from_runs(runs: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """One cohort per ``task``, one rollout per run. From the agent's own steps (roles other than user, tool and
    system): ``tokens`` = their completion tokens (counted from their text and tool calls where not reported),
    ``tool_calls`` = the calls they make, ``turns`` = their number. ``score`` is the run's score (its success
    where absent); gold actions, where the runs carry them (``gold_actions``, ``n_gold_actions``), give the
    reference tool calls and the precision and recall of the calls made."""
    agent = steps[steps["role"].isin(_AGENT_ROLES)].copy()
    text = agent["content"].fillna("").astype(str) + agent["tool_calls"].fillna("").astype(str)
    reported = agent["completion_tokens"] if "completion_tokens" in agent else pd.Series(pd.NA, index=agent.index)
    counted = grading.count_tokens(text.tolist()) if len(agent) else np.zeros(0)
    agent["tokens"] = np.where(reported.isna(), counted, reported.fillna(0).astype(float)).astype("int64")
    agent["made"] = [_calls(t) for t in agent["tool_calls"]]
    per_run = agent.groupby("run_id").agg(
        tokens=("tokens", "sum"), turns=("step", "size"), made=("made", lambda lists: [c for m in lists for c in m])
    )
    out = runs.merge(per_run, left_on="run_id", right_index=True, how="left")
    lost = out["turns"].isna().to_numpy()
    if lost.any():
        raise ValueError(f"run {out['run_id'].iloc[int(np.flatnonzero(lost)[0])]!r} has no agent step in the steps")
    if "gold_actions" in out:
        matched = [_gold_match(gold, made) for gold, made in zip(out["gold_actions"], out["made"])]
        precision, recall = (np.array([m[i] for m in matched]) for i in (0, 1))
    else:
        precision = recall = np.full(len(out), np.nan)
    score = out["score"].astype(float) if "score" in out else pd.Series(np.nan, index=out.index)
    return check_rollouts(
        pd.DataFrame(
            {
                "cohort": out["suite"].astype(str) + "/" + out["task"].astype(str),
                "rollout": out["run_id"].astype(str),
                "correct": out["success"].astype(bool),
                "score": score.fillna(out["success"].astype(float)).clip(0, 1),
                "answered": True,
                "tokens": out["tokens"],
                "tool_calls": [len(made) for made in out["made"]],
                "turns": out["turns"],
                "reference_tool_calls": out["n_gold_actions"].astype(float) if "n_gold_actions" in out else np.nan,
                "precision": precision,
                "recall": recall,
                "omitted_share": 0.0,
            }
        )
    )


# --- GRPO ----------------------------------------------------------------------------------------------------


def grpo_advantages(rollouts: pd.DataFrame, reward, *, epsilon: float = GRPO_EPSILON) -> pd.Series:
    """Group-relative advantage of each rollout: ``(r - mean) / (std + epsilon)`` within its cohort, with the
    sample standard deviation (ddof 1, as ``torch.std`` in verl's ``compute_grpo_outcome_advantage``); a cohort
    of one rollout gets 0 (no group to compare with: the project's choice)."""
    values = pd.Series(np.asarray(reward, dtype=float), index=rollouts.index)
    groups = values.groupby(rollouts["cohort"].to_numpy())
    mean = groups.transform("mean")
    std = groups.transform(lambda v: v.std(ddof=1) if len(v) > 1 else np.nan)
    return ((values - mean) / (std + epsilon)).fillna(0.0)


def _cohort(rollouts: pd.DataFrame, values) -> pd.core.groupby.SeriesGroupBy:
    return pd.Series(values, index=rollouts.index).groupby(rollouts["cohort"].to_numpy())


# --- the rewards -------------------------------------------------------------------------------------------


def binary(rollouts: pd.DataFrame) -> pd.Series:
    """The plain outcome reward ``r = c``: the baseline every efficiency reward is compared with."""
    return rollouts["correct"].astype(float)


def optima(
    rollouts: pd.DataFrame,
    *,
    token_weight: float = -0.6,
    short_tokens: int = 40,
    long_tokens: int = 2000,
) -> pd.Series:
    """Optima's reward ``R = correct + tok + ppl`` (arXiv:2410.08115; thunlp/Optima@4017740, ``utils/config.py``
    and ``reward/deploy_reward.py``, read through ../shared/reference/rewards: the repository has no licence).

    ``correct`` is the rollout's score (token F1, exact match or math equivalence). ``tok = token_weight * L /
    L_max`` with ``L_max`` the longest rollout of the cohort, and ``tok = -1`` when ``L <= short_tokens`` (the
    short cliff). ``ppl = l2 / (max mean token cross-entropy)`` is ``-1`` when ``L > long_tokens`` or the reply is
    empty (the long cliff); the cross-entropy needs the model's log-probabilities, which no data set here holds,
    so the term is 0 off the cliff (a constant within a cohort leaves GRPO advantages unchanged; a varying one
    would not, which is what this omits). ``token_weight`` -0.6 is the hotpot_qa recipe (the recipes use -0.6
    to -0.4; ``utils/config.py`` defaults to -1).
    """
    length = rollouts["tokens"].astype(float)
    longest = _cohort(rollouts, length).transform("max").replace(0.0, 1.0)
    tok = np.where(length <= short_tokens, -1.0, token_weight * length / longest)
    ppl = np.where((length > long_tokens) | (length == 0), -1.0, 0.0)
    return rollouts["score"].astype(float) + tok + ppl


def lead_efficiency(
    rollouts: pd.DataFrame,
    *,
    budget: float = LEAD_UNSOLVED_TARGET,
    floor: float = LEAD_TARGET_BOUNDS[0],
) -> pd.Series:
    """LEAD's efficiency reward in the training script's ``max_sym`` mode (CrazyMint/LEAD@aeebcc0,
    ``verl/trainer/ppo/ray_trainer.py`` lines 262-314; ``train_math_lead_deepseek-r1-1.5b.sh`` line 51):
    ``R_eff = max(-1, 1 - |L - L*| / L*)`` with ``L*`` the cohort's mean correct length clamped to
    [``floor``, ``budget``], and ``budget`` when no rollout is correct (then longer answers earn more)."""
    targets = lead_targets(rollouts, length="tokens", by=("cohort",), lower=floor, upper=budget, unsolved=budget)
    target = rollouts["cohort"].map(targets.set_index("cohort")["target_length"])
    return pd.Series(lead_efficiency_reward(rollouts["tokens"].astype(float), target), index=rollouts.index)


def lead(
    rollouts: pd.DataFrame,
    *,
    correctness_weight: float = 0.5,
    budget: float = LEAD_UNSOLVED_TARGET,
    floor: float = LEAD_TARGET_BOUNDS[0],
    epsilon: float = GRPO_EPSILON,
) -> pd.Series:
    """LEAD's advantage ``w_c * GRPO(c) + (1 - w_c) * GRPO(R_eff)`` (same file, lines 355-366 and 459-485).

    The released trainer moves ``w_c`` online (EMA 0.95 from 0.5, floored at 0.3) from batch statistics no
    offline cohort has, so it is a parameter here (0.5, the starting weight); the trainer's final whitening over
    the whole batch shifts every cohort of a batch alike and is left out. This returns an advantage, not a
    reward: :func:`advantages` uses it as is."""
    correctness = grpo_advantages(rollouts, binary(rollouts), epsilon=epsilon)
    efficiency = grpo_advantages(rollouts, lead_efficiency(rollouts, budget=budget, floor=floor), epsilon=epsilon)
    return correctness_weight * correctness + (1.0 - correctness_weight) * efficiency


def _linear_by_rank(rollouts: pd.DataFrame, chosen: pd.Series, first: float, last: float) -> pd.Series:
    """Among the ``chosen`` rollouts of each cohort, ``first`` for the fewest tool calls down to ``last`` for the
    most, linear in the rank (ties share the lower rank; one rollout gets ``first``)."""
    picked = rollouts[chosen]
    rank = picked.groupby("cohort")["tool_calls"].rank(method="min") - 1
    count = picked.groupby("cohort")["tool_calls"].transform("size")
    step = np.where(count > 1, rank / (count - 1).clip(lower=1), 0.0)
    out = pd.Series(0.0, index=rollouts.index)
    out[chosen] = first + (last - first) * step
    return out


def trace(
    rollouts: pd.DataFrame,
    *,
    best_bonus: float = 0.20,
    last_bonus: float = 0.05,
    least_costlier_penalty: float = -0.02,
    most_costlier_penalty: float = -0.10,
    wrong_penalty: float = -0.1,
    wrong_band: float = 1.5,
    no_answer: float = -0.5,
    tighten: bool = False,
) -> pd.Series:
    """HyperEyes' TRACE reward (DeepExperience/HyperEyes@6154825, ``RL/relax-hypereyes/examples/HyperEyes/
    HyperEyes_reward_V1_2_w_dynamic_w_OPD_v0.py``, read through ../shared/reference/rewards: no licence file).

    ``acc`` 1/0, ``no_answer`` when the rollout gave none; plus a group bonus against the reference's tool calls
    ``ref``: wrong with ``tc < ref`` or ``tc > wrong_band * ref``: ``wrong_penalty``; correct with no tool call: no
    bonus; correct with ``0 < tc <= ref``: ``best_bonus`` for the fewest calls down to ``last_bonus``; correct with
    ``tc > ref``: ``least_costlier_penalty`` down to ``most_costlier_penalty``. The steps between best and last are
    linear in the tool-call rank (the project's reading; ties share a rank). Released, the reference never
    tightens; ``tighten=True`` lowers it to the cohort's cheapest correct rollout with tool calls, the "monotone
    tightening" the paper describes. Without a reference (missing ``reference_tool_calls``) there is no bonus.
    """
    calls = rollouts["tool_calls"].astype(float)
    correct = rollouts["correct"].astype(bool)
    reference = rollouts["reference_tool_calls"].astype(float)
    if tighten:
        cheapest = _cohort(rollouts, calls.where(correct & (calls > 0))).transform("min")
        reference = np.fmin(reference, cheapest)
    known = reference.notna()
    wrong_out = ~correct & known & ((calls < reference) | (calls > wrong_band * reference))
    thrifty = correct & known & (calls > 0) & (calls <= reference)
    costlier = correct & known & (calls > reference)
    bonus = (
        _linear_by_rank(rollouts, thrifty, best_bonus, last_bonus)
        + _linear_by_rank(rollouts, costlier, least_costlier_penalty, most_costlier_penalty)
        + np.where(wrong_out, wrong_penalty, 0.0)
    )
    accuracy = np.where(rollouts["answered"].astype(bool), correct.astype(float), no_answer)
    return accuracy + bonus


def webleaper(rollouts: pd.DataFrame, *, omega: float = 1.0) -> pd.Series:
    """WebLeaper's RL reward for its own tasks, the F-omega of soft precision and recall over the target set,
    ``(1 + w^2) P R / (w^2 P + R)`` (Alibaba-NLP/DeepResearch@f72f75d, ``WebAgent/WebLeaper/README.md`` lines
    84-92). ``omega`` is not stated: 1 (plain F1) is the project's choice. Where a rollout has no target set,
    ``P = R = score``. Matching here is exact (tau-bench's gold actions), not the paper's semantic similarity."""
    if omega <= 0:
        raise ValueError(f"omega must be positive, not {omega!r}")
    score = rollouts["score"].astype(float)
    precision = rollouts["precision"].astype(float).fillna(score)
    recall = rollouts["recall"].astype(float).fillna(score)
    denominator = omega**2 * precision + recall
    safe = denominator.where(denominator > 0, 1.0)
    return ((1 + omega**2) * precision * recall / safe).where(denominator > 0, 0.0)


def webleaper_sft_keep(rollouts: pd.DataFrame, *, min_isr: float = 0.3, min_ise: float = 0.1) -> pd.Series:
    """WebLeaper's SFT curation (same README, lines 54-71 and 148): keep a trajectory when its Information-Seeking
    Rate ``ISR = found / targets`` exceeds ``min_isr`` and its Information-Seeking Efficiency ``ISE = found /
    action steps`` exceeds ``min_ise`` (the README's example values 0.3 and 0.1). Here the targets are the
    reference's actions (``recall`` of them found; ``reference_tool_calls`` of them) and the action steps the tool
    calls; a rollout with no tool call has ISE 0."""
    missing = rollouts["recall"].isna() | rollouts["reference_tool_calls"].isna()
    if missing.any():
        row = int(np.flatnonzero(missing.to_numpy())[0])
        raise ValueError(
            f"rollouts row {row + 1}: WebLeaper's filter needs a target set (recall, reference_tool_calls)"
        )
    found = rollouts["recall"].astype(float) * rollouts["reference_tool_calls"].astype(float)
    calls = rollouts["tool_calls"].astype(float)
    efficiency = (found / calls.where(calls > 0)).fillna(0.0)
    return (rollouts["recall"].astype(float) > min_isr) & (efficiency > min_ise)


def slimsearcher(rollouts: pd.DataFrame, *, tool_weight: float = 0.3, token_weight: float = 0.1) -> pd.Series:
    """SlimSearcher's Adaptive Reward Gating, as its abstract describes it (no code or constants released): a
    strict correctness gate (0 for a wrong rollout), then tool efficiency and then token efficiency relative to
    the cohort's correct rollouts: ``1 + tool_weight * (1 - tc / max tc) + token_weight * (1 - L / max L)``, the
    maxima over the cohort's correct rollouts (a term is 0 when its maximum is 0). The form and both weights are
    the project's choice; ``tool_weight > token_weight`` puts tool efficiency first."""
    correct = rollouts["correct"].astype(bool)
    total = pd.Series(1.0, index=rollouts.index)
    for column, weight in (("tool_calls", tool_weight), ("tokens", token_weight)):
        used = rollouts[column].astype(float)
        most = _cohort(rollouts, used.where(correct)).transform("max")
        share = (used / most.where(most > 0)).fillna(1.0)
        total += weight * (1.0 - share)
    return total.where(correct, 0.0)


def eapo(rollouts: pd.DataFrame, *, gamma: float = 0.995) -> pd.Series:
    """IterResearch's EAPO return: every round t of a T-round trajectory gets ``gamma^(T - t) * R_T`` (the
    reference README, a secondary source; no code released). One number per rollout: the first round's,
    ``gamma^(T - 1) * R_T`` with ``T`` the agent's turns and ``R_T`` its score (the project's choice). ``gamma``
    is not verified (0.99 to 0.999 are discussed); 0.995 is the project's choice."""
    if not 0 < gamma <= 1:
        raise ValueError(f"gamma must be in (0, 1], not {gamma!r}")
    return gamma ** (rollouts["turns"].astype(float) - 1) * rollouts["score"].astype(float)


def archer(rollouts: pd.DataFrame, *, gamma: float = 0.95) -> pd.Series:
    """ArCHer's 20 Questions reward: -1 per turn, 0 on the solving turn (YifeiZhou02/ArCHer@7c771a7,
    ``archer/environment/twenty_questions.py`` lines 81-86; ``gamma: 0.95`` in ``scripts/config/default.yaml``
    line 33). The discounted return from the first turn: ``-(1 - gamma^n) / (1 - gamma)`` with ``n = T - 1``
    penalised turns for a solved rollout and ``n = T`` otherwise: a pure turn-count penalty."""
    if not 0 < gamma <= 1:
        raise ValueError(f"gamma must be in (0, 1], not {gamma!r}")
    penalised = rollouts["turns"].astype(float) - rollouts["correct"].astype(float)
    if gamma == 1:
        return -penalised
    return -(1 - gamma**penalised) / (1 - gamma)


def agent_omit(rollouts: pd.DataFrame, *, env_weight: float = 0.8, omission_weight: float = 0.2) -> pd.Series:
    """Agent-Omit's reward ``0.8 * R_env + 0.2 * D``, ``D`` the share of characters saved by omission, added only
    when ``R_env > 0`` (usail-hkust/Agent-Omit@51fdb90, ``AgentOmit-Gym/agentenv/agentenv/envs/searchqa.py``, as
    ../shared/reference/context describes it; not mirrored here, no licence file). ``R_env`` is the score."""
    score = rollouts["score"].astype(float)
    saved = rollouts["omitted_share"].astype(float).fillna(0.0)
    return env_weight * score + np.where(score > 0, omission_weight * saved, 0.0)


#: Every reward by name; each takes a rollouts table and keyword constants. ``lead`` returns its advantage.
REWARDS: dict[str, Callable[..., pd.Series]] = {
    "binary": binary,
    "optima": optima,
    "lead": lead,
    "trace": trace,
    "webleaper": webleaper,
    "slimsearcher": slimsearcher,
    "eapo": eapo,
    "archer": archer,
    "agent_omit": agent_omit,
}
_RETURNS_ADVANTAGE = {"lead"}


# --- what the rewards teach ------------------------------------------------------------------------------------


def advantages(
    rollouts: pd.DataFrame,
    constants: Mapping[str, Mapping[str, object]] | None = None,
    rewards=tuple(REWARDS),
) -> pd.DataFrame:
    """One row per reward and rollout: the rollout's columns, its ``reward`` and GRPO ``advantage``.
    ``constants`` maps a reward's name to keyword constants (``{"eapo": {"gamma": 0.99}}``)."""
    table = check_rollouts(rollouts)
    constants = dict(constants or {})
    unknown = sorted(set(constants) - set(REWARDS)) + sorted(set(rewards) - set(REWARDS))
    if unknown:
        raise ValueError(f"unknown reward {unknown[0]!r}; known: {sorted(REWARDS)}")
    parts = []
    for name in rewards:
        value = REWARDS[name](table, **constants.get(name, {}))
        advantage = value if name in _RETURNS_ADVANTAGE else grpo_advantages(table, value)
        parts.append(table.assign(reward_name=name, reward=np.asarray(value, float), advantage=np.asarray(advantage)))
    return pd.concat(parts, ignore_index=True)


def _per_cohort_tau(frame: pd.DataFrame, x: str, y: str) -> pd.Series:
    def tau(group: pd.DataFrame) -> float:
        if group[x].nunique() < 2 or group[y].nunique() < 2:
            return np.nan
        return float(stats.kendalltau(group[x], group[y]).statistic)

    return frame.groupby("cohort")[[x, y]].apply(tau)


def _bootstrap_mean(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> tuple[float, float]:
    """95% percentile interval of the mean of ``values`` (NaN dropped) over resampled cohorts."""
    values = values[~np.isnan(values)]
    if len(values) < 2:
        return np.nan, np.nan
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def rank_agreement(table: pd.DataFrame, *, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """For each pair of rewards: the mean over cohorts of the within-cohort Kendall tau-b of their advantages
    (cohorts where either is constant are left out), with a bootstrap 95% interval over cohorts."""
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, not {n_boot!r}")
    wide = table.pivot_table(index=["cohort", "rollout"], columns="reward_name", values="advantage").reset_index()
    names = list(dict.fromkeys(table["reward_name"]))
    rng = np.random.default_rng(seed)
    rows = []
    for i, first in enumerate(names):
        for second in names[i:]:
            taus = _per_cohort_tau(wide, first, second).to_numpy(dtype=float) if first != second else np.ones(1)
            low, high = _bootstrap_mean(taus, n_boot, rng) if first != second else (1.0, 1.0)
            mean = float(np.nanmean(taus)) if np.isfinite(taus).any() else np.nan
            # both orders of the pair, in a fixed order (a set's would change with the hash seed)
            for a, b in [(first, second)] if first == second else [(first, second), (second, first)]:
                rows.append(dict(first=a, second=b, tau=mean, low=low, high=high, cohorts=int(np.isfinite(taus).sum())))
    return pd.DataFrame(rows)


def sign_reversals(table: pd.DataFrame) -> pd.DataFrame:
    """Per reward: the share of correct rollouts with a negative advantage and of wrong ones with a positive
    advantage, counted over cohorts holding both correct and wrong rollouts (elsewhere the binary reward
    teaches nothing, and no sign can be reversed against it)."""
    mixed = table.groupby(["reward_name", "cohort"])["correct"].transform(lambda c: 0 < c.sum() < len(c))
    rows = []
    for name in dict.fromkeys(table["reward_name"]):
        group = table[mixed & (table["reward_name"] == name)]
        right, wrong = group[group["correct"]], group[~group["correct"]]
        rows.append(
            dict(
                reward_name=name,
                cohorts=group["cohort"].nunique(),
                correct_rollouts=len(right),
                correct_negative=float((right["advantage"] < -_TIE).mean()) if len(right) else np.nan,
                wrong_rollouts=len(wrong),
                wrong_positive=float((wrong["advantage"] > _TIE).mean()) if len(wrong) else np.nan,
            )
        )
    return pd.DataFrame(rows)


def length_bias(table: pd.DataFrame, among: str = "wrong", cohorts: str = "all") -> pd.DataFrame:
    """Per reward: whether longer rollouts get larger advantages among the ``among`` ("wrong" or "right")
    rollouts of each cohort: the mean within-cohort Kendall tau-b of tokens and advantage, and the share of
    cohorts where it is positive (longer favoured) and negative (shorter favoured). ``cohorts="all_wrong"``
    keeps only the cohorts where no rollout is correct."""
    if among not in ("wrong", "right"):
        raise ValueError(f"among must be 'wrong' or 'right', not {among!r}")
    if cohorts not in ("all", "all_wrong"):
        raise ValueError(f"cohorts must be 'all' or 'all_wrong', not {cohorts!r}")
    frame = table
    if cohorts == "all_wrong":
        frame = frame[~frame.groupby(["reward_name", "cohort"])["correct"].transform("any")]
    frame = frame[frame["correct"] == (among == "right")]
    rows = []
    for name in dict.fromkeys(table["reward_name"]):
        taus = _per_cohort_tau(frame[frame["reward_name"] == name], "tokens", "advantage").dropna()
        rows.append(
            dict(
                reward_name=name,
                cohorts=len(taus),
                mean_tau=float(taus.mean()) if len(taus) else np.nan,
                longer_favoured=float((taus > 0).mean()) if len(taus) else np.nan,
                shorter_favoured=float((taus < 0).mean()) if len(taus) else np.nan,
            )
        )
    return pd.DataFrame(rows)


def selected_rollouts(table: pd.DataFrame) -> pd.DataFrame:
    """Per reward and cohort, what the reward prefers: the rollouts with the largest advantage, ties averaged
    (a tie is a uniform pick among them): correctness, tokens, tool calls and turns, and how many tied."""
    top = table.groupby(["reward_name", "cohort"])["advantage"].transform("max")
    best = table[table["advantage"] >= top - _TIE]
    picked = best.groupby(["reward_name", "cohort"], sort=False).agg(
        correct=("correct", "mean"),
        tokens=("tokens", "mean"),
        tool_calls=("tool_calls", "mean"),
        turns=("turns", "mean"),
        tied=("rollout", "size"),
    )
    return picked.reset_index()


def selection_summary(selected: pd.DataFrame, baseline: str = "binary") -> pd.DataFrame:
    """Per reward: the mean correctness, tokens, tool calls and turns of its preferred rollouts over cohorts,
    and their tokens, tool calls and turns as a ratio of the ``baseline`` reward's preferred rollouts."""
    means = selected.groupby("reward_name", sort=False)[["correct", "tokens", "tool_calls", "turns"]].mean()
    if baseline not in means.index:
        raise ValueError(f"the baseline reward {baseline!r} is not among {list(means.index)}")
    for column in ("tokens", "tool_calls", "turns"):
        base = means.loc[baseline, column]
        means[f"{column}_vs_{baseline}"] = means[column] / base if base > 0 else np.nan
    return means.reset_index()


def sensitivity(
    rollouts: pd.DataFrame,
    sweeps: Mapping[str, Mapping[str, list]],
    fixed: Mapping[str, Mapping[str, object]] | None = None,
) -> pd.DataFrame:
    """How the findings move with a reward's constants: for each reward, each constant and each value swept
    (the reward's other constants as in ``fixed``, else at their defaults), the sign-reversal rates, the wrong rollouts' length bias (all cohorts and
    all-wrong cohorts) and the preferred rollout's correctness and tokens against the binary reward's."""
    table = check_rollouts(rollouts)
    base = advantages(table, rewards=("binary",))
    base_pick = selected_rollouts(base)
    rows = []
    for name, constants in sweeps.items():
        for constant, values in constants.items():
            for value in values:
                chosen = {**(fixed or {}).get(name, {}), constant: value}
                scored = advantages(table, {name: chosen}, rewards=(name,))
                signs = sign_reversals(scored).iloc[0]
                wrong = length_bias(scored, "wrong").iloc[0]
                all_wrong = length_bias(scored, "wrong", "all_wrong").iloc[0]
                summary = selection_summary(pd.concat([base_pick, selected_rollouts(scored)])).set_index("reward_name")
                rows.append(
                    dict(
                        reward_name=name,
                        constant=constant,
                        value=value,
                        correct_negative=signs["correct_negative"],
                        wrong_positive=signs["wrong_positive"],
                        wrong_length_tau=wrong["mean_tau"],
                        all_wrong_length_tau=all_wrong["mean_tau"],
                        selected_correct=summary.loc[name, "correct"],
                        selected_tokens_vs_binary=summary.loc[name, "tokens_vs_binary"],
                    )
                )
    return pd.DataFrame(rows)
