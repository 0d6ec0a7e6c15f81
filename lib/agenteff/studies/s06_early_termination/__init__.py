"""Study 06: early termination and the energy cost of local agents (AgentStop, arXiv:2605.15206).

``traces`` turns RUNS and STEPS into the predictor's input (any user's traces with per-step log-probabilities
too); ``predictor`` is the per-step failure classifier, its operating points and the paper's energy accounting;
``overhead`` the agent's cost against one inference, cache use, step caps and EQA; ``analysis`` ties them
together and builds the claims; ``figures`` draws the notebook's figures.
"""

from .analysis import *  # noqa: F401,F403
from .figures import *  # noqa: F401,F403
from .overhead import *  # noqa: F401,F403
from .predictor import *  # noqa: F401,F403
from .traces import *  # noqa: F401,F403
