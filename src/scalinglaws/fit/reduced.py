"""The variable-projection polish: Levenberg-Marquardt on the nonlinear parameters only.

Where a law has parameters that enter linearly (amplitudes, offsets), the polish can move the nonlinear
ones (exponents, break points) alone and re-solve the linear ones exactly after every step (Golub and
Pereyra's variable projection). The long curved ridges of the full problem (an amplitude traded
against its exponent) then disappear: along the ridge the linear parameters follow by construction, so
a few steps do what the full polish needs tens or hundreds of iterations for.

The reduced gradient and curvature are the Schur complements of the full gradient and Gauss-Newton
(IRLS) curvature on the linear block (Kaufman's approximation), so the steps need the law's values and
first derivatives only: no second derivatives of the law. On Luo et al.'s curves (multi_power, whose
history sums make second derivatives costly) Gauss-Newton steps also took fewer iterations than exact
Newton ones (30 against 46 from 16 starts), and more starts met on the way (4 or 1 left, against 10).
The full polish, with the exact Hessian, then certifies convergence from the reduced polish's end
points (usually in a handful of iterations).
"""

from __future__ import annotations

import numpy as np

from scalinglaws.fit._linalg import damped_steps, solve_batch
from scalinglaws.fit._problem import Problem
from scalinglaws.fit._varpro import (
    MAX_ACTIVE_SETS,
    active_set_count,
    linear_structure,
    project_linear,
)
from scalinglaws.fit.multistart import unit_coordinates

_LAMBDA_INIT = 1e-3
_LAMBDA_MAX = 1e12
_PROJECTION_PASSES = 4
"""Reweighting passes of each exact solve of the linear parameters."""
MERGE_DISTANCE = 1e-3
"""Rows of the polish closer than this (in units of the start ranges of the nonlinear parameters) are
on one path: the worse one is dropped."""


def applies(problem: Problem) -> bool:
    """Whether the law has free linear parameters that can be projected (few enough bound patterns)."""
    linear, nonlinear = linear_structure(problem)
    return (
        linear.size > 0 and nonlinear.size > 0
        and active_set_count(problem.lower[linear], problem.upper[linear]) <= MAX_ACTIVE_SETS
        and not problem.law.solve_for
    )


