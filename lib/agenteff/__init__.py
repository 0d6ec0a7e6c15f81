"""agenteff: the helper library behind the agent-efficiency notebooks."""

from . import _moved

__version__ = "0.2.0"
_moved.install()
