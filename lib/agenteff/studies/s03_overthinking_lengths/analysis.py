"""Study 03: overthinking, reasoning length and accuracy (``notebooks/03_overthinking_lengths.ipynb``).

Three lines of work, tested on real outputs where released material allows:

* 'Exploring and Exploiting the Inherent Efficiency within Large Reasoning Models' (arXiv:2506.15647): correct
  reasoning paths of one problem vary widely in length, and the shortest correct one often suffices;
* LEAD (arXiv:2605.09806): per-problem target lengths from the model's own correct rollouts, a symmetric
  efficiency reward around them, and the Accuracy-Efficiency Score (AES);
* Chen et al., 'Do NOT Think That Much for 2+3=?' (arXiv:2412.21187): outcome and process efficiency.

Data: ZeroEval's MATH level-5 outputs (one answer per model and problem), graded under the repository's own
protocol (checked against its published summary) and by the strict grader of :mod:`agenteff.metrics.grading`;
multi-sample runs: by default the recorded samples of a real small model (SmolLM2-135M-Instruct on generated
arithmetic word problems, ``data/recorded/``), else LEAD's MATH test problems sampled live from an endpoint or from
the simulated reasoner of :mod:`agenteff.engines.sampling`; the overthinking authors' demo file of responses split into solution rounds.

The length analyses themselves are shared metrics (:mod:`agenteff.metrics.samples`); this module composes them
into the notebook's tables (its figures are in :mod:`.figures`, its claims table in :mod:`.claims`).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats

from ... import datasets, metrics, params
from ...datasets import zeroeval
from ...engines import sampling
from ...llm.endpoints import SIMULATED, Endpoint, resolve_endpoint
from ...metrics import grading, samples

__all__ = [
    "DEFAULTS",
    "PER_PROBLEM",
    "LEAD_AES_KEY",
    "zeroeval_answers",
    "protocol_check",
    "protocol_summary",
    "strict_grades",
    "grader_differences",
    "grader_summary",
    "accuracy_by_grader",
    "difference_reasons",
    "difference_examples",
    "strictly_graded",
    "model_lengths",
    "accuracy_length_correlation",
    "within_problem_gaps",
    "gap_summary",
    "accuracy_by_length_rank",
    "length_by_difficulty",
    "difficulty_length_correlation",
    "reasoning_vs_rest",
    "SAMPLE_SOURCES",
    "RECORDED_DATASET",
    "samples_source_for",
    "max_tokens_for",
    "settle",
    "MAX_TOKENS",
    "SIMULATED_MAX_TOKENS",
    "recorded_samples",
    "sample_problems",
    "is_simulated",
    "answering_model",
    "cut_short_share",
    "sampling_summary",
    "sample_length_stats",
    "correct_length_spread_table",
    "savings_summary",
    "selection_policies",
    "lead_bounds",
    "lead_targets_and_rewards",
    "lead_target_summary",
    "reward_table",
    "demo_round_efficiency",
    "demo_summary",
]

#: Sizes that ``fast`` shrinks: (full run, fast run). ``zeroeval_every`` keeps every n-th model of the summary
#: (and always the o1 models); ``n_problems`` and ``k`` size the multi-sample run.
DEFAULTS = {"zeroeval_every": (1, 10), "n_problems": (120, 30), "k": (8, 4)}
#: One problem across models: the unit of the within-problem comparisons of ZeroEval's answers.
PER_PROBLEM = ("dataset", "problem_id")
#: LEAD 1.5B-4K's AES, the paper value this study can only quote (data/published/overthinking/).
LEAD_AES_KEY = "lead/aes-1.5b-4k"
_TOKENS = f"tokens by {grading.TOKENIZER}"


# --- 1. ZeroEval under its own protocol ---------------------------------------------------------------------


def zeroeval_answers(every: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ZeroEval's answers (SAMPLES, graded by the repository's protocol) and its published summary, for every
    ``every``-th model of the summary plus the o1 models (``every=1``: all models)."""
    if not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a positive integer, not {every!r}")
    tables = datasets.tables("zeroeval-math-l5")
    answers, summary = tables["samples"], tables["summary"]
    keep = set(summary["model"].iloc[::every]) | set(zeroeval.REASONING_MODELS)
    return answers[answers["model"].isin(keep)], summary[summary["model"].isin(keep)]


