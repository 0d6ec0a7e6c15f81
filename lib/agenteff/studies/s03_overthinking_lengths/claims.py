"""Study 03's claims table, one row per claim under a stable key (``zeroeval/...``, ``samples/...``, ``lead/...``,
``demo/...``)."""

from __future__ import annotations

import pandas as pd

from ... import report
from ...engines import sampling
from .analysis import _TOKENS, LEAD_AES_KEY, answering_model, cut_short_share, is_simulated

__all__ = ["claims"]

_SIMULATED_NOTE = (
    'simulated endpoint: illustrates the pipeline, not a model; samples_source="recorded" shows a real one'
)


def _zeroeval_claims(check, tolerance, differences, gaps, ranks, difficulty_rho, groups) -> list[dict]:
    only_protocol = int((differences["direction"] == "only correct").sum())
    only_strict = int((differences["direction"] == "only strict_correct").sum())
    not_found = int((differences["reason"] == "not_found").sum())
    relative = gaps.loc["relative length"]
    share = "quarter" if len(ranks) == 4 else f"1/{len(ranks)}"
    return [
        report.claim(
            "zeroeval/protocol-matches",
            f"ZeroEval math-l5: models whose protocol accuracy matches the published summary within "
            f"{tolerance:g} points",
            len(check),
            int(check["within_tolerance"].sum()),
            "models",
            tolerance=0,
            note=f"repository protocol re-implemented from its description; {len(check)} result files",
        ),
        # the summary is the published reference: a faithful re-implementation differs from it by nothing
        report.claim(
            "zeroeval/accuracy-difference",
            "ZeroEval math-l5: largest |accuracy difference| to the summary",
            0.0,
            round(float(check["accuracy_difference"].abs().max()), 2),
            "points",
            tolerance=tolerance,
        ),
        report.claim(
            "zeroeval/reasoning-length-difference",
            "ZeroEval math-l5: largest |mean reasoning length difference| to the summary",
            0.0,
            round(float(check["reasoning_chars_difference"].abs().max()), 2),
            "characters",
            tolerance=tolerance,
            note="characters of the reasoning field, answered items only",
        ),
        report.claim(
            "zeroeval/grader-disagreements",
            "ZeroEval math-l5: answers the first-number protocol and the strict grader judge differently",
            None,
            len(differences),
            "answers",
            note=f"{only_protocol} protocol-only correct (first number matches, value differs), "
            f"{only_strict} strict-only correct, {not_found} of them answers the protocol did not find",
        ),
        report.claim(
            "zeroeval/wrong-longer-share",
            "ZeroEval: share of problems where wrong answers are longer than right ones (relative length, "
            "within problem)",
            None,
            round(float(relative["share_incorrect_longer"]), 4),
            "share of problems",
            note=f"{int(relative['problems'])} problems with both; geometric mean ratio "
            f"{relative['geometric_mean_ratio']:.3f}; Wilcoxon p={relative['p_value']:.2g}",
        ),
        report.claim(
            "zeroeval/short-vs-long-accuracy",
            f"ZeroEval: accuracy of the shortest vs the longest {share} of answers within problem",
            None,
            round(float(ranks["accuracy"].iloc[0] - ranks["accuracy"].iloc[-1]), 4),
            "accuracy difference",
            note=f"within-problem rank of relative length, {len(ranks)} bins",
        ),
        report.claim(
            "zeroeval/difficulty-length-rho",
            "ZeroEval: correlation of problem difficulty and median relative answer length",
            None,
            round(float(difficulty_rho), 3),
            "Spearman rho",
            note="difficulty = share of models failing",
        ),
        report.claim(
            "zeroeval/o1-accuracy-gap",
            "ZeroEval: mean accuracy of the o1 models minus that of the others (strict grader)",
            None,
            round(float(groups.loc[True, "mean_accuracy"] - groups.loc[False, "mean_accuracy"]), 2),
            "points",
            note="visible outputs only: the o1 models' hidden reasoning tokens are not in the data",
        ),
    ]


