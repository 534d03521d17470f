"""The loss profile of one IsoFLOP budget: a cubic, parabola or Akima interpolant of log loss in log N,
its minimum for the point estimate and for each bootstrap resample (see :mod:`scalinglaws.plan.isoflop`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Method = Literal["parabola", "cubic", "akima"]
MIN_POINTS: Mapping[str, int] = {"parabola": 3, "cubic": 5, "akima": 4}
_DENSE = 2001
_SAME_SIZE = 1e-3
"""Sizes closer than this in log N (0.1%) are one model size for the Akima knots: digitised or rounded
copies of a size (1.7e-7 apart on the Epoch data) would otherwise give the interpolant slopes of
1e5 and a minimum of 1e-261."""


@dataclass(frozen=True, eq=False)
class Profile:
    """The fitted loss profile of one budget: log loss as a function of log N across its sweep.

    Polynomial methods keep their coefficients (increasing order) in ``u = (log N - centre) / half``,
    which keeps the normal equations well conditioned; ``akima`` keeps its knots (distinct log N and
    the mean log loss there). :meth:`loss` evaluates the profile at model sizes inside the sweep.
    """

    method: Method
    log_n_range: tuple[float, float]
    coefs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    knots: tuple[np.ndarray, np.ndarray] | None = None

    def loss(self, n_params: Any) -> np.ndarray:
        """The profile's loss at ``n_params`` (NaN outside the sweep's range of sizes)."""
        x = np.log(np.asarray(n_params, dtype=float))
        lo, hi = self.log_n_range
        inside = (x >= lo - 1e-12) & (x <= hi + 1e-12)
        if self.knots is not None:
            values = _akima(*self.knots)(np.clip(x, lo, hi))
        else:
            centre, half = sweep_centre(lo, hi)
            values = vandermonde((x - centre) / half, self.coefs.size - 1) @ self.coefs
        return np.where(inside, np.exp(values), np.nan)


def _akima(x: np.ndarray, y: np.ndarray) -> Any:
    """scipy's Akima interpolant through ``(x, y)``; scipy.interpolate is imported on first use, as only
    the ``akima`` method needs it (importing it costs half a second of every report's start)."""
    from scipy.interpolate import Akima1DInterpolator

    return Akima1DInterpolator(x, y)


def vandermonde(x: np.ndarray, degree: int) -> np.ndarray:
    return np.vander(x, degree + 1, increasing=True)


def sweep_centre(lo: float, hi: float) -> tuple[float, float]:
    """Centre and half-width of a sweep in log N (the half-width never zero)."""
    return 0.5 * (lo + hi), max(0.5 * (hi - lo), 1e-12)


def poly_coefs(u: np.ndarray, y: np.ndarray, counts: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares polynomial of ``y`` in ``u`` for each row of resampling ``counts``, and
    whether the row has enough distinct sizes to determine it."""
    design = vandermonde(u, degree)
    gram = np.einsum("bi,ij,ik->bjk", counts, design, design)
    rhs = np.einsum("bi,ij,i->bj", counts, design, y)
    unique = np.array([np.unique(u[c > 0]).size for c in counts])
    ok = unique > degree
    gram[~ok] = np.eye(degree + 1)
    return np.linalg.solve(gram, rhs[..., None])[..., 0], ok


def poly_minimum(coefs: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Minimiser over [lo, hi] of each polynomial (rows of increasing-order coefficients) and whether
    it is interior (a local minimum strictly inside)."""
    grid = np.linspace(lo, hi, _DENSE)
    values = vandermonde(grid, coefs.shape[1] - 1) @ coefs.T  # (grid, batch)
    best = np.argmin(values, axis=0)
    interior = (best > 0) & (best < _DENSE - 1)
    x = grid[best]
    # Refine with the exact stationary point next to the grid minimum (parabola: the vertex).
    if coefs.shape[1] == 3:
        with np.errstate(all="ignore"):
            vertex = -coefs[:, 1] / (2 * coefs[:, 2])
        x = np.where(interior & (coefs[:, 2] > 0), vertex, x)
    else:
        c1, c2, c3 = coefs[:, 1], coefs[:, 2], coefs[:, 3]
        with np.errstate(all="ignore"):
            disc = np.sqrt(4 * c2**2 - 12 * c3 * c1)
            roots = np.stack([(-2 * c2 + disc) / (6 * c3), (-2 * c2 - disc) / (6 * c3)])
            curvature = 2 * c2 + 6 * c3 * roots
            nearest = np.argmin(np.where(curvature > 0, np.abs(roots - x), np.inf), axis=0)
        root = np.take_along_axis(roots, nearest[None], axis=0)[0]
        x = np.where(interior & np.isfinite(root) & (np.abs(root - x) < 2 * (hi - lo) / _DENSE), root, x)
    return x, interior


def budget_minima(
    x: np.ndarray, y: np.ndarray, counts: np.ndarray, method: Method
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimiser of log N, minimum log loss and interior flag, for each row of resampling ``counts``.

    Polynomials are fitted in ``u = (log N - centre) / half`` (u in [-1, 1]): in raw log N (about 20)
    the cubic's normal equations have a condition number near 1e19 and can be singular.
    """
    lo, hi = float(x.min()), float(x.max())
    if method in ("parabola", "cubic"):
        centre, half = sweep_centre(lo, hi)
        degree = 2 if method == "parabola" else 3
        coefs, ok = poly_coefs((x - centre) / half, y, counts, degree)
        um, interior = poly_minimum(coefs, -1.0, 1.0)
        ym = np.einsum("bj,bj->b", vandermonde(um, degree), coefs)
        return np.where(ok, centre + half * um, np.nan), np.where(ok, ym, np.nan), interior & ok
    out_x, out_y, out_i = (np.full(counts.shape[0], np.nan) for _ in range(3))
    for b, c in enumerate(counts):
        keep = c > 0
        xs, ys = merged_knots(x[keep], y[keep], c[keep])
        if xs.size < 3:
            continue
        grid = np.linspace(xs[0], xs[-1], _DENSE)
        values = _akima(xs, ys)(grid)
        best = int(np.argmin(values))
        out_x[b], out_y[b] = grid[best], values[best]
        spans = xs[0] - lo <= _SAME_SIZE and hi - xs[-1] <= _SAME_SIZE  # the resample kept both ends
        out_i[b] = float(0 < best < _DENSE - 1 and spans)
    return out_x, out_y, out_i.astype(bool)


def merged_knots(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct sizes (merged within :data:`_SAME_SIZE`) and the weighted mean log loss at each."""
    order = np.argsort(x, kind="stable")
    xs, ys, ws = x[order], y[order], weights[order]
    label = np.concatenate([[0], np.cumsum(np.diff(xs) > _SAME_SIZE)])
    total = np.bincount(label, weights=ws)
    return np.bincount(label, weights=xs * ws) / total, np.bincount(label, weights=ys * ws) / total


def profile(x: np.ndarray, y: np.ndarray, method: Method) -> Profile:
    """The point-estimate profile of one budget (log N ``x`` and log loss ``y``)."""
    lo, hi = float(x.min()), float(x.max())
    if method == "akima":
        return Profile(method, (lo, hi), knots=merged_knots(x, y, np.ones_like(x)))
    centre, half = sweep_centre(lo, hi)
    coefs, _ = poly_coefs((x - centre) / half, y, np.ones((1, x.size)), 2 if method == "parabola" else 3)
    return Profile(method, (lo, hi), coefs=coefs[0])