def protocol_check(answers: pd.DataFrame, summary: pd.DataFrame, tolerance: float = 0.5) -> pd.DataFrame:
    """Per model: the protocol's accuracy and mean reasoning length beside the published summary's."""
    return zeroeval.protocol_vs_summary(answers, summary, tolerance=tolerance)


def protocol_summary(answers: pd.DataFrame, check: pd.DataFrame, tolerance: float = 0.5) -> str:
    """What the protocol check found, in a few lines: matches, largest differences, short result files."""
    problems = answers["problem_id"].nunique()
    short_files = check[check["items"] < problems]
    return "\n".join(
        [
            f"{answers['model'].nunique()} models, {problems} problems, {len(answers)} answers",
            f"accuracy within {tolerance:g} points of the summary: {int(check['within_tolerance'].sum())} of "
            f"{len(check)} models; largest difference {check['accuracy_difference'].abs().max():.2f} points",
            f"largest difference in mean reasoning length: {check['reasoning_chars_difference'].abs().max():.2f} "
            "characters",
            f"models differing by more than {tolerance:g} points: {int((~check['within_tolerance']).sum())}",
            "result files with fewer items than problems (the summary divides by the items present): "
            + ", ".join(f"{m} ({n})" for m, n in zip(short_files["model"], short_files["items"])),
        ]
    )


# --- 2. the strict grader beside the protocol ---------------------------------------------------------------


def strict_grades(answers: pd.DataFrame) -> pd.DataFrame:
    """``answers`` with token counts (tiktoken, where the data has none) and the strict grader's verdicts."""
    return grading.grade_samples(grading.fill_token_counts(answers))


def grader_differences(graded: pd.DataFrame) -> pd.DataFrame:
    """The answers the protocol and the strict grader judge differently, each with a reason."""
    return grading.verdict_differences(graded)


def grader_summary(graded: pd.DataFrame, differences: pd.DataFrame) -> str:
    return (
        f"items graded differently: {len(differences)} of {len(graded)} "
        f"({100 * len(differences) / len(graded):.1f}%); overall accuracy protocol "
        f"{100 * graded['correct'].astype(bool).mean():.2f}% vs strict {100 * graded['strict_correct'].mean():.2f}%"
    )


