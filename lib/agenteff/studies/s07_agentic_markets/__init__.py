"""Study 07: agentic markets -- Magentic Marketplace (arXiv:2510.25779) and Agent Bazaar (arXiv:2605.17698).

``DEFAULTS`` holds the notebook's sizes, full run first and fast run second (see :func:`agenteff.params.settle`).
"""

from .bazaar import *  # noqa: F401,F403
from .claims import claims  # noqa: F401
from .figures import *  # noqa: F401,F403
from .magentic import *  # noqa: F401,F403
from .simulations import *  # noqa: F401,F403

DEFAULTS = {
    "replicates": (400, 60),  # re-runs of the authors' 1,000 random draws per market
    "n_boot": (2000, 300),  # bootstrap resamples of the Bazaar scores
    "n_customers": (400, 100),  # customers per simulated market
    "n_market_seeds": (5, 2),  # simulated markets per consideration-set size
    "n_llm_customers": (100, 30),  # customers whose assistant is an LLM (one call each per setting)
    "n_crash_seeds": (20, 5),  # THE_CRASH runs per setting
    "max_tokens": (64, 32),  # each LLM assistant's reply limit ("ACCEPT n"; room for a sentence before it)
}
