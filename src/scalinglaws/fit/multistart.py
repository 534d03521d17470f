"""Polish several starts at once and keep the best: the multistart wrapper around a solver."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from scalinglaws.errors import NonFiniteFitError
from scalinglaws.fit._problem import Problem
from scalinglaws.fit.solver import LevenbergMarquardt, Outcome


@dataclass(frozen=True)
class Multistart:
    """The best end point of a batch of polished starts, and every start's end point.

    ``starts`` are the end points of all starts (exchangeable parameter groups in one labelling),
    ``start_objectives`` their objectives; ``params`` and ``objective`` are the best of them.
    """

    params: np.ndarray
    objective: float
    outcome: Outcome
    n_iter: int
    nfev: int
    starts: np.ndarray
    start_objectives: np.ndarray
    n_converged: int
    start_outcomes: np.ndarray
    start_iterations: np.ndarray

    def pick(self, i: int) -> Multistart:
        """The same solution with end point ``i`` as the fit."""
        return replace(
            self,
            params=self.starts[i],
            objective=float(self.start_objectives[i]),
            outcome=Outcome(int(self.start_outcomes[i])),
            n_iter=int(self.start_iterations[i]),
        )

    @property
    def converged(self) -> bool:
        return self.outcome is Outcome.CONVERGED

    @property
    def max_iter_hit(self) -> bool:
        return self.outcome is Outcome.MAX_ITER


def best_of(problem: Problem, starts: np.ndarray, solver: LevenbergMarquardt, n_scored: int = 0) -> Multistart:
    """Polish every row of ``starts`` and keep the one with the lowest objective (a converged one
    among those equal to it within the solver's tolerance: see :func:`ranked`).

    ``n_scored`` counts the evaluations that chose the starts (added to ``nfev``).

    Raises
    ------
    NonFiniteFitError
        If there is no start (no candidate had a finite objective).
    """
    if starts.shape[0] == 0:
        raise NonFiniteFitError(
            f"the objective of law {problem.law.label!r} is not finite at any of {n_scored} starts: "
            "the law gives non-positive or non-finite predictions everywhere"
            + (" (log space needs positive predictions; try `space='linear'`)." if problem.space == "log"
               else ".")
            + " Check the formula, the bounds and the initial ranges."
        )
    solved = solver.solve(problem, starts)
    params = sorted_exchangeable(problem, solved.params)
    best = int(ranked(solved.objective, solved.outcome, solver.rtol)[0])
    return Multistart(
        params=params[best],
        objective=float(solved.objective[best]),
        outcome=Outcome(int(solved.outcome[best])),
        n_iter=int(solved.n_iter[best]),
        nfev=solved.nfev + n_scored,
        starts=params,
        start_objectives=solved.objective,
        n_converged=int(np.sum(solved.converged)),
        start_outcomes=solved.outcome,
        start_iterations=solved.n_iter,
    )


def ranked(objectives: np.ndarray, outcomes: np.ndarray, rtol: float = LevenbergMarquardt.rtol) -> np.ndarray:
    """End points best first: by objective, except that the lowest converged one comes first when it
    is within ``rtol`` (relative) of the lowest of all.

    A row converges once a full Gauss-Newton step would gain less than ``rtol`` times its objective,
    so a row still crawling along a flat ridge may end a few ulps lower at the iteration limit: the
    same optimum, which the converged row reports with its honest status.
    """
    order = np.argsort(objectives, kind="stable")
    converged = order[outcomes[order] == Outcome.CONVERGED]
    if converged.size == 0 or converged[0] == order[0]:
        return order
    first = converged[0]
    if not objectives[first] <= objectives[order[0]] + rtol * abs(objectives[order[0]]):
        return order
    return np.concatenate([[first], order[order != first]])


def sorted_exchangeable(problem: Problem, params: np.ndarray) -> np.ndarray:
    """Rows of ``params`` with the law's exchangeable groups sorted by their first parameter: the
    same fits, one labelling. Left alone in a grouped fit where each group has its own copies."""
    groups = problem.law.exchangeable
    if not groups or not all(n in problem.names for group in groups for n in group):
        return params
    index = np.array([[problem.names.index(n) for n in group] for group in groups])
    order = np.argsort(params[:, index[:, 0]], axis=1, kind="stable")
    out = params.copy()
    out[:, index] = np.take_along_axis(params[:, index], order[:, :, None], axis=1)
    return out


def distinct_best(values: np.ndarray, coordinates: np.ndarray, keep: int, min_distance: float) -> np.ndarray:
    """Indices of up to ``keep`` finite candidates, best first, no two closer than ``min_distance``.

    Neighbouring grid cells lead to the same optimum; polishing one per basin is enough.
    """
    chosen: list[int] = []
    for i in np.argsort(values, kind="stable"):
        if not np.isfinite(values[i]) or len(chosen) == keep:
            break
        if all(np.max(np.abs(coordinates[i] - coordinates[j])) >= min_distance for j in chosen):
            chosen.append(int(i))
    return np.array(chosen, dtype=int)


def unit_coordinates(problem: Problem, params: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Parameters mapped to the unit cube of their initial ranges (log-scaled where the grid is)."""
    lo, hi, log = problem.init_lower[columns], problem.init_upper[columns], problem.init_log[columns]
    values = params[:, columns]
    with np.errstate(all="ignore"):
        values = np.where(log, np.log(np.abs(values) + 1e-300), values)
        lo = np.where(log, np.log(np.where(log, lo, 1.0)), lo)
        hi = np.where(log, np.log(np.where(log, hi, 1.0)), hi)
    return (values - lo) / np.where(hi > lo, hi - lo, 1.0)


def merge(first: Multistart, second: Multistart, rtol: float) -> Multistart:
    """Two multistarts of one problem as one: every end point, the best of both (:func:`ranked`)
    as the fit."""
    both = replace(
        first,
        nfev=first.nfev + second.nfev,
        starts=np.concatenate([first.starts, second.starts]),
        start_objectives=np.concatenate([first.start_objectives, second.start_objectives]),
        n_converged=first.n_converged + second.n_converged,
        start_outcomes=np.concatenate([first.start_outcomes, second.start_outcomes]),
        start_iterations=np.concatenate([first.start_iterations, second.start_iterations]),
    )
    return both.pick(int(ranked(both.start_objectives, both.start_outcomes, rtol)[0]))
