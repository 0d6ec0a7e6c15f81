"""agenteff: the helper library behind the agent-efficiency notebooks."""
__version__ = "0.1.0"
