"""Batched, bound-constrained Levenberg-Marquardt on the robust objective, with exact Jacobians.

The solver is a value (its tolerances are fields) and ``solve`` returns an immutable :class:`Solution`
with a result code per row, as optimistix does. Each row of the parameter batch is an independent
problem (a start, a grid candidate or a bootstrap resample, via per-row point weights); rows stop on
their own. Bounds are handled by projection: a parameter held at a bound by the gradient is frozen for
that step, and one whose two bounds are equal (a fixed parameter) never moves.

With ``log_positive``, a parameter bounded only below by zero (an amplitude, a floor) whose start is
positive in every row moves in ``log`` of its value for the first ``LOG_ITERATIONS`` iterations: a law's
amplitudes trade off against its exponents along ridges that are curved in the parameters
(``B ~ exp(c beta)``) and nearly straight in their logarithms, so steps follow the ridge instead of
crawling along it. The minimum is the same; the path to it is shorter (10,000 Epoch bootstrap refits:
9.5 iterations on average instead of 26.5). The few rows still descending then go on in the
parameters themselves.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scalinglaws.fit._linalg import damped_steps
from scalinglaws.fit._problem import Problem

_LAMBDA_INIT = 1e-3
_LAMBDA_MAX = 1e12
LOG_ITERATIONS = 50
"""Iterations in log coordinates (``log_positive``) before a row that still descends goes on in the
parameters themselves."""


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


@dataclass(frozen=True)
class LevenbergMarquardt:
    """Levenberg-Marquardt with exact Hessians (Newton near the optimum), batched over rows.

    A row has converged when the predicted decrease of a full Gauss-Newton step on its free parameters
    falls below ``rtol`` times its objective (or an absolute floor for exact fits).
    """

    max_iter: int = 200
    rtol: float = 1e-12
    log_positive: bool = False
    """Move the parameters bounded by ``(0, inf)`` whose start is positive in every row in log space
    (for ``LOG_ITERATIONS``, then as they are)."""

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
        logged = None
        if self.log_positive:
            low = problem.lower if lower is None else np.min(lower, axis=0)
            high = problem.upper if upper is None else np.max(upper, axis=0)
            logged = (low == 0) & np.isposinf(high) & np.all(start > 0, axis=0)
        if logged is None or not logged.any():
            return self._run(problem, start, weights, targets, lower, upper, owner, progress, None, self.max_iter)
        first = self._run(
            problem, start, weights, targets, lower, upper, owner, progress, logged,
            min(self.max_iter, LOG_ITERATIONS),
        )
        # Rows still descending after LOG_ITERATIONS go on in the parameters themselves, from where
        # they are (a few ridges, e.g. a floor traded against an amplitude, are straighter there).
        rest = np.flatnonzero(first.outcome == Outcome.MAX_ITER)
        if rest.size == 0 or self.max_iter <= LOG_ITERATIONS:
            return first
        done = start.shape[0] - rest.size

        def pick(per_row: np.ndarray | None) -> np.ndarray | None:  # the rows of a per-row argument
            return per_row if per_row is None or np.ndim(per_row) < 2 else per_row[rest]

        second = self._run(
            problem, first.params[rest], pick(weights), pick(targets), pick(lower), pick(upper),
            None if owner is None else owner[rest],
            None if progress is None else (lambda stopped: progress(done + stopped)),
            None, self.max_iter - LOG_ITERATIONS,
        )
        params, value, outcome, n_iter = (
            first.params.copy(), first.objective.copy(), first.outcome.copy(), first.n_iter.copy()
        )
        params[rest], value[rest], outcome[rest] = second.params, second.objective, second.outcome
        n_iter[rest] += second.n_iter
        return Solution(params, value, outcome, n_iter, first.nfev + second.nfev)

    def _run(
        self, problem: Problem, start: np.ndarray, weights: np.ndarray | None, targets: np.ndarray | None,
        lower: np.ndarray | None, upper: np.ndarray | None, owner: np.ndarray | None,
        progress: Callable[[int], None] | None, logged: np.ndarray | None, max_iter: int,
    ) -> Solution:
        """One run of the iteration on the problem's backend."""
        if problem.backend == "jax":
            from scalinglaws.fit._jax import solver

            return solver.solve(
                problem, start, weights, targets, lower, upper, max_iter, self.rtol, owner, progress, logged
            )
        return _levenberg_marquardt(
            problem, start, weights, targets, lower, upper, max_iter, self.rtol, owner, progress, logged
        )


