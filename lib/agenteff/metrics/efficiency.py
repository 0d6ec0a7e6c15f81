"""Cost and trajectory efficiency metrics (study 04)."""
__all__ = []
