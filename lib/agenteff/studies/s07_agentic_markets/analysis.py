"""Study 07's analyses in one place: the Magentic baselines (:mod:`.magentic`), the Agent Bazaar scores
(:mod:`.bazaar`) and the simulated mechanisms with the LLM assistants (:mod:`.simulations`)."""

from . import bazaar, magentic, simulations
from .bazaar import *  # noqa: F403
from .magentic import *  # noqa: F403
from .simulations import *  # noqa: F403

__all__ = [*magentic.__all__, *bazaar.__all__, *simulations.__all__]
