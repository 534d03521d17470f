"""Asymptotic covariance of an estimate (Huber's M-estimator formula) and the status of a fit."""

from __future__ import annotations

import enum
from collections.abc import Sequence

import numpy as np

from scalinglaws.fit._problem import Problem
from scalinglaws.fit.degeneracy import Degeneracy
from scalinglaws.fit.diagnostics import CONDITION_LIMIT, at_bound, condition_number, information
from scalinglaws.fit.losses import psi
from scalinglaws.fit.multistart import Multistart


class FitStatus(enum.StrEnum):
    """How the fit ended. Only ``CONVERGED`` is an estimate to use without looking further."""

    CONVERGED = "converged"
    """The optimiser met its tolerance inside the bounds and the parameters are identified: usable."""
    MAX_ITER = "max-iter"
    """The iteration limit was reached before the tolerance: usable only with care; refit."""
    BOUND_HIT = "at-bound"
    """A parameter ended on a bound: the optimum may lie outside; widen the bound or fix it."""
    ILL_CONDITIONED = "ill-conditioned"
    """Converged, but some parameters are nearly redundant: predictions may be fine, values are not."""
    ABNORMAL = "abnormal"
    """The optimiser stopped without meeting its tolerance: do not use."""
    DEGENERATE = "degenerate"
    """The optimum makes part of the law meaningless (a term vanishes or cancels another, an exponent
    ran off): do not use; the message names the parameter and the term. Bound or fix it, or drop the term."""


def _noise(problem: Problem, params: np.ndarray) -> tuple[float, float] | None:
    """Huber's variance scale of the estimate and the mean slope of psi (share of residuals inside
    delta); None when too few residuals sit in the quadratic region to estimate them."""
    _, r, w = information(problem, params)
    return noise_scale(r, w, problem.loss, problem.delta, problem.free.size)


def noise_scale(r: np.ndarray, w: np.ndarray, loss: str, delta: float, n_free: int) -> tuple[float, float] | None:
    """Huber's variance scale and the share of residuals inside delta, from residuals ``r`` with point
    weights ``w`` (one value per point) of a fit with ``n_free`` free parameters."""
    n, p = r.size, n_free
    if n <= p:
        return None
    slope = psi(r, loss, delta)  # type: ignore[arg-type]
    mean_inside = _share_inside(r, delta) if loss == "huber" else 1.0
    if mean_inside * n < 1:
        return None
    correction = 1.0 + (p / n) * (1.0 - mean_inside) / mean_inside
    return correction**2 * float(np.sum(w * slope**2)) / (n - p) / mean_inside**2, mean_inside


def objective_weight(problem: Problem, params: np.ndarray) -> float | None:
    """The factor that turns a negative log density into the units of the objective.

    The covariance is ``scale * (J'WJ)^-1`` and the objective's curvature about ``mean_inside * J'WJ``,
    so the data's negative log likelihood is the objective divided by ``scale * mean_inside`` (for
    squared loss: the residual variance). A prior's ``0.5 * ((theta - mean) / sd)**2`` enters the
    objective multiplied by this weight.
    """
    noise = _noise(problem, params)
    return None if noise is None else noise[0] * noise[1]


def covariance(problem: Problem, params: np.ndarray) -> tuple[np.ndarray | None, float]:
    """Asymptotic covariance of the estimate and the condition number of the information matrix.

    Only the free parameters vary: a fixed parameter's row and column are zero. With priors, the
    precision of each prior is added to the data's (a posterior covariance), which can identify
    parameters the data alone do not. None when the parameters are not identified (too few points,
    or an information matrix past ``CONDITION_LIMIT``).
    """
    jac, _, w = information(problem, params)
    free = problem.free
    jac = jac[:, free]
    condition, correlation = condition_number(jac, w)
    noise = _noise(problem, params)
    if problem.prior is None:
        if correlation is None or noise is None or not condition <= CONDITION_LIMIT:
            return None, condition
        diag = np.sqrt(np.diag(jac.T @ (w[:, None] * jac)))
        inverse = np.linalg.inv(correlation) / np.outer(diag, diag)
        full = np.zeros((problem.n_params, problem.n_params))
        full[np.ix_(free, free)] = noise[0] * inverse
        return full, condition
    if noise is None or not np.all(np.isfinite(jac)):
        return None, condition
    precision = jac.T @ (w[:, None] * jac) / noise[0]
    where = {int(j): k for k, j in enumerate(free)}
    for j, sd in zip(problem.prior.index, problem.prior.sd, strict=True):
        if int(j) in where:
            precision[where[int(j)], where[int(j)]] += 1.0 / sd**2
    scale = np.sqrt(np.diag(precision))
    if np.any(scale == 0):
        return None, condition
    scaled = precision / np.outer(scale, scale)
    eigenvalues = np.linalg.eigvalsh(scaled)
    condition = float(eigenvalues[-1] / eigenvalues[0]) if eigenvalues[0] > 0 else np.inf
    if not condition <= CONDITION_LIMIT:
        return None, condition
    full = np.zeros((problem.n_params, problem.n_params))
    full[np.ix_(free, free)] = np.linalg.inv(scaled) / np.outer(scale, scale)
    return full, condition


def _share_inside(r: np.ndarray, delta: float) -> float:
    """Share of residuals inside Huber's quadratic region, from a kernel density of the residuals.

    Counting them instead fails when delta is small: the fit passes through about p points exactly, as
    a median does, and counting those made standard errors about twice too small on 40-run ladders.
    Smoothing over a bandwidth much wider than delta removes that artefact (Silverman's rule).
    """
    from scipy.special import ndtr

    spread = min(float(np.std(r)), float(np.subtract(*np.percentile(r, [75, 25]))) / 1.34)
    bandwidth = 0.9 * spread * r.size ** (-0.2)
    if bandwidth <= 0:
        return float(np.mean(np.abs(r) <= delta))
    return float(np.mean(ndtr((delta - r) / bandwidth) - ndtr((-delta - r) / bandwidth)))


def status(
    problem: Problem, solution: Multistart, condition: float, degenerate: Sequence[Degeneracy] = ()
) -> tuple[FitStatus, str]:
    """The status of the best end point and the message that explains it."""
    bounded = at_bound(problem, solution.params)
    notes = [d.message for d in degenerate[:1]]
    if len(degenerate) > 1:
        notes.append(f"and {len(degenerate) - 1} more degenerate term(s) or parameter(s), listed in the diagnostics")
    # A degenerate optimum is unusable whatever else holds; a redundant parameter is the cause when the
    # optimiser also stalls, so it is reported next.
    if degenerate:
        fit_status = FitStatus.DEGENERATE
    elif condition > CONDITION_LIMIT:
        fit_status = FitStatus.ILL_CONDITIONED
    elif solution.max_iter_hit:
        fit_status = FitStatus.MAX_ITER
    elif not solution.converged:
        fit_status = FitStatus.ABNORMAL
    elif bounded:
        fit_status = FitStatus.BOUND_HIT
    else:
        fit_status = FitStatus.CONVERGED
    if solution.max_iter_hit:
        notes.append(f"stopped at the iteration limit ({solution.n_iter}) before converging")
    elif not solution.converged:
        notes.append("the optimiser could not decrease the objective further but did not meet its tolerance")
    if bounded:
        notes.append(f"parameter(s) {bounded} ended on a bound")
    if condition > CONDITION_LIMIT:
        notes.append(
            f"condition number {condition:.2g} of the scaled information matrix: "
            "some parameters are nearly redundant"
        )
    if not notes:
        return fit_status, f"converged after {solution.n_iter} iterations"
    return fit_status, "; ".join(notes)
