"""Study 02: coordination topologies and error amplification (Kim et al., arXiv:2512.08296).

:mod:`.analysis` (the experiment and its tables), :mod:`.figures` (one figure function per saved figure),
:mod:`.claims` (the claims table), :mod:`.laws` (the paper's turn and message-density laws, their fits, the
failure-rate ratio) and :mod:`.recorded` (the recorded real-model run); the orchestration engine the experiment runs is :mod:`agenteff.engines.topologies`.
"""

from . import analysis, figures, laws, recorded
from .analysis import *  # noqa: F403
from .claims import claims
from .figures import *  # noqa: F403
from .laws import *  # noqa: F403
from .recorded import *  # noqa: F403

NOTEBOOK = "02_coordination_topologies"

__all__ = ["NOTEBOOK", "claims", *analysis.__all__, *figures.__all__, *laws.__all__, *recorded.__all__]
