"""Progress bars for long work: tqdm's automatic bar (a widget in JupyterLab, text in a terminal).

Headless runs and tests set ``TQDM_DISABLE=1`` because a bar's text (rates, times) differs on every run and would
make stored notebook outputs churn. tqdm's notebook bar passes ``disable=False`` explicitly and so ignores that
variable; :func:`progress` reads it itself.
"""

from __future__ import annotations

import os

from tqdm.auto import tqdm

__all__ = ["progress"]


def progress(iterable=None, **options) -> tqdm:
    """A ``tqdm.auto`` bar, off when ``TQDM_DISABLE`` is set to a true value."""
    options.setdefault("disable", os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true", "yes"))
    return tqdm(iterable, **options)
