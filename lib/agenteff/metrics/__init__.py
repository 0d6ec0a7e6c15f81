"""Metrics shared by the studies, grouped by the table they read.

* :mod:`.runs` -- RUNS (one row per agent run): cost-of-pass, pass^k, EQA, prompt-cache utilisation, ...
* :mod:`.steps` -- STEPS (one row per message or action): coordination metrics, trajectory counts, repetition
* :mod:`.samples` -- SAMPLES (one row per sampled answer): reasoning-length analyses
* :mod:`.frontier` -- the accuracy-cost Pareto frontier, for any table of systems
* :mod:`.grading` -- answer extraction and equivalence, token counts

The functions of ``runs``, ``steps`` and ``frontier`` are re-exported here (``metrics.cost_of_pass``);
``samples`` and ``grading`` are used as modules (``metrics.samples.within_problem_gap``).
"""
from . import grading, samples  # noqa: F401
from .answers import *  # noqa: F401,F403
from .frontier import *  # noqa: F401,F403
from .frontier import __all__ as _frontier_all
from .runs import *  # noqa: F401,F403
from .runs import __all__ as _runs_all
from .steps import *  # noqa: F401,F403
from .steps import __all__ as _steps_all
from .steps import __getattr__  # noqa: F401  (names moved to study 02 resolve, with a warning, until 0.3.0)

__all__ = [*_runs_all, *_steps_all, *_frontier_all]
