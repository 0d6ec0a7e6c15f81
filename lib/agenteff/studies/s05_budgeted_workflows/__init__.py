"""Study 05: budget- and deadline-constrained workflow planning (MCPP, arXiv:2605.06110)."""
from .analysis import *  # noqa: F401,F403
from .figures import *  # noqa: F401,F403