def _schur(
    h: np.ndarray, g: np.ndarray, eliminate: np.ndarray, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reduced curvature and gradient on ``keep`` after eliminating ``eliminate`` (batched), and
    the decrease a Newton step on ``eliminate`` alone promises (``g_e' H_ee^-1 g_e / 2``)."""
    # Contiguous blocks: NumPy's batched matmul picks its kernel (and so its rounding) by the memory
    # layout, which fancy indexing makes depend on the batch size; a row must give the same bits in any.
    h_kk = np.ascontiguousarray(h[:, keep][:, :, keep])
    h_ke = np.ascontiguousarray(h[:, keep][:, :, eliminate])
    h_ee = h[:, eliminate][:, :, eliminate] + 1e-12 * np.eye(eliminate.size)
    solved = solve_batch(h_ee, np.concatenate([h_ke.transpose(0, 2, 1), g[:, eliminate, None]], axis=2))
    reduced_h = h_kk - h_ke @ solved[:, :, : keep.size]
    reduced_g = g[:, keep] - (h_ke @ solved[:, :, keep.size :])[..., 0]
    eliminated = np.einsum("bi,bi->b", g[:, eliminate], solved[:, :, keep.size]) / 2
    return reduced_h, reduced_g, eliminated


def polish(
    problem: Problem,
    start: np.ndarray,
    weights: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    max_iter: int = 50,
    rtol: float = 1e-8,
) -> np.ndarray:
    """End points of the reduced polish from the rows of ``start`` (full parameter vectors), in their
    order, less the rows that met a better one on the way (when all rows share the problem's data).

    It stops at a looser tolerance than the full polish: its linear parameters come from a few
    reweighting passes, so its gradient is exact only to that accuracy, and the full polish that
    follows converges from close by in a few Newton steps."""
    linear, nonlinear = linear_structure(problem)
    batch = start.shape[0]
    w = None if weights is None else np.broadcast_to(weights, (batch, problem.n_points))
    t = None if targets is None else np.broadcast_to(targets, (batch, problem.n_points))
    clipped = np.clip(start.astype(float), problem.lower, problem.upper)
    params, prediction = project_linear(problem, linear, clipped, _PROJECTION_PASSES, w, t)
    value = problem.objective_of_prediction(prediction, params, w, t)
    lower, upper = problem.lower[nonlinear], problem.upper[nonlinear]
    lam = np.full(batch, _LAMBDA_INIT)
    growth = np.full(batch, 2.0)
    active = np.isfinite(value)
    floor = 1e-30 * problem.n_points
    merged = np.zeros(batch, dtype=bool)
    for _ in range(max_iter):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        wr = None if w is None else w[rows]
        tr = None if t is None else t[rows]
        grad, irls = problem.gauss_newton(params[rows], wr, tr)
        gn, g, unfinished = _schur(irls, grad, linear, nonlinear)
        theta = params[rows][:, nonlinear]
        free = ~(((theta <= lower) & (g > 0)) | ((theta >= upper) & (g < 0))) & (lower < upper)
        damping = np.where(np.einsum("bii->bi", gn) > 0, np.einsum("bii->bi", gn), 1.0)
        gauss_newton = damped_steps(g, gn, damping, free, np.zeros(rows.size))
        decrease = -np.einsum("bi,bi->b", g, gauss_newton) / 2
        # Done when the nonlinear parameters promise less than the linear ones' own unfinished descent
        # (their reweighting passes stop short of the optimum): from there the full polish converges
        # in a few Newton steps, while more reduced steps would only chase the projection's error.
        done = ~(decrease > np.maximum(rtol * value[rows] + floor, unfinished))
        active[rows[done]] = False
        keep = ~done
        rows, g, gn, theta, free, damping = rows[keep], g[keep], gn[keep], theta[keep], free[keep], damping[keep]
        if rows.size == 0:
            break
        step = damped_steps(g, gn, damping, free, lam[rows])
        trial = params[rows].copy()
        trial[:, nonlinear] = np.clip(theta + step, lower, upper)
        wr = None if w is None else w[rows]
        tr = None if t is None else t[rows]
        trial, prediction = project_linear(problem, linear, trial, _PROJECTION_PASSES, wr, tr)
        trial_value = problem.objective_of_prediction(prediction, trial, wr, tr)
        better = trial_value < value[rows]
        params[rows[better]] = trial[better]
        value[rows[better]] = trial_value[better]
        lam[rows] = np.where(better, np.maximum(lam[rows] / 3, 1e-12), lam[rows] * growth[rows])
        growth[rows] = np.where(better, 2.0, growth[rows] * 2)
        active[rows[lam[rows] > _LAMBDA_MAX]] = False
        if w is None and t is None:  # rows of one data set: a row that meets a better one follows it
            merged |= _following(problem, params, value, nonlinear, ~merged)
            active &= ~merged
    return params[~merged]


def _following(problem: Problem, params: np.ndarray, value: np.ndarray, nonlinear: np.ndarray,
               alive: np.ndarray) -> np.ndarray:
    """Rows of ``alive`` whose nonlinear parameters are within ``MERGE_DISTANCE`` (in units of their
    start ranges) of an alive row with a lower objective (or an equal one earlier): from there both
    polish into one optimum, so only the better one goes on."""
    rows = np.flatnonzero(alive & np.isfinite(value))
    out = np.zeros(params.shape[0], dtype=bool)
    if rows.size < 2:
        return out
    order = rows[np.argsort(value[rows], kind="stable")]
    coordinates = unit_coordinates(problem, params[order], nonlinear)
    distance = np.max(np.abs(coordinates[:, None, :] - coordinates[None, :, :]), axis=2)
    close = np.tril(distance < MERGE_DISTANCE, k=-1)  # close[i, j]: row i meets the better row j < i
    leaders = np.ones(order.size, dtype=bool)
    for i in range(1, order.size):
        leaders[i] = not np.any(close[i, :i] & leaders[:i])
    out[order[~leaders]] = True
    return out
