"""Test set-up shared by unit tests (tests/) and nbval (notebooks/); at the root so both see it.

Kernels started by nbval inherit this process's environment, so the settings below reach the notebooks too:
the offline mirror of the pinned data files (when ../shared/mirror exists beside the checkout) and no progress
bars (their text varies run to run).
"""

import os

import pytest

from agenteff.paths import REPO_ROOT

SHARED = REPO_ROOT.parent / "shared"
_mirror = SHARED / "mirror"
if _mirror.is_dir():
    os.environ.setdefault("AGENTEFF_MIRROR", str(_mirror))
os.environ["TQDM_DISABLE"] = "1"


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
