"""Engines several studies use: multi-agent orchestration (:mod:`.topologies`), the workflow simulator and planner
(:mod:`.workflows`), the answer sampler (:mod:`.sampling`) and resumable sweeps, locally or on Dask (:mod:`.sweep`).

Engines import the core, :mod:`agenteff.datasets`, :mod:`agenteff.llm` and :mod:`agenteff.metrics`, never a study.
"""
