"""Study 09: context management over long horizons -- IterResearch (arXiv:2511.07327), PANDO (arXiv:2605.24785),
Agent-Omit (arXiv:2602.04284), Terminus-4B (arXiv:2605.03195) and ReSum, on real traces.

``analysis`` measures context growth, cache use, loops and step overhead and re-costs the traces under each
context policy (the policies and metrics themselves are in :mod:`agenteff.metrics.context` and
:mod:`agenteff.metrics.context_policies`); ``figures`` draws the notebook's figures; ``claims`` builds its table.
``DEFAULTS`` holds the notebook's sizes, full run first and fast run second (see :func:`agenteff.params.settle`).
"""

from .analysis import *  # noqa: F401,F403
from .analysis import __all__ as _analysis_all
from .claims import claims
from .figures import *  # noqa: F401,F403
from .figures import __all__ as _figures_all

NOTEBOOK = "09_context_management"

DEFAULTS = {
    "n_boot": (2000, 300),  # bootstrap resamples of runs
    "horizon": (256, 64),  # longest horizon (agent calls) of the cost curves; 256 as in IterResearch's example
    "n_tasks": (6, 3),  # lookup tasks of the live A/B
}

__all__ = [*_analysis_all, *_figures_all, "claims", "NOTEBOOK", "DEFAULTS"]
