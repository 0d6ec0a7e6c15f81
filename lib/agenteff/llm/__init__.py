"""Live mode: calls to any OpenAI-compatible endpoint, and the simulated endpoint that stands in for one.

* :class:`LLMClient` (``client``): cache, concurrency, retries, cost, budgets over the ``openai`` SDK.
* :class:`SimModel`, :func:`sim_server` (``sim``): the simulated endpoint, ``python -m agenteff serve-sim``.
* :func:`resolve_endpoint`, :class:`Endpoint` (``endpoints``): where a study's calls go, decided once.

Names are imported on first use, so the simulated endpoint's process starts without loading the openai SDK.
"""

import importlib

_EXPORTS = {
    "LLMClient": "client",
    "ChatResult": "client",
    "BudgetExceeded": "client",
    "RetriesExhausted": "client",
    "SimModel": "sim",
    "sim_server": "sim",
    "default_behaviour": "sim",
    "approximate_tokens": "sim",
    "SIMULATED_FINGERPRINT": "sim",
    "Endpoint": "endpoints",
    "resolve_endpoint": "endpoints",
    "PriceTable": "pricing",
    "call_cost": "pricing",
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)


def __dir__():
    return __all__
