"""Engines several studies use: multi-agent orchestration (:mod:`.topologies`), the workflow simulator and planner
(:mod:`.workflows`), the answer sampler (:mod:`.sampling`), resumable sweeps, locally or on Dask (:mod:`.sweep`),
and agentic markets (:mod:`.markets`: Magentic welfare accounting, marketplace and THE_CRASH simulations).

Engines import the core, :mod:`agenteff.datasets`, :mod:`agenteff.llm` and :mod:`agenteff.metrics`, never a study.
"""
