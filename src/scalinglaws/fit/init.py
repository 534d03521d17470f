"""Start strategies: where the polish starts from (numpyro's ``init_to_*`` idea).

A strategy takes the problem and the fit's settings and returns :class:`Starts`, the points to
polish and how many evaluations chose them. The engine picks :func:`auto`; the others are the pieces
it is made of, and a caller may pass any of them (or its own) to :func:`scalinglaws.fit.api.solve`.

- :func:`grid`: a full grid over the searched parameters in up to three dimensions, a scrambled Sobol
  sample beyond; parameters that enter linearly are solved exactly in each cell (variable projection)
  instead of searched; the best cells from distinct basins are kept.
- :func:`nested`: for a law with a nested special case (a BNSL without its last break), fit the nested
  law first and search only the missing parameters around each of its distinct optima.
- :func:`values`: given points.
- :func:`from_groups`: for a grouped fit, each group fitted alone, combined.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scalinglaws.executors import AbstractExecutor, run_chunks
from scalinglaws.fit import reduced
from scalinglaws.fit._problem import Problem, build_problem
from scalinglaws.fit._varpro import (
    MAX_ACTIVE_SETS,
    active_set_count,
    linear_structure,
    project_linear,
)
from scalinglaws.fit.config import FitConfig
from scalinglaws.fit.layout import ParamLayout
from scalinglaws.fit.multistart import Multistart, best_of, distinct_best, merge, unit_coordinates
from scalinglaws.fit.solver import LevenbergMarquardt

_GRID_MAX_DIMENSIONS = 3
_MULTISTART_POLISH = 32
"""Starts kept when no parameter is solved by projection (a plain multistart over all of them)."""
_SCREEN_ITERATIONS = 60
"""Iterations of the short polish that ranks the starts grown from a nested law's optima."""
_CELLS_TIMES_ROWS = 500_000
"""Grid cells times rows times linear parameters scored at once (~4 MB per array of that shape, which
keeps the passes over them in cache; more cells at once is slower per cell, fewer pays Python's
overhead per call)."""
_SAME_OPTIMUM = 0.02
"""End points of a nested fit closer than this, in units of the start ranges, are one optimum."""


@dataclass(frozen=True)
class Starts:
    """Points to polish, shape ``(n_starts, n_params)``, and the evaluations it took to choose them.

    ``reserve`` holds further points to polish only when none of ``points`` converges (the best cells
    of distinct neighbourhoods that are not local minima of the grid): one start per basin is usually
    all the work there is, and the reserve is the fall-back for a basin the grid misjudges.
    """

    points: np.ndarray
    n_scored: int = 0
    reserve: np.ndarray | None = None


StartStrategy = Callable[[Problem, FitConfig], Starts]


def start_points(
    lower: np.ndarray, upper: np.ndarray, log: np.ndarray, n_points: int, seed: int
) -> np.ndarray:
    """About ``n_points`` starts inside ``[lower, upper]``, geometric where ``log`` is true.

    Returns an array of shape ``(n_starts, len(lower))``; with no dimensions, one empty start.
    """
    d = lower.size
    if d == 0:
        return np.zeros((1, 0))
    if d <= _GRID_MAX_DIMENSIONS:
        per_axis = max(2, round(n_points ** (1.0 / d)))
        unit = np.array(list(itertools.product(np.linspace(0.0, 1.0, per_axis), repeat=d)))
    else:
        from scipy.stats import qmc

        unit = qmc.Sobol(d, scramble=True, seed=seed).random(2 ** int(np.ceil(np.log2(n_points))))
    lo = np.where(log, np.log(np.where(log, lower, 1.0)), lower)
    hi = np.where(log, np.log(np.where(log, upper, 1.0)), upper)
    points = lo + unit * (hi - lo)
    return np.where(log, np.exp(points), points)


def anchor(problem: Problem) -> np.ndarray:
    """A point of the problem with every fixed parameter at its value (the rest zero)."""
    point = np.zeros((1, problem.n_params))
    fixed = problem.lower == problem.upper
    point[0, fixed] = problem.lower[fixed]
    return point


