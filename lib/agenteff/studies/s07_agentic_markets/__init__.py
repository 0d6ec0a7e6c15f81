"""Study 07: agentic markets -- Magentic Marketplace (arXiv:2510.25779) and Agent Bazaar (arXiv:2605.17698).

:mod:`.magentic` (the released markets and their welfare baselines), :mod:`.bazaar` (the released outcomes and
their scores), :mod:`.simulations` (the simulated mechanisms and the LLM assistants), :mod:`.figures` (one figure
function per saved figure) and :mod:`.claims` (the claims table; :mod:`.analysis` gathers the analyses).
``DEFAULTS`` holds the notebook's sizes, full run first and fast run second (see :func:`agenteff.params.settle`).
"""

from . import analysis, figures
from .analysis import *  # noqa: F403
from .claims import claims
from .figures import *  # noqa: F403

NOTEBOOK = "07_agentic_markets"

DEFAULTS = {
    "replicates": (400, 60),  # re-runs of the authors' 1,000 random draws per market
    "n_boot": (2000, 300),  # bootstrap resamples of the Bazaar scores
    "n_customers": (400, 100),  # customers per simulated market
    "n_market_seeds": (5, 2),  # simulated markets per consideration-set size
    "n_llm_customers": (100, 30),  # customers whose assistant is an LLM (one call each per setting)
    "n_crash_seeds": (20, 5),  # THE_CRASH runs per setting
    "max_tokens": (64, 32),  # each LLM assistant's reply limit ("ACCEPT n"; room for a sentence before it)
}

__all__ = ["NOTEBOOK", "DEFAULTS", "claims", *analysis.__all__, *figures.__all__]
