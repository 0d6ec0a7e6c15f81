"""Study 06: early termination and the energy cost of local agents (AgentStop, arXiv:2605.15206).

``traces`` turns RUNS and STEPS into the predictor's input (any user's traces with per-step log-probabilities
too); ``predictor`` is the per-step failure classifier, its operating points and the paper's energy accounting;
``overhead`` the agent's cost against one inference, cache use, step caps and EQA; ``analysis`` ties them
together; ``figures`` draws the notebook's figures and ``claims`` builds its claims table.
"""

from . import analysis, figures, overhead, predictor, traces
from .analysis import *  # noqa: F403
from .claims import claims
from .figures import *  # noqa: F403
from .overhead import *  # noqa: F403
from .predictor import *  # noqa: F403
from .traces import *  # noqa: F403

NOTEBOOK = "06_early_termination"

__all__ = [
    "NOTEBOOK",
    "claims",
    *analysis.__all__,
    *figures.__all__,
    *overhead.__all__,
    *predictor.__all__,
    *traces.__all__,
]
