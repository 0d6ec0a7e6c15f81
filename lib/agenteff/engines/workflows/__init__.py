"""Workflow simulator and planner (used by study 05): budget- and deadline-constrained workflows (MCPP, arXiv:2605.06110).

:mod:`.dag` holds workflow DAGs over node templates and their JSON exchange format, :mod:`.kernels` the compiled
simulator and planner, :mod:`.policies` the policies (Seq-k, static budget splits, MCPP) and their evaluation.
"""

from .dag import TEMPLATE_FIELDS, Dag, Instance, chain_dag, layered_dag, load_instances, portfolio, save_instances
from .policies import MCPP, SPLIT_RULES, Seq, StaticSplit, evaluate, plan_decision, simulate

__all__ = [
    "TEMPLATE_FIELDS",
    "Dag",
    "Instance",
    "chain_dag",
    "layered_dag",
    "load_instances",
    "portfolio",
    "save_instances",
    "MCPP",
    "SPLIT_RULES",
    "Seq",
    "StaticSplit",
    "evaluate",
    "plan_decision",
    "simulate",
]