def _searched(problem: Problem) -> tuple[np.ndarray, np.ndarray, bool]:
    """The free linear parameters, the searched ones, and whether the linear ones are projected."""
    linear, nonlinear = linear_structure(problem)
    use_projection = linear.size > 0 and (
        active_set_count(problem.lower[linear], problem.upper[linear]) <= MAX_ACTIVE_SETS
    )
    return linear, (nonlinear if use_projection else problem.free), use_projection


CELL_CHUNKS_PER_TASK = 8
"""Chunks of grid cells (each about ``_CELLS_TIMES_ROWS`` cell-rows) scored per task on an executor."""


def _score_cells(
    context: tuple[Problem, np.ndarray, bool, np.ndarray, int], span: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Cells ``first <= i < last`` of a grid (linear parameters projected) and their objectives, scored
    ``chunk`` cells at a time from ``first`` (so any cut at multiples of ``chunk`` scores them alike)."""
    problem, linear, use_projection, candidates, chunk = context
    first, last = span
    cells = candidates[first:last].copy()
    values = np.empty(last - first)
    for start in range(0, last - first, chunk):
        part = slice(start, start + chunk)
        if use_projection:
            cells[part], prediction = project_linear(problem, linear, cells[part], n_iter=2)
            values[part] = problem.objective_of_prediction(prediction, cells[part])
        else:
            values[part] = problem.objective(cells[part])
    return cells, values


def _grid_around(
    problem: Problem, config: FitConfig, bases: np.ndarray, searched: np.ndarray, linear: np.ndarray,
    use_projection: bool, executor: AbstractExecutor | None = None,
) -> Starts:
    """The best distinct cells of a grid over ``searched`` laid around each row of ``bases``."""
    # Past three searched dimensions a grid becomes a sparse Sobol sample: each extra dimension doubles
    # it (up to 16x) and adds eight polished starts. A one-break BNSL needs this to find its basin.
    extra = max(0, searched.size - 3)
    theta = start_points(
        problem.init_lower[searched],
        problem.init_upper[searched],
        problem.init_log[searched],
        config.n_grid * 2 ** min(extra, 4),
        config.seed,
    )
    if use_projection:
        keep = config.n_polish + 8 * extra
    else:
        keep = max(config.n_polish, _MULTISTART_POLISH) + 8 * extra
    lattice = _lattice(theta.shape[0], searched.size)
    spacing = 1.0 / max(1.0, theta.shape[0] ** (1.0 / max(searched.size, 1)) - 1.0)
    chosen, reserve = [], []
    n_scored = 0
    # Cells are scored a chunk at a time, so memory stays O(rows x chunk), never O(rows x grid). On an
    # executor a task scores CELL_CHUNKS_PER_TASK of those chunks, each exactly as here.
    chunk = max(1, int(_CELLS_TIMES_ROWS // max(problem.n_points * max(linear.size, 1), 1)))
    n_cells = theta.shape[0]
    per_task = n_cells if executor is None else chunk * CELL_CHUNKS_PER_TASK
    spans = [(a, min(n_cells, a + per_task)) for a in range(0, n_cells, per_task)]
    names = [f"grid cells {a}-{b - 1}" for a, b in spans]
    for base in bases:
        candidates = np.tile(base, (n_cells, 1))
        candidates[:, searched] = theta
        context = (problem, linear, use_projection, candidates, chunk)
        parts = run_chunks(executor, _score_cells, spans, context, names, "start grid")
        candidates = np.concatenate([c for c, _ in parts])
        values = np.concatenate([v for _, v in parts])
        coordinates = unit_coordinates(problem, candidates, searched)
        kept = local_minima(values, coordinates, lattice)[:keep]
        chosen.append(candidates[kept])
        spread = distinct_best(values, coordinates, keep, 1.5 * spacing)
        reserve.append(candidates[np.setdiff1d(spread, kept)])
        n_scored += candidates.shape[0]
    return Starts(np.concatenate(chosen), n_scored, np.concatenate(reserve))


def _lattice(n_points: int, d: int) -> tuple[int, ...] | None:
    """The shape of the full grid ``start_points`` lays in ``d`` dimensions, or None for a Sobol sample."""
    if d == 0 or d > _GRID_MAX_DIMENSIONS:
        return None
    per_axis = round(n_points ** (1.0 / d))
    return (per_axis,) * d if per_axis**d == n_points else None


def local_minima(values: np.ndarray, coordinates: np.ndarray, lattice: tuple[int, ...] | None) -> np.ndarray:
    """Indices of the candidates no neighbour of which is lower, best first: one start per basin.

    Neighbours are the adjacent cells of a full grid (diagonals included), or the ``2d`` nearest
    candidates of a Sobol sample (in the unit cube of the start ranges). Every basin of the grid's
    objective that holds a cell holds one of these, so polishing them, and only them, polishes one
    start per basin; neighbouring cells of one basin would only converge to the same optimum.
    """
    finite = np.where(np.isfinite(values), values, np.inf)
    if lattice is not None:
        cube = finite.reshape(lattice)
        padded = np.pad(cube, 1, constant_values=np.inf)
        lowest = np.full(cube.shape, True)
        centre = tuple(slice(1, n + 1) for n in lattice)
        for shift in itertools.product((-1, 0, 1), repeat=len(lattice)):
            if any(shift):
                window = tuple(slice(1 + k, n + 1 + k) for k, n in zip(shift, lattice, strict=True))
                lowest &= padded[centre] <= padded[window]
        minima = np.flatnonzero(lowest.ravel() & np.isfinite(finite))
    elif values.size > 1:
        from scipy.spatial import cKDTree

        k = min(values.size, 2 * coordinates.shape[1] + 1)
        _, neighbours = cKDTree(coordinates).query(coordinates, k=k)
        minima = np.flatnonzero((finite[:, None] <= finite[neighbours]).all(axis=1) & np.isfinite(finite))
    else:
        minima = np.flatnonzero(np.isfinite(finite))
    return minima[np.argsort(finite[minima], kind="stable")]


def grid(problem: Problem, config: FitConfig, executor: AbstractExecutor | None = None) -> Starts:
    """Distinct starting points from a grid (or Sobol sample) over the searched parameters, best first.

    With linear parameters, the grid covers only the nonlinear ones and each cell gets the exactly
    solved linear ones (two reweighting passes; the polish finishes the job); the best cells from
    distinct basins are kept. Without, a multi-start over all parameters. The cells are scored in
    chunks on ``executor`` when given (the same starts to the last bit).
    """
    linear, searched, use_projection = _searched(problem)
    return _grid_around(problem, config, anchor(problem), searched, linear, use_projection, executor)


def nested(problem: Problem, config: FitConfig, executor: AbstractExecutor | None = None) -> Starts:
    """Starts grown from the optima of the law's nested special case.

    The grid covers only the parameters the nested law lacks, once around each distinct optimum of the
    nested fit; the best cells of all grids get a short polish, which ranks them far better than their
    starting values do, and the best ``n_polish`` of those are kept.
    """
    law = problem.law
    assert law.nested is not None
    sub_law = law.nested.with_specs({n: law.spec(n) for n in law.nested.param_names})
    layout = ParamLayout(sub_law.param_names)
    sub = build_problem(
        sub_law, problem.x, problem.y, problem.weights, layout, None, problem.loss, problem.delta,
        problem.space, problem.asymmetry, problem.backend,
    )
    solution = solve(sub, config)
    distinct = distinct_best(
        solution.start_objectives,
        unit_coordinates(sub, solution.starts, np.arange(sub.n_params)),
        config.n_polish,
        _SAME_OPTIMUM,
    )
    index = np.array([problem.names.index(n) for n in sub.names])
    bases = np.repeat(anchor(problem), distinct.size, axis=0)
    bases[:, index] = solution.starts[distinct]
    set_by_nested = np.zeros(problem.n_params, dtype=bool)
    set_by_nested[index] = True
    linear, searched, use_projection = _searched(problem)
    searched = searched[~set_by_nested[searched]]
    grown = _grid_around(problem, config, bases, searched, linear, use_projection, executor)
    screened = LevenbergMarquardt(max_iter=_SCREEN_ITERATIONS).solve(problem, grown.points)
    best = np.argsort(screened.objective, kind="stable")[: config.n_polish]
    return Starts(screened.params[best], solution.nfev + grown.n_scored + screened.nfev)


def auto(problem: Problem, config: FitConfig, executor: AbstractExecutor | None = None) -> Starts:
    """The default: :func:`nested` for a law with a nested special case, :func:`grid` otherwise (the
    grid's cells scored in chunks on ``executor`` when given)."""
    if problem.law.nested is not None:
        return nested(problem, config, executor)
    return grid(problem, config, executor)


def values(points: np.ndarray) -> StartStrategy:
    """A strategy that starts from the given points (rows of the expanded parameter vector)."""
    given = np.atleast_2d(np.asarray(points, dtype=float))

    def strategy(problem: Problem, config: FitConfig) -> Starts:
        return Starts(given)

    return strategy


ALONE_PER_TASK = 4
"""Groups per chunk of the one-by-one group fits (laws the batched path cannot take); each group is its
own problem, so any cut gives the same fits."""


def _fit_alone(context: tuple[Problem, FitConfig], span: tuple[int, int]) -> list[np.ndarray]:
    """Each group of ``first <= g < last`` fitted alone with the full start strategy."""
    problem, config = context
    law = problem.law
    layout = ParamLayout(law.param_names)
    fitted = []
    for block in problem.blocks[span[0] : span[1]]:
        rows = block.rows
        alone = build_problem(
            law, {k: v[rows] for k, v in problem.x.items()}, problem.y[rows], problem.weights[rows],
            layout, None, problem.loss, problem.delta, problem.space, problem.asymmetry, problem.backend,
        )
        fitted.append(solve(alone, config).params)
    return fitted


def from_groups(problem: Problem, config: FitConfig, executor: AbstractExecutor | None = None) -> Starts:
    """Starts for a grouped fit: each group fitted alone (on ``executor``, a few groups per chunk, when
    given); each group's value of a shared parameter (and their median) taken in turn."""
    law = problem.law
    n_groups = len(problem.blocks)
    spans = [(a, min(n_groups, a + ALONE_PER_TASK)) for a in range(0, n_groups, ALONE_PER_TASK)]
    names = [f"groups {a}-{b - 1}" for a, b in spans]
    parts = run_chunks(executor, _fit_alone, spans, (problem, config), names, "grouped fit")
    per_group = [params for part in parts for params in part]
    fitted = np.array(per_group)
    candidates = [*fitted, np.median(fitted, axis=0)]
    starts = np.zeros((len(candidates), problem.n_params))
    for s, shared_values in enumerate(candidates):
        for g, block in enumerate(problem.blocks):
            starts[s, block.index] = fitted[g]
        for j, name in enumerate(law.param_names):
            if name in problem.names:
                starts[s, problem.names.index(name)] = shared_values[j]
    return Starts(np.unique(np.clip(starts, problem.lower, problem.upper), axis=0))


def solve(problem: Problem, config: FitConfig, strategy: StartStrategy = auto) -> Multistart:
    """Choose starts with ``strategy`` and polish them with the config's iteration limit; when none
    converges, polish the strategy's reserve too and keep the best of all."""
    starts = strategy(problem, config)
    solver = LevenbergMarquardt(max_iter=config.max_iter)
    moved = _reduced(problem, starts.points)
    first = best_of(problem, moved, solver, starts.n_scored)
    if first.converged:
        return first
    # The fast path did not converge: the starts as the grid gave them (when the reduced polish moved
    # them) and the reserve, polished in full.
    fallback = [starts.points] if moved is not starts.points else []
    if starts.reserve is not None:
        fallback.append(starts.reserve)
    if not fallback or sum(f.shape[0] for f in fallback) == 0:
        return first
    return merge(first, best_of(problem, np.concatenate(fallback), solver), solver.rtol)


def _reduced(problem: Problem, points: np.ndarray) -> np.ndarray:
    """Starts moved along their ridges by the variable-projection polish where the law allows it (the
    full polish then finishes from there); unchanged otherwise."""
    if points.shape[0] == 0 or not reduced.applies(problem):
        return points
    return reduced.polish(problem, points)