def _natural(u: np.ndarray, logged: np.ndarray | None) -> np.ndarray:
    """Parameter values from the solver's coordinates (``exp`` of the logged columns)."""
    if logged is None:
        return u
    out = u.copy()
    with np.errstate(over="ignore"):
        out[:, logged] = np.exp(u[:, logged])
    return out


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
    logged: np.ndarray | None = None,
) -> Solution:
    """The iteration, in the coordinates ``u`` of the parameters: their values, or their logarithms
    for the ``logged`` columns (whose bounds, ``(0, inf)``, become ``(-inf, inf)``)."""
    batch = start.shape[0]

    def of(rows: np.ndarray | None) -> dict[str, np.ndarray]:
        if owner is None:
            return {}
        return {"owner": owner if rows is None else owner[rows]}

    shape = (batch, problem.n_params)
    lower = np.broadcast_to(problem.lower if lower is None else lower, shape)
    upper = np.broadcast_to(problem.upper if upper is None else upper, shape)
    params = np.clip(start.astype(float), lower, upper)
    if logged is not None:
        params[:, logged] = np.log(params[:, logged])
        lower, upper = np.where(logged, -np.inf, lower), np.where(logged, np.inf, upper)
    w = None if weights is None else np.broadcast_to(weights, (batch, problem.n_points))
    t = None if targets is None else np.broadcast_to(targets, (batch, problem.n_points))
    value = problem.objective(_natural(params, logged), w, t, **of(None))
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
        grad, exact, irls = _derivatives(problem, params[rows], wr, tr, of(rows), logged)
        damping = np.einsum("bii->bi", irls)
        free = _free_mask(params[rows], grad, lower[rows], upper[rows])
        gauss_newton = damped_steps(grad, irls, damping, free, np.zeros(rows.size))
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
        step = damped_steps(grad, exact, damping, free, lam[rows])
        uphill = ~(np.einsum("bi,bi->b", grad, step) < 0)
        step[uphill] = damped_steps(
            grad[uphill], irls[uphill], damping[uphill], free[uphill], lam[rows[uphill]]
        )
        model = np.where(uphill[:, None, None], irls, exact)
        trial = np.clip(params[rows] + step, lower[rows], upper[rows])
        step = trial - params[rows]
        predicted = -(
            np.einsum("bi,bi->b", grad, step) + 0.5 * np.einsum("bi,bij,bj->b", step, model, step)
        )
        trial_value = problem.objective(_natural(trial, logged), wr, tr, **of(rows))
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
    return Solution(_natural(params, logged), value, outcome, n_iter, nfev)


def _derivatives(
    problem: Problem, u: np.ndarray, weights: np.ndarray | None, targets: np.ndarray | None,
    owner: dict[str, np.ndarray], logged: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The objective's gradient, exact and IRLS Hessians in the solver's coordinates: by the chain
    rule through ``theta = exp(u)`` on the logged columns (``d theta / du = theta``), whose exact
    curvature gains the gradient term ``theta * g`` on the diagonal."""
    theta = _natural(u, logged)
    grad, exact, irls = problem.derivatives(theta, weights, targets, **owner)
    if logged is None:
        return grad, exact, irls
    scale = np.where(logged, theta, 1.0)
    outer = scale[:, :, None] * scale[:, None, :]
    grad = grad * scale
    exact = exact * outer
    index = np.flatnonzero(logged)
    exact[:, index, index] += grad[:, index]
    return grad, exact, irls * outer
