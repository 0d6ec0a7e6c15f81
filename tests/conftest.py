"""Fixtures shared by the tests: the reference copies beside the checkout, one simulated server per module, and
one real llama-server per session."""

import os

import pytest

from agenteff.llm import local_server, sim_server
from agenteff.paths import REPO_ROOT

SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture
def shared_dir():
    """../shared beside the checkout (reference copies for cross-checks); the test skips when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared (reference copies) is not beside this checkout")
    return SHARED


@pytest.fixture(scope="module")
def sim_url(request):
    """The base URL of a simulated OpenAI-compatible server for the whole module, serving the module's
    ``SIM_MODELS`` (a list of :class:`agenteff.llm.SimModel`): each module says which models it needs, as data."""
    models = getattr(request.module, "SIM_MODELS", None)
    if not models:
        pytest.fail(f"{request.module.__name__} uses the sim_url fixture but defines no SIM_MODELS list")
    with sim_server(models) as url:
        yield url


@pytest.fixture(scope="session")
def llama_server_url():
    """The base URL of the real local server (llama-server with SmolLM2-135M) for the whole session. Skips where
    it is not set up, unless AGENTEFF_REQUIRE_LIVE=1 (set by .ci/run) makes that a failure."""
    if not local_server.server_binary().is_file():
        if os.environ.get("AGENTEFF_REQUIRE_LIVE") == "1":
            pytest.fail("AGENTEFF_REQUIRE_LIVE=1 but llama-server is not set up: run `python -m agenteff live-setup`")
        pytest.skip("llama-server is not set up here (python -m agenteff live-setup)")
    with local_server.local_server() as url:
        yield url
