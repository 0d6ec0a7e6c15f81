"""Study 02: coordination topologies and error amplification (Kim et al., arXiv:2512.08296)."""
from .analysis import *  # noqa: F401,F403
from .figures import *  # noqa: F401,F403
from .published import paper_laws  # noqa: F401
