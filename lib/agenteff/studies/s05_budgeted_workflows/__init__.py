"""Study 05: budget- and deadline-constrained workflow planning (MCPP, arXiv:2605.06110).

:mod:`.analysis` (the grids, their summaries and :func:`~.analysis.claims`) and :mod:`.figures` (one function per
saved figure); the simulator and planner are :mod:`agenteff.engines.workflows`.
"""

from .analysis import *  # noqa: F401,F403
from .figures import *  # noqa: F401,F403
