"""Notebook parameters: ``fast`` picks smaller defaults only for the parameters the user did not set.

A study's parameters cell leaves every size that ``fast`` shrinks at ``None`` and says both defaults in its
comment; the study module declares them once, ``DEFAULTS = {"n_boot": (2000, 300)}`` (full run, fast run), and
the notebook settles them in one call::

    n_boot = None  # bootstrap replicates (default 2000; 300 when fast)
    ...
    settings = params.settle(s04.DEFAULTS, fast, n_boot=n_boot)
    settings.n_boot   # 2000, 300 when fast, or whatever the user passed (-p n_boot 500)
"""

from __future__ import annotations

from types import SimpleNamespace

__all__ = ["settle"]


def settle(defaults: dict[str, tuple], fast: bool, **given) -> SimpleNamespace:
    """``given`` values, with each ``None`` replaced by its full-run default, or its fast default when ``fast``."""
    if not isinstance(fast, bool):
        raise TypeError(f"fast must be True or False, not {fast!r}")
    unknown = set(given) - set(defaults)
    if unknown:
        raise KeyError(f"no default declared for {sorted(unknown)}; declared: {sorted(defaults)}")
    settled = {name: pair[1] if fast else pair[0] for name, pair in defaults.items()}
    settled.update({name: value for name, value in given.items() if value is not None})
    return SimpleNamespace(**settled)
