"""Study 10: efficiency-aware rewards (Optima, LEAD, HyperEyes TRACE, WebLeaper, SlimSearcher, IterResearch EAPO,
ArCHer, Agent-Omit) scored on the same real cohorts of rollouts.

The rewards themselves are shared metrics (:mod:`agenteff.metrics.rewards`); ``analysis`` builds the cohorts from
the collection's data (ZeroEval MATH level 5, tau-bench airline) and measures what each reward teaches;
``figures`` draws the notebook's figures; ``claims`` sets the audits and the papers' headlines in one table.
"""

from . import analysis, figures
from .analysis import *  # noqa: F401,F403
from .claims import claims
from .figures import *  # noqa: F401,F403

NOTEBOOK = "10_efficiency_rewards"

__all__ = ["NOTEBOOK", "claims", *analysis.__all__, *figures.__all__]
