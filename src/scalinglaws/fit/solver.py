"""Batched, bound-constrained Levenberg-Marquardt on the robust objective, with exact Jacobians.

The solver is a value (its tolerances are fields) and ``solve`` returns an immutable :class:`Solution`
with a result code per row, as optimistix does. Each row of the parameter batch is an independent
problem (a start, a grid candidate or a bootstrap resample, via per-row point weights); rows stop on
their own. Bounds are handled by projection: a parameter held at a bound by the gradient is frozen for
that step, and one whose two bounds are equal (a fixed parameter) never moves.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scalinglaws.fit._problem import Problem

_LAMBDA_INIT = 1e-3
_LAMBDA_MAX = 1e12


class Outcome(enum.IntEnum):
    """How one row of a batched solve ended."""

    CONVERGED = 0
    """The predicted decrease of a full Gauss-Newton step fell below the tolerance."""
    MAX_ITER = 1
    """The iteration limit came first."""
    STALLED = 2
    """No step decreased the objective, even with the damping at its limit."""
    NONFINITE = 3
    """The objective was not finite at the start."""


@dataclass(frozen=True)
class Solution:
    """End points of a batched solve: one row per start (or resample)."""

    params: np.ndarray
    objective: np.ndarray
    outcome: np.ndarray
    n_iter: np.ndarray
    nfev: int

    @property
    def converged(self) -> np.ndarray:
        return self.outcome == Outcome.CONVERGED


def _free_mask(params: np.ndarray, grad: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    at_lower = (params <= lower) & (grad > 0)
    at_upper = (params >= upper) & (grad < 0)
    return ~(at_lower | at_upper) & (lower < upper)


def _damped_steps(
    grad: np.ndarray, hess: np.ndarray, damping: np.ndarray, free: np.ndarray, lam: np.ndarray
) -> np.ndarray:
    """Solve ``(H + lam*diag(D)) step = -grad`` on the free parameters, zero on the others.

    ``D`` is the diagonal of a positive semi-definite Hessian; it also scales the parameters, so the
    step does not depend on their units.
    """
    scale = np.where(free & (damping > 0), np.sqrt(np.maximum(damping, 1e-300)), 1.0)
    h = hess / scale[:, :, None] / scale[:, None, :]
    g = grad / scale
    h = np.where(free[:, :, None] & free[:, None, :], h, 0.0)
    eye = np.eye(h.shape[-1])
    h = h + eye * (lam[:, None, None] * free[:, None, :] + (~free)[:, None, :]) + 1e-14 * eye
    rhs = -np.where(free, g, 0.0)[..., None]
    with np.errstate(all="ignore"):
        try:
            step = np.linalg.solve(h, rhs)[..., 0]
        except np.linalg.LinAlgError:  # an exactly singular row (a Gauss-Newton step on a flat ridge)
            step = np.stack([np.linalg.lstsq(a, b, rcond=None)[0][:, 0] for a, b in zip(h, rhs, strict=True)])
    return np.where(free, step / scale, 0.0)


@dataclass(frozen=True)
class LevenbergMarquardt:
    """Levenberg-Marquardt with exact Hessians (Newton near the optimum), batched over rows.

    A row has converged when the predicted decrease of a full Gauss-Newton step on its free parameters
    falls below ``rtol`` times its objective (or an absolute floor for exact fits).
    """

    max_iter: int = 200
    rtol: float = 1e-12

    def solve(
        self,
        problem: Problem,
        start: np.ndarray,
        weights: np.ndarray | None = None,
        *,
        targets: np.ndarray | None = None,
        lower: np.ndarray | None = None,
        upper: np.ndarray | None = None,
        owner: np.ndarray | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Solution:
        """Minimise the objective from each row of ``start`` (shape ``(batch, n_params)``).

        Per-row ``weights`` and ``targets`` (``(batch, n_points)``) and bounds (``(batch, n_params)``;
        equal bounds fix a parameter) make each row its own problem; ``owner`` names, per row, the data
        set of a problem whose rows carry their own (the groups of a stack). ``progress``, if given, is
        called after each iteration with the number of rows that have stopped. A problem with
        ``backend="jax"`` is solved by the same iteration jitted (:mod:`scalinglaws.fit._jax.solver`),
        which reports progress each time its jitted loop returns to the host.
        """
        if problem.backend == "jax":
            from scalinglaws.fit._jax import solver

            return solver.solve(
                problem, start, weights, targets, lower, upper, self.max_iter, self.rtol, owner, progress
            )
        return _levenberg_marquardt(
            problem, start, weights, targets, lower, upper, self.max_iter, self.rtol, owner, progress
        )


def _levenberg_marquardt(
    problem: Problem,
    start: np.ndarray,
    weights: np.ndarray | None,
    targets: np.ndarray | None,
    lower: np.ndarray | None,
    upper: np.ndarray | None,
    max_iter: int,
    rtol: float,
    owner: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> Solution:
    batch = start.shape[0]

    def of(rows: np.ndarray | None) -> dict[str, np.ndarray]:
        if owner is None:
            return {}
        return {"owner": owner if rows is None else owner[rows]}

    shape = (batch, problem.n_params)
    lower = np.broadcast_to(problem.lower if lower is None else lower, shape)
    upper = np.broadcast_to(problem.upper if upper is None else upper, shape)
    params = np.clip(start.astype(float), lower, upper)
    w = None if weights is None else np.broadcast_to(weights, (batch, problem.n_points))
    t = None if targets is None else np.broadcast_to(targets, (batch, problem.n_points))
    value = problem.objective(params, w, t, **of(None))
    started = np.isfinite(value)
    lam = np.full(batch, _LAMBDA_INIT)
    growth = np.full(batch, 2.0)
    active = np.isfinite(value)
    converged = np.zeros(batch, dtype=bool)
    n_iter = np.zeros(batch, dtype=int)
    nfev = batch
    floor = 1e-30 * problem.n_points
    for _ in range(max_iter):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        wr = None if w is None else w[rows]
        tr = None if t is None else t[rows]
        grad, exact, irls = problem.derivatives(params[rows], wr, tr, **of(rows))
        damping = np.einsum("bii->bi", irls)
        free = _free_mask(params[rows], grad, lower[rows], upper[rows])
        gauss_newton = _damped_steps(grad, irls, damping, free, np.zeros(rows.size))
        decrease = -np.einsum("bi,bi->b", grad, gauss_newton) / 2
        done = decrease <= rtol * value[rows] + floor
        converged[rows[done]] = True
        active[rows[done]] = False
        keep = ~done
        rows, grad, exact, irls, damping, free = (
            rows[keep], grad[keep], exact[keep], irls[keep], damping[keep], free[keep]
        )
        if rows.size == 0:
            break
        wr = None if w is None else w[rows]
        tr = None if t is None else t[rows]
        n_iter[rows] += 1
        step = _damped_steps(grad, exact, damping, free, lam[rows])
        uphill = ~(np.einsum("bi,bi->b", grad, step) < 0)
        step[uphill] = _damped_steps(
            grad[uphill], irls[uphill], damping[uphill], free[uphill], lam[rows[uphill]]
        )
        model = np.where(uphill[:, None, None], irls, exact)
        trial = np.clip(params[rows] + step, lower[rows], upper[rows])
        step = trial - params[rows]
        predicted = -(
            np.einsum("bi,bi->b", grad, step) + 0.5 * np.einsum("bi,bij,bj->b", step, model, step)
        )
        trial_value = problem.objective(trial, wr, tr, **of(rows))
        nfev += rows.size
        better = trial_value < value[rows]
        with np.errstate(all="ignore"):
            gain = (value[rows] - trial_value) / predicted
        params[rows[better]] = trial[better]
        value[rows[better]] = trial_value[better]
        # Nielsen's update: shrink the damping by how well the model predicted the decrease.
        shrink = np.maximum(1 / 3, 1 - (2 * np.clip(np.nan_to_num(gain), 0, 1) - 1) ** 3)
        lam[rows] = np.where(better, np.maximum(lam[rows] * shrink, 1e-12), lam[rows] * growth[rows])
        growth[rows] = np.where(better, 2.0, growth[rows] * 2)
        stuck = lam[rows] > _LAMBDA_MAX
        active[rows[stuck]] = False
        if progress is not None:
            progress(batch - int(np.count_nonzero(active)))
    outcome = np.select(
        [converged, ~started, n_iter >= max_iter],
        [Outcome.CONVERGED, Outcome.NONFINITE, Outcome.MAX_ITER],
        Outcome.STALLED,
    )
    return Solution(params, value, outcome, n_iter, nfev)
