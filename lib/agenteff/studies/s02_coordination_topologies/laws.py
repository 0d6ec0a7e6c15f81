"""Study 02's laws: the paper's turn law ``T = a (n + b)^c`` and message-density law ``S = a + b ln(c)``, their
fits to measured runs, and error amplification as the failure-rate ratio ``(1 - S_MAS) / (1 - S_SAS)`` of
published success rates (Kim et al., arXiv:2512.08296). The paper's own values are in the ``paper-values`` data set
(keys ``kim-scaling/turn-law-*``, ``kim-scaling/density-law-*``, ``kim-scaling/density-saturation``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import OptimizeWarning, curve_fit

from ...report import PaperValues

__all__ = [
    "PAPER_LAW_KEYS",
    "DENSITY_SATURATION_KEY",
    "density_saturation",
    "paper_law",
    "failure_rate_ratio",
    "turns_by_law",
    "fit_turn_law",
    "fit_density_law",
]

#: Paper-value keys of each law's parameters.
PAPER_LAW_KEYS = {
    "turn": {"a": "kim-scaling/turn-law-a", "b": "kim-scaling/turn-law-b", "c": "kim-scaling/turn-law-c"},
    "density": {"a": "kim-scaling/density-law-a", "b": "kim-scaling/density-law-b"},
}
DENSITY_SATURATION_KEY = "kim-scaling/density-saturation"


def paper_law(paper: PaperValues, law: str) -> dict[str, float]:
    """The paper's parameters of ``law`` (``"turn"`` or ``"density"``), ``{name: value}``."""
    if law not in PAPER_LAW_KEYS:
        raise ValueError(f"unknown law {law!r}; choose from {list(PAPER_LAW_KEYS)}")
    return {name: _point(paper, key) for name, key in PAPER_LAW_KEYS[law].items()}


def density_saturation(paper: PaperValues) -> float:
    """The paper's message density ``c*`` near which success saturates."""
    return _point(paper, DENSITY_SATURATION_KEY)


def _point(paper: PaperValues, key: str) -> float:
    value = paper[key].value
    if value is None:
        raise ValueError(f"paper value {key!r} has no point value")
    return value


def failure_rate_ratio(
    frame: pd.DataFrame, success: str = "success_rate", by=("benchmark", "model"), baseline: str = "single"
) -> pd.DataFrame:
    """Failure-rate error amplification ``(1 - S_MAS) / (1 - S_SAS)`` per group and architecture.

    ``frame`` holds success rates (or 0/1 outcomes, averaged per group) by ``by`` columns and
    ``architecture``. Returns the group columns, architecture, ``success_mas``, ``success_sas`` and ``ratio``
    (NaN where the baseline never fails).
    """
    by = list(by)
    rates = frame.groupby([*by, "architecture"], sort=True)[success].mean().astype(float).rename("success_mas")
    rates = rates.reset_index()
    base = (
        rates[rates["architecture"] == baseline]
        .drop(columns="architecture")
        .rename(columns={"success_mas": "success_sas"})
    )
    out = rates[rates["architecture"] != baseline].merge(base, on=by, how="left")
    failure_sas = 1 - out["success_sas"]
    out["ratio"] = (1 - out["success_mas"]) / failure_sas.where(failure_sas > 0)
    return out


def turns_by_law(n, a: float, b: float, c: float):
    """Turns as a function of agent count: ``T = a (n + b)^c``."""
    return a * np.power(np.asarray(n, dtype=float) + b, c)


def _fit_law(n: np.ndarray, turns: np.ndarray, b: float | None) -> np.ndarray:
    # the starting point is the paper's law (a, b, c) as printed; the bounds keep n + b > 0 for n >= 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        if b is not None:
            (a, c), _ = curve_fit(
                lambda x, a, c: turns_by_law(x, a, b, c),
                n,
                turns,
                p0=(2.72, 1.724),
                bounds=([1e-6, 0.0], [1e3, 5.0]),
                maxfev=20000,
            )
            return np.array([a, b, c])
        params, _ = curve_fit(
            turns_by_law, n, turns, p0=(2.72, 0.5, 1.724), bounds=([1e-6, -0.99, 0.0], [1e3, 20.0, 5.0]), maxfev=20000
        )
    return params


def fit_turn_law(n, turns, b: float | None = None, n_boot: int = 200, ci: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Least-squares fit of ``T = a (n + b)^c`` to per-run (agent count, turns), with bootstrap CIs.

    ``b=None`` fits all three parameters (``b`` bounded to (-0.99, 20] so that ``n + b > 0`` for ``n >= 1``); a
    value fixes the offset (e.g. the paper's 0.5), which makes ``a`` and ``c`` far better determined: with nine
    agent counts the offset trades off against the other two. Resamples runs within each agent count. Returns
    rows ``a``, ``b``, ``c`` with ``value``, ``ci_low``, ``ci_high`` (no interval for a fixed ``b``) and
    ``agent_counts`` (distinct agent counts fitted on).
    """
    n = np.asarray(n, dtype=float)
    turns = np.asarray(turns, dtype=float)
    point = _fit_law(n, turns, b)
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(n == value) for value in np.unique(n)]
    draws = []
    for _ in range(n_boot):
        index = np.concatenate([rng.choice(g, size=len(g)) for g in groups])
        try:
            draws.append(_fit_law(n[index], turns[index], b))
        except RuntimeError:  # a resample the optimiser cannot fit: leave it out
            continue
    alpha = (1 - ci) / 2
    low, high = np.quantile(np.array(draws), [alpha, 1 - alpha], axis=0)
    if b is not None:
        low[1] = high[1] = np.nan
    return pd.DataFrame(
        {"param": ["a", "b", "c"], "value": point, "ci_low": low, "ci_high": high, "agent_counts": len(groups)}
    )


def fit_density_law(density, success, ci: float = 0.95) -> pd.DataFrame:
    """Ordinary least squares of ``S = a + b ln(c)`` over configurations with message density ``c > 0``.

    Returns rows ``a`` (intercept) and ``b`` (slope) with ``value``, t-based ``ci_low`` and ``ci_high``, and
    ``n`` (configurations used).
    """
    density = np.asarray(density, dtype=float)
    success = np.asarray(success, dtype=float)
    keep = np.isfinite(density) & (density > 0) & np.isfinite(success)
    x, y = np.log(density[keep]), success[keep]
    if keep.sum() < 3:
        raise ValueError(f"need at least 3 configurations with positive message density, got {int(keep.sum())}")
    design = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    dof = len(y) - 2
    sigma2 = residual @ residual / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(design.T @ design)))
    t = stats.t.ppf(1 - (1 - ci) / 2, dof)
    return pd.DataFrame(
        {"param": ["a", "b"], "value": coef, "ci_low": coef - t * se, "ci_high": coef + t * se, "n": int(keep.sum())}
    )
