"""Study 05: budget- and deadline-constrained workflow planning (MCPP, arXiv:2605.06110).

:mod:`.dag` holds workflow DAGs over node templates and their JSON exchange format, :mod:`.kernels` the compiled
simulator and planner, :mod:`.policies` the policies (Seq-k, static budget splits, MCPP) and their evaluation,
:mod:`.study` the budget x deadline grid and its summaries.
"""
from .dag import (TEMPLATE_FIELDS, Dag, Instance, chain_dag, layered_dag, load_instances, portfolio,
                  save_instances)
from .policies import MCPP, SPLIT_RULES, Seq, StaticSplit, evaluate, plan_decision, simulate

__all__ = ["TEMPLATE_FIELDS", "Dag", "Instance", "chain_dag", "layered_dag", "load_instances", "portfolio",
           "save_instances", "MCPP", "SPLIT_RULES", "Seq", "StaticSplit", "evaluate", "plan_decision", "simulate"]
