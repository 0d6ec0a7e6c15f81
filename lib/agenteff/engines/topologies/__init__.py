"""Multi-agent orchestration engine (used by studies 02 and 04): coordination topologies (Kim et al., 'Towards a Science of Scaling Agent Systems', arXiv:2512.08296).

* :mod:`.suites`: task suites with verifiable answers, parallelizable and sequential;
* :mod:`.architectures`: Single, Independent, Centralized, Decentralized and Hybrid as orchestration code over
  an OpenAI-compatible client, recording RUNS/STEPS trajectories;
* :mod:`.simagent`: the simulated agent the built-in endpoint plays (its behaviour, documented);
* :mod:`.experiment`: :func:`run_experiment`, the grid of runs over an endpoint (simulated by default), and
  :func:`record_trajectories`, study 02's recorded real-model run;
"""

from .architectures import ARCHITECTURES, DEFAULT_AGENTS, MULTI_AGENT_ARCHITECTURES, Limits, run_topology
from .experiment import (
    BEHAVIOUR,
    DEFAULT_MODELS,
    RECORDING,
    default_models,
    experiment_grid,
    record_trajectories,
    run_experiment,
)
from .suites import SUITES, Task, make_suite

__all__ = [
    "ARCHITECTURES",
    "MULTI_AGENT_ARCHITECTURES",
    "DEFAULT_AGENTS",
    "Limits",
    "run_topology",
    "BEHAVIOUR",
    "DEFAULT_MODELS",
    "default_models",
    "experiment_grid",
    "run_experiment",
    "RECORDING",
    "record_trajectories",
    "SUITES",
    "Task",
    "make_suite",
]
