"""Coordination metrics of multi-agent runs (study 02)."""
__all__ = []