def accuracy_by_grader(graded: pd.DataFrame, differences: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Per model (most accurate first, by the summary): protocol, strict and published accuracy (%), and the
    number of its answers the two graders judge differently."""
    per_model = graded.groupby("model").agg(
        protocol_accuracy=("correct", "mean"), strict_accuracy=("strict_correct", "mean")
    )
    per_model["items_graded_differently"] = differences.groupby("model").size().reindex(per_model.index, fill_value=0)
    per_model[["protocol_accuracy", "strict_accuracy"]] *= 100
    per_model = per_model.join(summary.set_index("model")["accuracy"].rename("summary_accuracy"))
    return per_model.sort_values("summary_accuracy", ascending=False)


def difference_reasons(differences: pd.DataFrame) -> pd.DataFrame:
    """How many answers differ for each reason, and what the reason means."""
    reasons = differences.groupby(["direction", "reason"]).size().rename("items").reset_index()
    reasons["meaning"] = reasons["reason"].map(grading.DIFFERENCE_REASONS)
    return reasons


def difference_examples(differences: pd.DataFrame, per_reason: int = 2, width: int = 60) -> pd.DataFrame:
    """``per_reason`` answers graded differently for each reason, answers cut to ``width`` characters."""
    examples = (
        differences.sort_values(["reason", "model", "problem_id"])
        .groupby("reason")
        .head(per_reason)[
            ["reason", "model", "problem_id", "answer", "strict_answer", "gold", "correct", "strict_correct"]
        ]
    )
    return examples.assign(
        answer=examples["answer"].str.slice(0, width), strict_answer=examples["strict_answer"].str.slice(0, width)
    )


# --- 3. accuracy and length across models -------------------------------------------------------------------


def strictly_graded(graded: pd.DataFrame) -> pd.DataFrame:
    """The answers with ``correct`` set to the strict verdict and ``relative_length``: output tokens over the
    model's own median, so verbose and terse models are ranked on one scale."""
    strict = graded.assign(correct=graded["strict_correct"])
    strict["relative_length"] = samples.relative_length(strict, "completion_tokens")
    return strict


def model_lengths(strict: pd.DataFrame) -> pd.DataFrame:
    """Per model: accuracy (%), output lengths, whether it is a reasoning model and on the accuracy-length
    Pareto frontier."""
    by_model = samples.model_summary(strict, "completion_tokens")
    by_model["reasoning_model"] = by_model["model"].isin(zeroeval.REASONING_MODELS)
    by_model["on_frontier"] = metrics.pareto_frontier(by_model, cost="mean_length")["on_frontier"]
    by_model["accuracy"] *= 100
    return by_model


def accuracy_length_correlation(by_model: pd.DataFrame) -> float:
    """Spearman correlation of accuracy and mean output length across models."""
    return float(stats.spearmanr(by_model["accuracy"], by_model["mean_length"]).statistic)


# --- 4. correct vs incorrect length, within problem ---------------------------------------------------------


def within_problem_gaps(strict: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per problem with right and wrong answers: mean length of each, in relative length and in raw tokens."""
    return {
        name: samples.within_problem_gap(strict, column, by=PER_PROBLEM)
        for name, column in [("relative length", "relative_length"), ("tokens", "completion_tokens")]
    }


def gap_summary(gaps: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per length measure: how often and by how much wrong answers run longer than right ones."""
    return pd.DataFrame({name: samples.summarize_gap(table) for name, table in gaps.items()}).T


def accuracy_by_length_rank(strict: pd.DataFrame, bins: int = 4) -> pd.DataFrame:
    """Accuracy by within-problem rank of relative length, ``bins`` bins (1 = shortest)."""
    return samples.accuracy_by_length_rank(strict, "relative_length", by=PER_PROBLEM, bins=bins)


# --- 5. length against difficulty ---------------------------------------------------------------------------


def _model_groups(strict: pd.DataFrame) -> dict[str, pd.DataFrame]:
    reasoning = strict["reasoning_model"].astype(bool)
    return {"reasoning models": strict[reasoning], "other models": strict[~reasoning]}


def length_by_difficulty(strict: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """Median relative length and accuracy per difficulty bin (share of the models failing the problem), for
    the reasoning models and the others."""
    difficulty = samples.problem_difficulty(strict)
    return pd.concat(
        {
            name: samples.length_by_difficulty(frame, "relative_length", difficulty, bins=bins)
            for name, frame in _model_groups(strict).items()
        },
        names=["models"],
    ).reset_index(level=0)


def difficulty_length_correlation(strict: pd.DataFrame) -> float:
    """Spearman correlation, over problems, of difficulty (share of models failing) and median relative length."""
    difficulty = samples.problem_difficulty(strict)
    problem_length = strict.groupby(list(PER_PROBLEM))["relative_length"].median().rename("median_relative_length")
    both = difficulty.merge(problem_length.reset_index(), on=list(PER_PROBLEM))
    return float(stats.spearmanr(both["fail_share"], both["median_relative_length"]).statistic)


def reasoning_vs_rest(by_model: pd.DataFrame) -> pd.DataFrame:
    """Models, mean accuracy (%) and mean output tokens of the reasoning models (True) and the others (False)."""
    return by_model.groupby("reasoning_model").agg(
        models=("model", "size"), mean_accuracy=("accuracy", "mean"), mean_output_tokens=("mean_length", "mean")
    )


# --- 6. many samples per problem ----------------------------------------------------------------------------


#: Where the multi-sample run's samples come from (the ``samples_source`` parameter).
SAMPLE_SOURCES = ("recorded", "simulated", "live")
#: A live sample's completion limit when the user sets none (full run, fast run): room for a worked answer to a
#: MATH problem from a small model, which rarely stops by itself (the fast one keeps CI's live run short).
MAX_TOKENS = (256, 64)
#: The simulated reasoner's limit: a reasoning model's budget, above nearly all of its sampled lengths.
SIMULATED_MAX_TOKENS = 16384
#: The recorded samples of a real model, carried in data/recorded/ (card: data/recorded/README.md).
RECORDED_DATASET = "smollm2-135m-samples"


def samples_source_for(samples_source: str | None, endpoint: Endpoint) -> str:
    """The source to use with ``endpoint`` (from :func:`agenteff.llm.resolve_endpoint`): ``samples_source`` when
    given (checked against the endpoint), else "live" for a live endpoint and "recorded" for the simulated one."""
    if samples_source is None:
        return "recorded" if endpoint.simulated else "live"
    if samples_source not in SAMPLE_SOURCES:
        raise ValueError(f"samples_source must be one of {', '.join(SAMPLE_SOURCES)}, not {samples_source!r}")
    if samples_source == "live" and endpoint.simulated:
        raise ValueError(
            f"samples_source 'live' needs a live endpoint: give base_url (or set OPENAI_BASE_URL), not {endpoint.label}"
        )
    if samples_source == "simulated" and not endpoint.simulated:
        raise ValueError(
            f"samples_source 'simulated' runs on the simulated endpoint, but the endpoint is {endpoint.label} "
            f"(from the {endpoint.source}): give base_url='simulated'"
        )
    if samples_source == "recorded" and endpoint.source == "parameter" and not endpoint.simulated:
        raise ValueError("samples_source 'recorded' calls no endpoint: drop base_url, or ask for 'live'")
    return samples_source


def max_tokens_for(source: str, max_tokens: int | None, fast: bool = False) -> int | None:
    """The completion limit of each sample: ``max_tokens`` when given, else :data:`MAX_TOKENS` for a live run
    (the fast one when ``fast``) and :data:`SIMULATED_MAX_TOKENS` for the simulated reasoner, a reasoning model's
    budget that its long answers fit (None for the recorded samples, drawn at their own)."""
    if max_tokens is not None:
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise ValueError(f"max_tokens must be a positive integer, not {max_tokens!r}")
        return max_tokens
    if source == "live":
        return MAX_TOKENS[1] if fast else MAX_TOKENS[0]
    return SIMULATED_MAX_TOKENS if source == "simulated" else None


def settle(fast: bool, base_url: str | None = None, samples_source: str | None = None, **sizes) -> SimpleNamespace:
    """The notebook's settings, resolved once: the sizes of :data:`DEFAULTS` (see :func:`agenteff.params.settle`),
    the ``endpoint`` (from ``base_url``: None uses ``OPENAI_BASE_URL`` when set, else the simulated endpoint;
    "simulated" forces it), the multi-sample run's ``samples_source`` and its ``max_tokens``. An empty or malformed
    ``base_url`` is an error here, before any call."""
    max_tokens = sizes.pop("max_tokens", None)
    settings = params.settle(DEFAULTS, fast, **sizes)
    settings.endpoint = resolve_endpoint(base_url)
    settings.samples_source = samples_source_for(samples_source, settings.endpoint)
    settings.max_tokens = max_tokens_for(settings.samples_source, max_tokens, fast)
    return settings


def recorded_samples(k: int | None = None, n_problems: int | None = None) -> pd.DataFrame:
    """The recorded samples of SmolLM2-135M; ``k`` keeps the first k samples of each problem and ``n_problems``
    the first problems (by id), so a fast run can use fewer (None: all that were recorded)."""
    recorded = datasets.load(RECORDED_DATASET)
    if k is not None:
        recorded = recorded[recorded["sample_index"] < k]
    if n_problems is not None:
        recorded = recorded[recorded["problem_id"].isin(sorted(recorded["problem_id"].unique())[:n_problems])]
    return recorded.reset_index(drop=True)


def sample_problems(
    endpoint: Endpoint | None = None,
    model: str | None = None,
    k: int = 8,
    temperature: float = 0.7,
    n_problems: int | None = 120,
    seed: int = 42,
    samples_source: str | None = None,
    max_tokens: int | None = None,
    scheduler=None,
) -> pd.DataFrame:
    """The multi-sample run: the recorded samples of SmolLM2-135M (default; at most ``k`` per problem and
    ``n_problems`` problems), or ``k`` fresh graded samples of ``n_problems`` LEAD MATH test problems from the
    simulated reasoner or from ``model`` at a live ``endpoint`` (default: the model it serves), at most
    ``max_tokens`` each, run resumably (:func:`agenteff.engines.sampling.run_sampling`; ``scheduler``: a Dask
    scheduler address, else a local thread pool). ``endpoint`` None: the simulated endpoint."""
    endpoint = resolve_endpoint(SIMULATED) if endpoint is None else endpoint
    source = samples_source_for(samples_source, endpoint)
    if source == "recorded":
        return recorded_samples(k=k, n_problems=n_problems)
    return sampling.run_sampling(
        datasets.load("lead-math-test"),
        endpoint,
        model=model,
        k=k,
        temperature=temperature,
        n_problems=n_problems,
        seed=seed,
        max_tokens=max_tokens_for(source, max_tokens),
        scheduler=scheduler,
    )


def is_simulated(multi: pd.DataFrame) -> bool:
    return bool(multi["simulated"].all())


def answering_model(multi: pd.DataFrame) -> str:
    """The model the samples are from: the one asked, and the id its replies reported when that differs."""
    asked = str(multi["model"].iloc[0])
    served = multi["served_model"].dropna() if "served_model" in multi.columns else pd.Series(dtype=str)
    reported = sorted(set(served.astype(str)) - {asked})
    return f"{asked} (served as {', '.join(reported)})" if reported else asked


def cut_short_share(multi: pd.DataFrame) -> float:
    """Share of the samples the endpoint stopped at ``max_tokens`` (finish reason "length")."""
    return float((multi["finish_reason"] == "length").mean())


def sampling_summary(multi: pd.DataFrame) -> str:
    simulated = " (simulated)" if is_simulated(multi) else ""
    return (
        f"{len(multi)} samples of {multi['problem_id'].nunique()} problems ({multi['dataset'].iloc[0]}) from "
        f"{answering_model(multi)}{simulated}, {multi['method'].iloc[0]}; accuracy {multi['correct'].mean():.3f}; "
        f"problems solved at least once {multi.groupby('problem_id')['correct'].any().mean():.3f}; "
        f"cut at max_tokens {cut_short_share(multi):.3f}"
    )


def sample_length_stats(multi: pd.DataFrame) -> pd.DataFrame:
    """Per problem of the multi-sample run: samples, accuracy, and the spread of all and of correct lengths."""
    return samples.problem_length_stats(multi)


def correct_length_spread_table(stats_table: pd.DataFrame) -> pd.DataFrame:
    """Distribution over problems with two or more correct samples of the spread of correct lengths (coefficient
    of variation, longest/shortest)."""
    spread = stats_table[stats_table["n_correct"] >= 2]
    return spread[["cv_correct", "range_ratio_correct"]].describe()


def savings_summary(multi: pd.DataFrame) -> pd.Series:
    """Oracle savings of keeping the shortest correct sample (needs the grades): median shortest/mean-correct
    ratio and the share of tokens saved."""
    return samples.summarize_savings(samples.shortest_correct_savings(multi))


def selection_policies(multi: pd.DataFrame) -> pd.DataFrame:
    """Accuracy and mean length when one sample per problem is kept by a grade-blind rule, with each rule's AES
    against one random sample (the accuracy and mean length of all samples: what keeping any one sample gives on
    average). The AES is undefined (NaN) when no sample is right."""
    policies = samples.select_by_length(multi)
    base_accuracy, base_length = float(multi["correct"].mean()), float(multi["completion_tokens"].mean())
    if base_accuracy == 0:
        policies["aes_vs_random"] = np.nan
        return policies
    policies["aes_vs_random"] = samples.accuracy_efficiency_score(
        policies["accuracy"], policies["mean_length"], base_accuracy, base_length
    )
    return policies


def lead_bounds(multi: pd.DataFrame) -> tuple[float, float]:
    """LEAD's clamp of the target length (lower, upper; upper is also the unsolved target), in tokens.

    LEAD's own (1000, 8000) fit reasoning models with thousands of tokens to spend. Samples that carry their
    request's ``max_tokens`` (recorded and live ones) below LEAD's upper clamp get the clamp scaled to that
    budget, keeping LEAD's ratio: upper = ``max_tokens``, lower = upper * 1000 / 8000; otherwise LEAD's values
    (a sample cannot be longer than its budget, so a target above it would be out of reach)."""
    lower, upper = samples.LEAD_TARGET_BOUNDS
    if "max_tokens" in multi.columns and multi["max_tokens"].notna().all():
        budget = float(multi["max_tokens"].max())
        if budget < upper:
            return budget * lower / upper, budget
    return lower, upper


def lead_targets_and_rewards(multi: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LEAD's per-problem targets (with the ``lower_clamp`` and ``unsolved_target`` used, see :func:`lead_bounds`)
    and every sample with its efficiency reward."""
    lower, upper = lead_bounds(multi)
    targets = samples.lead_targets(multi, lower=lower, upper=upper, unsolved=upper)
    targets = targets.assign(lower_clamp=lower, unsolved_target=upper)
    return targets, samples.lead_rewards(multi, targets)


def lead_target_summary(targets: pd.DataFrame) -> str:
    lower, unsolved = targets["lower_clamp"].iloc[0], targets["unsolved_target"].iloc[0]
    return (
        f"problems at the lower clamp ({lower:g}): {int((targets['target_length'] == lower).sum())}, "
        f"unsolved ({unsolved:g}): {int((targets['n_correct'] == 0).sum())}, "
        f"of {len(targets)}"
    )


def reward_table(rewarded: pd.DataFrame) -> pd.DataFrame:
    """The efficiency reward's distribution for wrong (False) and right (True) samples."""
    return rewarded.groupby("correct")["efficiency_reward"].describe()[["count", "mean", "50%", "min", "max"]]


# --- 7. outcome and process efficiency on the demo rounds ---------------------------------------------------


def demo_round_efficiency(width: int = 50) -> pd.DataFrame:
    """Outcome and process efficiency of each response in the overthinking demo file, rounds counted in tokens
    of :data:`agenteff.metrics.grading.TOKENIZER`; the problem text is cut to ``width`` characters."""
    demo = datasets.tables("overthinking-demo")
    rounds = demo["rounds"].assign(tokens=lambda r: grading.count_tokens(r["text"]))
    responses = demo["responses"][["problem_id", "correct", "copies_in_file", "problem"]]
    efficiency = samples.round_efficiency(rounds).merge(responses, on="problem_id")
    return efficiency.assign(problem=efficiency["problem"].str.slice(0, width))


def demo_summary(efficiency: pd.DataFrame) -> str:
    return (
        f"mean outcome efficiency {efficiency['outcome_efficiency'].mean():.3f}, "
        f"mean process efficiency {efficiency['process_efficiency'].mean():.3f} over {len(efficiency)} responses"
    )
