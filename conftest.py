"""Test set-up shared by unit tests (tests/) and nbval (notebooks/); at the root so both see it.

Kernels started by nbval inherit this process's environment, so the settings below reach the notebooks too:
the offline mirror of the pinned data files (when ../shared/mirror exists beside the checkout) and no progress
bars (their text varies run to run).
"""

import os

import pytest

from agenteff.llm import local_server
from agenteff.paths import REPO_ROOT

SHARED = REPO_ROOT.parent / "shared"
_mirror = SHARED / "mirror"
if _mirror.is_dir():
    os.environ.setdefault("AGENTEFF_MIRROR", str(_mirror))
os.environ["TQDM_DISABLE"] = "1"
# The stored notebooks and the fast tier are the embedded default run; a user's OPENAI_BASE_URL would switch
# every live study to their endpoint (the live tests take theirs from AGENTEFF_LIVE_URL instead).
os.environ.pop("OPENAI_BASE_URL", None)


def pytest_addoption(parser):
    parser.addoption(
        "--record-fast-claims",
        action="store_true",
        help="re-record tests/fast_claims.csv from fast runs instead of checking against it",
    )


@pytest.fixture
def shared_dir():
    """../shared beside the checkout (reference copies for cross-checks); the test skips when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared (reference copies) is not beside this checkout")
    return SHARED


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