def _sampling_claims(stats_table, savings, multi, policies, paper) -> list[dict]:
    simulated = is_simulated(multi)
    status = "not reproducible" if simulated else None  # a simulation is not a measurement of any model
    why = (
        _SIMULATED_NOTE
        if simulated
        else f"{answering_model(multi)}, {multi['method'].iloc[0]}, {multi['problem_id'].nunique()} problems of "
        f"{multi['dataset'].iloc[0]}: "
        + (
            "a 135M model on easy problems, not a reasoning model on MATH"
            if multi["dataset"].iloc[0] == sampling.ARITHMETIC_DATASET
            else "one live run, not the papers' models"
        )
    )
    correct_spread = stats_table[stats_table["n_correct"] >= 2]
    shortest = policies.set_index("rule").loc["shortest"]
    return [
        report.claim(
            "samples/accuracy",
            "Multi-sample run: accuracy of all samples",
            None,
            round(float(multi["correct"].mean()), 3),
            "share",
            status=status,
            note=f"{why}; share of replies cut at max_tokens {cut_short_share(multi):.3f}",
        ),
        report.claim(
            "samples/correct-length-range",
            "Correct paths vary in length: median longest/shortest correct length per problem (2506.15647)",
            None,
            round(float(correct_spread["range_ratio_correct"].median()), 3) if len(correct_spread) else None,
            "ratio",
            status=status,
            note=f"{why}; {len(correct_spread)} problems with two or more correct samples",
        ),
        report.claim(
            "samples/shortest-to-mean-correct",
            "Shortest correct vs mean correct length, median over problems (2506.15647)",
            None,
            round(float(savings["median_shortest_to_mean_correct"]), 3),
            "ratio",
            status=status,
            note=why if len(correct_spread) else f"{why}; 1 by construction: no problem has two correct samples",
        ),
        report.claim(
            "samples/oracle-tokens-saved",
            "Tokens saved by keeping the shortest correct sample (oracle), share of mean sample length",
            None,
            round(float(savings["share_saved_vs_mean"]), 3),
            "share",
            status=status,
            note=why,
        ),
        report.claim(
            "samples/shortest-aes",
            "AES of keeping the shortest of the k samples (grade-blind) against one random sample",
            None,
            round(float(shortest["aes_vs_random"]), 3),
            "AES",
            status=status,
            note=f"{why}; accuracy {shortest['accuracy']:.3f} at mean length {shortest['mean_length']:.1f} tokens",
        ),
        report.claim(
            "lead/aes-1.5b-4k",
            "LEAD 1.5B-4K: AES reported in Table 1 (LEAD README)",
            paper[LEAD_AES_KEY],
            None,
            note="needs the trained checkpoint and a GPU; the AES formula is implemented and unit-tested",
        ),
    ]


def _demo_claims(efficiency) -> list[dict]:
    note = f"{len(efficiency)} demo responses, not the paper's evaluation set; {_TOKENS}"
    return [
        report.claim(
            "demo/outcome-efficiency",
            "Demo responses: mean outcome efficiency (Chen et al. definition)",
            None,
            round(float(efficiency["outcome_efficiency"].mean()), 3),
            "share",
            note=note,
        ),
        report.claim(
            "demo/process-efficiency",
            "Demo responses: mean process efficiency (Chen et al. definition)",
            None,
            round(float(efficiency["process_efficiency"].mean()), 3),
            "share",
            note=note,
        ),
    ]


def claims(
    paper: report.PaperValues,
    *,
    check: pd.DataFrame,
    differences: pd.DataFrame,
    gaps: pd.DataFrame,
    ranks: pd.DataFrame,
    difficulty_rho: float,
    groups: pd.DataFrame,
    stats_table: pd.DataFrame,
    savings: pd.Series,
    multi: pd.DataFrame,
    policies: pd.DataFrame,
    efficiency: pd.DataFrame,
    tolerance: float = 0.5,
) -> list[dict]:
    """The claims table of study 03. ``paper``: the published values (:func:`agenteff.datasets.paper_values`).

    ``check`` from :func:`protocol_check` (with ``tolerance``), ``differences`` from :func:`grader_differences`,
    ``gaps`` from :func:`gap_summary`, ``ranks`` from :func:`accuracy_by_length_rank`, ``difficulty_rho`` from
    :func:`difficulty_length_correlation`, ``groups`` from :func:`reasoning_vs_rest`; ``stats_table``
    (:func:`agenteff.metrics.samples.problem_length_stats`), ``savings`` (:func:`savings_summary`) and ``multi``
    (:func:`sample_problems`) and ``policies`` (:func:`selection_policies`) from the multi-sample run;
    ``efficiency`` from :func:`demo_round_efficiency`.
    """
    return [
        *_zeroeval_claims(check, tolerance, differences, gaps, ranks, difficulty_rho, groups),
        *_sampling_claims(stats_table, savings, multi, policies, paper),
        *_demo_claims(efficiency),
    ]
