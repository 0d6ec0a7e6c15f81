"""Metrics shared by the studies: coordination metrics of multi-agent runs (study 02) and cost and trajectory
efficiency metrics (study 04). Both read the RUNS and STEPS schemas."""
from .coordination_metrics import *  # noqa: F401,F403
from .coordination_metrics import __all__ as _coordination_all
from .efficiency import *  # noqa: F401,F403
from .efficiency import __all__ as _efficiency_all

__all__ = [*_coordination_all, *_efficiency_all]
