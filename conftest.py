"""Test set-up shared by unit tests (tests/) and nbval (notebooks/); at the root so both see it (the tests' shared
fixtures are in tests/conftest.py).

Kernels started by nbval inherit this process's environment, so the settings below reach the notebooks too:
the offline mirror of the pinned data files (when ../shared/mirror exists beside the checkout) and no progress
bars (their text varies run to run).
"""

import os

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
