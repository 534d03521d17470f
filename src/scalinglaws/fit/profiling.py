"""Profile-likelihood intervals: refit with one parameter held at each of many values, batched.

The statistic is the robust likelihood-ratio test of Schrader & Hettmansperger (1980),
``S = 2 * (Q(v) - Q_hat) * mean(psi') / (sum(psi**2) / (n - p))``, asymptotically chi-squared with one
degree of freedom; for squared loss it is the usual F-type profile statistic.
"""

from __future__ import annotations

import numpy as np

from scalinglaws.fit._problem import Problem
from scalinglaws.fit.diagnostics import information
from scalinglaws.fit.losses import psi, psi_slope
from scalinglaws.fit.resampling import Interval
from scalinglaws.fit.solver import LevenbergMarquardt

_POINTS_PER_SCAN = 24
_EXPANSIONS = 6


def _statistic_scale(problem: Problem, estimate: np.ndarray) -> float:
    _, r, w = information(problem, estimate)
    n, p = problem.n_points, problem.free.size
    slope_mean = float(np.sum(w * psi_slope(r, problem.loss, problem.delta)) / np.sum(w))
    spread = float(np.sum(w * psi(r, problem.loss, problem.delta) ** 2)) / max(n - p, 1)
    return slope_mean / spread if spread > 0 else np.inf


def profile_interval(
    problem: Problem, estimate: np.ndarray, name: str, prob: float, stderr: float | None
) -> Interval:
    """Interval of parameter ``name`` where the profile statistic stays below its chi-squared quantile.

    An end is infinite when the statistic never crosses within six widening scans (the data do not
    bound the parameter on that side), and sits on the parameter's bound when it reaches it first.
    """
    j = problem.names.index(name)
    from scipy.special import chdtri

    critical = float(chdtri(1, 1 - prob))
    scale = _statistic_scale(problem, estimate)
    best = float(problem.objective(estimate[None])[0])
    value = float(estimate[j])
    ends = []
    for side in (-1.0, 1.0):
        width = 3 * stderr if stderr and np.isfinite(stderr) and stderr > 0 else 0.1 * max(abs(value), 1e-3)
        end = side * np.inf
        for _ in range(_EXPANSIONS):
            grid = np.clip(
                value + side * width * np.linspace(0, 1, _POINTS_PER_SCAN + 1)[1:],
                problem.lower[j], problem.upper[j],
            )
            statistic = _profile(problem, estimate, j, grid, best, scale)
            crossed = np.flatnonzero(statistic > critical)
            if crossed.size:
                k = int(crossed[0])
                previous_value = value if k == 0 else grid[k - 1]
                previous_stat = 0.0 if k == 0 else statistic[k - 1]
                t = (critical - previous_stat) / (statistic[k] - previous_stat)
                end = float(previous_value + t * (grid[k] - previous_value))
                break
            if grid[-1] in (problem.lower[j], problem.upper[j]):
                end = float(grid[-1])
                break
            width *= 3
        ends.append(end)
    return Interval(ends[0], ends[1], prob, "profile-likelihood")


def _profile(
    problem: Problem, estimate: np.ndarray, j: int, values: np.ndarray, best: float, scale: float
) -> np.ndarray:
    start = np.tile(estimate, (values.size, 1))
    start[:, j] = values
    lower = np.tile(problem.lower, (values.size, 1))
    upper = np.tile(problem.upper, (values.size, 1))
    lower[:, j] = upper[:, j] = values
    solved = LevenbergMarquardt(max_iter=500).solve(problem, start, lower=lower, upper=upper)
    return 2 * np.maximum(solved.objective - best, 0.0) * scale
