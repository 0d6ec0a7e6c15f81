"""Study 02: coordination topologies and error amplification (Kim et al., arXiv:2512.08296).

:mod:`.analysis` (tables and :func:`~.analysis.claims`), :mod:`.figures` (one function per saved figure) and
:mod:`.laws` (the paper's turn and message-density laws, their fits, the failure-rate ratio); the orchestration
engine the experiment runs is :mod:`agenteff.engines.topologies`.
"""

from .analysis import *  # noqa: F401,F403
from .figures import *  # noqa: F401,F403
from .laws import *  # noqa: F401,F403
from .recorded import *  # noqa: F401,F403
