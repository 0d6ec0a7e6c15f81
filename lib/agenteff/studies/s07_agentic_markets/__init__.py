"""Study 07: agentic markets -- Magentic Marketplace (arXiv:2510.25779) and Agent Bazaar (arXiv:2605.17698)."""
from .bazaar import *  # noqa: F401,F403
from .magentic import *  # noqa: F401,F403
