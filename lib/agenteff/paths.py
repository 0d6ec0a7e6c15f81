"""Where the project keeps things. Each location can be moved with an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository checkout (lib/agenteff/paths.py -> three levels up); the package is installed in editable mode.
REPO_ROOT = Path(__file__).resolve().parents[2]


def _env_path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser().resolve() if value else default


def data_dir() -> Path:
    """Data carried in the repository (published figures with their data cards, prices)."""
    return _env_path("AGENTEFF_DATA_DIR", REPO_ROOT / "data")


def figures_dir() -> Path:
    """Root of figures/<notebook>/ output folders."""
    return _env_path("AGENTEFF_FIGURES_DIR", REPO_ROOT / "figures")


def cache_dir() -> Path:
    """Downloads, LLM response caches and run stores (never committed)."""
    return _env_path("AGENTEFF_CACHE_DIR", REPO_ROOT / ".cache")


def notebooks_dir() -> Path:
    return REPO_ROOT / "notebooks"
