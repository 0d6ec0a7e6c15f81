"""Study 06's claims table: the paper's headline (waste reduction under a utility-drop bound) at the evaluation
folds' and the training folds' thresholds and under three labellings, the agent's overhead, cache use, step cap,
spend on questions the bare model answers, EQA and the grader's agreement with the authors' judge."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ... import report
from ...report import PaperValues

__all__ = ["claims"]


def _pct(value) -> str:
    return "no point under the bound" if pd.isna(value) else f"{value:.1f}%"


def _point(best: pd.DataFrame, method: str) -> pd.Series:
    return best.set_index("method").loc[method]


def _described(row: pd.Series) -> str:
    return (
        f"step k={row['k']:.0f}, FPR target {row['fpr_target']:.2f}: waste reduction "
        f"{row['waste_reduction_pct']:.1f}% [{row['waste_reduction_low']:.1f}, {row['waste_reduction_high']:.1f}], "
        f"drop {row['performance_drop_pct']:.1f}% [{row['performance_drop_low']:.1f}, "
        f"{row['performance_drop_high']:.1f}]"
    )


def claims(
    paper: PaperValues,
    *,
    best: pd.DataFrame,
    best_training: pd.DataFrame,
    sensitivity: pd.DataFrame,
    overhead: pd.DataFrame,
    cache: pd.DataFrame,
    cap_hits: pd.DataFrame,
    cap: int,
    spend: pd.DataFrame,
    eqa_ranks: dict,
    agreement: Mapping,
    max_drop_pct: float = 5.0,
) -> list[dict]:
    """The claims table of notebook 06 from the study's results and the paper values (``paper``).

    ``agreement``: one row of :func:`agenteff.metrics.answers.grader_agreement`'s summary (``n, judge_accuracy,
    grader_accuracy, agreement, cohen_kappa``).
    """
    ours, random = _point(best, "agentstop"), _point(best, "random")
    deployable = _point(best_training, "agentstop")
    energy = overhead.set_index("quantity")
    tokens = energy.loc["completion tokens per task"]
    whole, first = energy.loc["energy per task"], energy.loc["energy of the run's first LLM call"]
    unnecessary = spend.set_index("bare_correct").loc[True]
    rows = [
        report.claim(
            "agentstop/waste-reduction",
            f"AgentStop waste reduction at < {max_drop_pct:g}% utility drop (FRAMES, Qwen3-1.7B)",
            paper["agentstop/waste-reduction"],
            round(float(ours["waste_reduction_pct"]), 2),
            tolerance=0,
            note=f"best over steps and FPR targets, thresholds on the evaluation fold as the paper; "
            f"{_described(ours)}; a random score reaches {random['waste_reduction_pct']:.1f}% "
            f"the same way",
        ),
        report.claim(
            "agentstop/waste-reduction-cais",
            "the same, as the CAIS programme page states it",
            paper["agentstop/waste-reduction-cais"],
            round(float(ours["waste_reduction_pct"]), 2),
            tolerance=0,
            note="same operating point as the row above",
        ),
        report.claim(
            "agentstop/utility-drop",
            "utility drop at that operating point",
            paper["agentstop/utility-drop"],
            round(float(ours["performance_drop_pct"]), 2),
            tolerance=0,
            note=f"bootstrap 95% interval [{ours['performance_drop_low']:.1f}, "
            f"{ours['performance_drop_high']:.1f}]: the bound is met by construction of the search",
        ),
        report.claim(
            "agentstop/waste-reduction-training-thresholds",
            f"AgentStop waste reduction at < {max_drop_pct:g}% drop, thresholds from training folds",
            paper["agentstop/waste-reduction"],
            round(float(deployable["waste_reduction_pct"]), 2),
            tolerance=0,
            note=f"what a deployed supervisor could pick in advance; {_described(deployable)}",
        ),
    ]
    for row in sensitivity.itertuples(index=False):
        rows.append(
            report.claim(
                f"agentstop/waste-reduction-labels-{row.labels}",
                f"AgentStop waste reduction at < {max_drop_pct:g}% drop, labels: {row.labels}",
                paper["agentstop/waste-reduction"],
                round(float(row.agentstop_waste_reduction_pct), 2),
                tolerance=0,
                note=f"{row.successes} successful runs ({100 * row.success_rate:.1f}%); random score "
                f"{_pct(row.random_waste_reduction_pct)}, stop-all {_pct(row.stop_all_waste_reduction_pct)}",
            )
        )
    rows += [
        report.claim(
            "overhead/energy-per-task",
            "agent vs single inference: energy per task",
            paper["agentstop/agent-overhead"],
            round(float(whole["agent_mean"]), 1),
            unit="mWh",
            status="not reproducible",
            note=f"the bare-LLM files record no energy; an agent run uses "
            f"{whole['agent_mean'] / first['agent_mean']:.1f}x the energy of its own first LLM call",
        ),
        report.claim(
            "overhead/completion-tokens",
            "agent vs single inference: completion tokens per task",
            paper["agentstop/agent-overhead"],
            round(float(tokens["agent_over_bare"]), 1),
            unit="x",
            status="reproduced" if tokens["agent_over_bare"] >= 2 else "differs",
            note=f"agent {tokens['agent_mean']:.0f} vs bare {tokens['bare_mean']:.0f} tokens per task "
            f"(bare counted with cl100k_base); 'far more' read as at least 2x",
        ),
        report.claim(
            "cache/utilisation",
            "prompt-cache utilisation over all agent calls",
            None,
            round(float(cache.loc[cache["step"] == "all", "prompt_cache_utilization"].iloc[0]), 3),
            unit="fraction",
            note="cached / prompt tokens, pooled (PANDO's metric)",
        ),
        report.claim(
            "step-cap/runs-hitting",
            f"runs that hit the step cap ({cap} steps)",
            paper["agentstop/qa-max-steps"],
            int(cap_hits.loc[cap_hits["hit_step_cap"], "runs"].sum()),
            unit="runs",
            status="new",
            note=f"{100 * cap_hits.loc[cap_hits['hit_step_cap'], 'share_of_runs'].sum():.1f}% of runs; "
            "the paper value is the cap itself",
        ),
        report.claim(
            "spend/bare-model-correct",
            "agent energy spent on questions the bare model answers correctly",
            None,
            round(float(100 * unnecessary["energy_share"]), 2),
            unit="% of energy",
            note=f"{unnecessary['runs']:.0f} runs, {unnecessary['mean_steps']:.2f} LLM calls each, agent "
            f"success {100 * unnecessary['agent_success_rate']:.1f}% there (arXiv:2506.00886)",
        ),
        report.claim(
            "eqa/kendall-tau",
            "EQA vs success: Kendall tau between the orderings of question groups",
            None,
            round(float(eqa_ranks["kendall_tau"]), 3),
            unit="tau",
            note=f"{eqa_ranks['pairs_swapped']} of {eqa_ranks['pairs_total']} group pairs ordered "
            f"differently; {eqa_ranks['close_in_success_separated_by_eqa']} pairs within one SE "
            "in success are separated by EQA",
        ),
        report.claim(
            "grader/agreement",
            "grader agreement with the authors' judge (bare-LLM answers on FRAMES)",
            None,
            round(float(agreement["agreement"]), 3),
            unit="fraction",
            note=f"Cohen's kappa {agreement['cohen_kappa']:.3f} over {agreement['n']:.0f} answers; judge accuracy "
            f"{agreement['judge_accuracy']:.3f}, grader accuracy {agreement['grader_accuracy']:.3f}",
        ),
    ]
    return rows
