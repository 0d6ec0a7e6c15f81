"""Where a study's model calls go, decided once: the one road from a notebook's ``base_url`` parameter to a client.

:func:`resolve_endpoint` turns the parameter into an :class:`Endpoint`:

* ``base_url=None`` (the notebooks' default): ``OPENAI_BASE_URL`` when it is set, else the built-in simulated
  endpoint, started on demand;
* ``base_url="simulated"``: the simulated endpoint even when ``OPENAI_BASE_URL`` is set;
* any other value must be an ``http(s)://host[:port][/path]`` URL; an empty or malformed one is an error that
  says what was given and what is expected (an empty string used to start a simulator with no models).

Every library entry point that calls a model takes the :class:`Endpoint`, never a URL and a separate "is it
simulated" test. The key is never part of it: a live endpoint's client reads ``OPENAI_API_KEY`` from the
environment of the process that makes the calls (so an Endpoint can be pickled to a worker without a secret).
Whether results are simulated is recorded in the data they produce (``simulated`` columns); figures, captions
and claim statuses read it from there.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from ..paths import cache_dir as cache_root
from ..secrets import redact

__all__ = ["Endpoint", "resolve_endpoint", "SIMULATED", "KEY_VARIABLE", "URL_VARIABLE"]

SIMULATED = "simulated"  # the base_url value that asks for the built-in simulated endpoint explicitly
URL_VARIABLE = "OPENAI_BASE_URL"
KEY_VARIABLE = "OPENAI_API_KEY"
_SIM_KEY = "sim"  # the simulated endpoint checks no key; the SDK insists on one


@dataclass(frozen=True)
class Endpoint:
    """An OpenAI-compatible endpoint: a live ``url`` (the key comes from ``OPENAI_API_KEY``), or the simulated
    endpoint (``simulated=True``; ``url`` is None until :meth:`serve` starts it)."""

    url: str | None
    simulated: bool
    source: str  # how it was chosen: "parameter", "environment" or "default"

    @property
    def label(self) -> str:
        """Where the calls went, for prose and captions: "the simulated endpoint" or the host (no path, no key)."""
        if self.simulated:
            return "the simulated endpoint"
        return urlsplit(self.url or "").netloc

    @property
    def cache_dir(self) -> Path:
        """The response cache of this endpoint's calls: one folder per live URL, since two servers may answer
        to the same model name with different weights."""
        if self.simulated:
            return cache_root() / "llm" / SIMULATED
        digest = hashlib.sha256((self.url or "").encode()).hexdigest()[:12]
        return cache_root() / "llm" / f"endpoint-{digest}"

    @contextlib.contextmanager
    def serve(self, sim_models: list | None = None, faults: dict | None = None) -> Iterator[Endpoint]:
        """``with endpoint.serve(models) as running:`` an Endpoint with a URL to call for the block. A live
        endpoint is itself; the simulated one is started serving ``sim_models`` (SimModel objects) and stopped
        after the block."""
        if not self.simulated:
            yield self
            return
        if not sim_models:
            raise ValueError("the simulated endpoint needs the SimModel objects it should serve")
        from .sim import sim_server

        with sim_server(list(sim_models), faults) as url:
            yield replace(self, url=url)

    def served_models(self) -> list[str]:
        """The model ids the running endpoint lists at ``/v1/models``; an endpoint that cannot be reached is a
        ConnectionError naming it (the SDK's own says only "Connection error.")."""
        import openai

        with self.client(cache=False, max_retries=1, timeout_s=30) as client:
            try:
                return client.list_models()
            except openai.APIConnectionError as exc:
                raise ConnectionError(
                    f"cannot reach the endpoint at {self.label} to list its models ({type(exc).__name__}): is the "
                    f"server running, and is base_url / {URL_VARIABLE} right?"
                ) from None

    def model_or_default(self, model: str | None) -> str:
        """``model`` when given; else the one model the running endpoint serves (llama-server and a single-model
        vLLM serve one), or an error listing what it serves."""
        if model:
            return model
        served = self.served_models()
        if len(served) != 1:
            raise ValueError(f"name the model to call at {self.label}: it serves {served or 'no models'}")
        return served[0]

    def client(self, **options):
        """An :class:`agenteff.llm.LLMClient` for this (running) endpoint. A live endpoint's key is read from
        ``OPENAI_API_KEY`` by the client; its replies are cached in :attr:`cache_dir` unless ``cache=False``."""
        if self.url is None:
            raise RuntimeError("the simulated endpoint is not running: make the client inside 'with endpoint.serve()'")
        from .client import LLMClient

        options.setdefault("cache_dir", self.cache_dir)
        api_key = _SIM_KEY if self.simulated else None
        return LLMClient(base_url=self.url, api_key=api_key, **options)


def resolve_endpoint(base_url: str | None = None, environ=None) -> Endpoint:
    """The endpoint a run uses, from its ``base_url`` parameter (see the module's docstring for the rules)."""
    environ = os.environ if environ is None else environ
    if base_url is None:
        from_env = environ.get(URL_VARIABLE)
        if from_env is None:
            return Endpoint(url=None, simulated=True, source="default")
        url = _checked_url(from_env, f"the environment variable {URL_VARIABLE}")
        return Endpoint(url=url, simulated=False, source="environment")
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a URL string, {SIMULATED!r} or None, not {type(base_url).__name__}")
    if base_url.strip().lower() == SIMULATED:
        return Endpoint(url=None, simulated=True, source="parameter")
    return Endpoint(url=_checked_url(base_url, "the parameter base_url"), simulated=False, source="parameter")


def _checked_url(value: str, where: str) -> str:
    expected = f"an http(s) URL such as http://127.0.0.1:8080/v1, or {SIMULATED!r} for the built-in simulated endpoint"
    text = value.strip()
    if not text:
        raise ValueError(f"{where} is empty: give {expected}")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = redact(text if len(text) <= 80 else text[:77] + "...")
        raise ValueError(f"{where} is not a URL ({shown!r}): give {expected}")
    if parts.username or parts.password:
        raise ValueError(f"{where} carries credentials in the URL: put the key in {KEY_VARIABLE} instead")
    try:
        parts.port  # noqa: B018 - raises on a non-numeric port
    except ValueError as exc:
        raise ValueError(f"{where} has a bad port ({exc}): give {expected}") from None
    return text.rstrip("/")
