"""Study 05: budget- and deadline-constrained workflow planning (MCPP, arXiv:2605.06110).

:mod:`.analysis` (the grids and their summaries), :mod:`.figures` (one figure function per saved figure) and
:mod:`.claims` (the claims table); the simulator and planner are :mod:`agenteff.engines.workflows`.
"""

from . import analysis, figures
from .analysis import *  # noqa: F403
from .claims import claims
from .figures import *  # noqa: F403

NOTEBOOK = "05_budgeted_workflows"

__all__ = ["NOTEBOOK", "claims", *analysis.__all__, *figures.__all__]
