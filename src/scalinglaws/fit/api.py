"""``fit``: validate once at the boundary, then variable projection + batched polish."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from typing import Any, get_args

import numpy as np
from scipy import stats

from scalinglaws.errors import (
    ConvergenceError,
    DataError,
    LawSpecError,
    MissingColumnError,
    NonFiniteFitError,
    SchemaError,
)
from scalinglaws.fit._problem import Block, Problem
from scalinglaws.fit._solve import levenberg_marquardt
from scalinglaws.fit._varpro import (
    MAX_ACTIVE_SETS,
    active_set_count,
    linear_structure,
    project_linear,
)
from scalinglaws.fit.bootstrap import BootstrapResult, Interval, Method, bootstrap_problem
from scalinglaws.fit.diagnostics import (
    CONDITION_LIMIT,
    at_bound,
    condition_number,
    diagnose,
    information,
)
from scalinglaws.fit.init import start_points
from scalinglaws.fit.losses import Loss, Space, psi
from scalinglaws.fit.profile import profile_interval
from scalinglaws.fit.result import FitConfig, FitResult, FitStatus
from scalinglaws.laws import COLUMN_ALIASES, Law, ParamSpec, get_law
from scalinglaws.laws._formula import formula_names, parse_formula

_MULTISTART_POLISH = 32
_SCREEN_ITERATIONS = 60
"""Iterations of the short polish that ranks the starts grown from a nested law's optima."""
_SAME_OPTIMUM = 0.02
"""End points of a nested fit closer than this, in units of the start ranges, are one optimum."""


def package_version() -> str:
    try:
        return version("scalinglaws")
    except PackageNotFoundError:
        return "0+unknown"


def resolve_law(
    law: str | Law, columns: Sequence[str], mapping: Mapping[str, str], target: str
) -> tuple[Law, dict[str, str]]:
    """Return the law and the column each of its inputs reads.

    A string is a catalog name or a formula; in a formula, names that are columns (directly, through
    ``mapping``, or through the descriptive alias of a literature symbol such as ``N -> n_params``) are
    inputs and all others are parameters.
    """
    if isinstance(law, str) and not _looks_like_formula(law):
        law = get_law(law)
    if isinstance(law, str):
        parse_formula(law)
        names = formula_names(law)
        inputs = [n for n in names if _column_for(n, columns, mapping) is not None]
        if not inputs:
            raise LawSpecError(
                f"formula {law!r} reads no column of the data: none of {list(names)} is a column. "
                f"Columns: {sorted(columns)}. Map a name to a column, e.g. `--map N=n_params`."
            )
        law = Law.from_formula(law, inputs=inputs)
    unknown = [n for n in mapping if n not in law.inputs and n not in law.param_names]
    if unknown:
        raise LawSpecError(
            f"`mapping` names {unknown}, which are not inputs of law {law.label!r} "
            f"(inputs: {list(law.inputs)})."
        )
    colliding = [n for n in mapping if n in law.param_names]
    colliding += [n for n in law.param_names if n in columns and n not in colliding]
    if colliding:
        raise LawSpecError(
            f"parameter(s) {colliding} of law {law.label!r} have the name of a data column or are mapped "
            "to one. Rename the column, or write the formula with another parameter name."
        )
    resolved = {}
    for name in law.inputs:
        column = _column_for(name, columns, mapping)
        if column is None:
            looked_for = [mapping[name]] if name in mapping else [name]
            if name not in mapping and name in COLUMN_ALIASES:
                looked_for.append(COLUMN_ALIASES[name])
            raise MissingColumnError(
                f"no column {' or '.join(map(repr, looked_for))} for input `{name}` of law {law.label!r}. "
                f"Available columns: {sorted(columns)}. Map it with `mapping={{'{name}': COLUMN}}` "
                f"(CLI: `--map {name}=COLUMN`)."
            )
        if column == target:
            raise LawSpecError(f"input `{name}` of law {law.label!r} reads the target column {target!r}.")
        resolved[name] = column
    return law, resolved


def _looks_like_formula(text: str) -> bool:
    return not text.isidentifier()


def _column_for(name: str, columns: Sequence[str], mapping: Mapping[str, str]) -> str | None:
    if name in mapping:
        return mapping[name] if mapping[name] in columns else None
    if name in columns:
        return name
    alias = COLUMN_ALIASES.get(name)
    return alias if alias in columns else None


def _float_column(columns: Mapping[str, Any], name: str, role: str) -> np.ndarray:
    if name not in columns:
        raise MissingColumnError(f"column {name!r} ({role}) is missing. Available columns: {sorted(columns)}.")
    try:
        values = np.asarray(columns[name], dtype=float)
    except (TypeError, ValueError):
        raise SchemaError(
            f"column {name!r} ({role}) must be numeric. Got values like {list(columns[name][:3])!r}."
        ) from None
    return values


def _bad_rows_message(rows: np.ndarray, values: np.ndarray) -> str:
    shown = ", ".join(f"{int(i)} ({float(values[i])!r})" for i in rows[:5])
    more = f" and {rows.size - 5} more" if rows.size > 5 else ""
    return f"{rows.size} row(s): {shown}{more}"


def _check_rows(name: str, role: str, values: np.ndarray, bad: np.ndarray, rule: str, fix: str) -> None:
    """Raise naming the bad rows; a row of a history input is bad when any of its entries is."""
    per_row = bad.reshape(bad.shape[0], -1)
    rows = np.flatnonzero(per_row.any(axis=1))
    if rows.size:
        first_bad = values.reshape(per_row.shape)[np.arange(per_row.shape[0]), np.argmax(per_row, axis=1)]
        raise DataError(
            f"column {name!r} ({role}) must be {rule}; {_bad_rows_message(rows, first_bad)} are not "
            f"(row numbers count from 0). {fix} Nothing was dropped."
        )


def _validate_options(loss: str, delta: float, space: str, asymmetry: float, n_grid: int) -> None:
    if loss not in get_args(Loss):
        raise ValueError(f"`loss` of fit must be one of {get_args(Loss)}. Got {loss!r} instead.")
    if space not in get_args(Space):
        raise ValueError(f"`space` of fit must be one of {get_args(Space)}. Got {space!r} instead.")
    if not (math.isfinite(delta) and delta > 0):
        raise ValueError(f"`delta` of fit must be a positive number. Got {delta!r} instead.")
    if not (math.isfinite(asymmetry) and asymmetry > 0):
        raise ValueError(f"`asymmetry` of fit must be a positive number. Got {asymmetry!r} instead.")
    if n_grid < 1:
        raise ValueError(f"`n_grid` of fit must be at least 1. Got {n_grid!r} instead.")


def _apply_overrides(
    law: Law,
    bounds: Mapping[str, tuple[float, float]] | None,
    init: Mapping[str, tuple[float, float] | float] | None,
) -> Law:
    """The law with the caller's bounds and start ranges; a start range outside new bounds is reset."""
    specs = {}
    for name in sorted({*(bounds or {}), *(init or {})}):
        spec = law.spec(name)
        if bounds and name in bounds:
            lo, hi = (float(v) for v in bounds[name])
            inside = spec.init is not None and lo <= spec.init[0] and spec.init[1] <= hi
            spec = replace(spec, lower=lo, upper=hi, init=spec.init if inside else None)
        if init and name in init:
            value = init[name]
            lo, hi = (value, value) if isinstance(value, int | float) else value
            spec = replace(spec, init=(float(lo), float(hi)), init_from=None)
        specs[name] = spec
    return law.with_specs(specs) if specs else law


def _init_range(spec: ParamSpec, x: Mapping[str, np.ndarray]) -> tuple[float, float, bool]:
    lo, hi = spec.init_range
    log = spec.init_scale == "log"
    if spec.init_from is not None:
        values = x[spec.init_from]
        lo, hi = float(np.min(values)), float(np.max(values))
        lo, hi = max(lo, spec.lower), min(hi, spec.upper)
        log = log and lo > 0
    return lo, hi, log


def _digest(arrays: Mapping[str, np.ndarray | bytes]) -> str:
    h = hashlib.sha256()
    for name, values in arrays.items():
        h.update(name.encode())
        h.update(values if isinstance(values, bytes) else np.ascontiguousarray(values).tobytes())
    return "sha256:" + h.hexdigest()


def _build_problem(
    law: Law,
    x: dict[str, np.ndarray],
    y: np.ndarray,
    w: np.ndarray,
    labels: np.ndarray | None,
    shared: Sequence[str],
    config: FitConfig,
) -> Problem:
    names: list[str] = []
    specs: list[ParamSpec] = []
    index_of: dict[str, int] = {}

    def column(name: str, spec: ParamSpec) -> int:
        if name not in index_of:
            index_of[name] = len(names)
            names.append(name)
            specs.append(spec)
        return index_of[name]

    groups = [None] if labels is None else list(dict.fromkeys(labels.tolist()))
    blocks = []
    for group in groups:
        rows = np.arange(y.size) if group is None else np.flatnonzero(labels == group)
        index = [
            column(p.name if group is None or p.name in shared else f"{p.name}[{group}]", p)
            for p in law.params
        ]
        blocks.append(Block(rows, np.array(index, dtype=int)))
    ranges = [_init_range(s, x) for s in specs]
    return Problem(
        law=law,
        x=x,
        y=y,
        weights=w,
        names=tuple(names),
        lower=np.array([s.lower for s in specs]),
        upper=np.array([s.upper for s in specs]),
        init_lower=np.array([r[0] for r in ranges]),
        init_upper=np.array([r[1] for r in ranges]),
        init_log=np.array([r[2] for r in ranges], dtype=bool),
        blocks=tuple(blocks),
        loss=config.loss,
        delta=config.delta,
        space=config.space,
        asymmetry=config.asymmetry,
    )


@dataclass(frozen=True)
class _Solution:
    params: np.ndarray
    objective: float
    converged: bool
    n_iter: int
    max_iter_hit: bool
    nfev: int
    starts: np.ndarray
    start_objectives: np.ndarray
    n_converged: int


def _unit_coordinates(problem: Problem, params: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Parameters mapped to the unit cube of their initial ranges (log-scaled where the grid is)."""
    lo, hi, log = problem.init_lower[columns], problem.init_upper[columns], problem.init_log[columns]
    values = params[:, columns]
    with np.errstate(all="ignore"):
        values = np.where(log, np.log(np.abs(values) + 1e-300), values)
        lo = np.where(log, np.log(np.where(log, lo, 1.0)), lo)
        hi = np.where(log, np.log(np.where(log, hi, 1.0)), hi)
    return (values - lo) / np.where(hi > lo, hi - lo, 1.0)


def _distinct_best(
    values: np.ndarray, coordinates: np.ndarray, keep: int, min_distance: float
) -> np.ndarray:
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


def _candidate_starts(problem: Problem, config: FitConfig) -> tuple[np.ndarray, int]:
    """Distinct starting points ranked by objective, best first, and how many were scored.

    With linear parameters, the grid covers only the nonlinear ones and each cell gets the exactly
    solved linear ones (two reweighting passes; the polish finishes the job); the best cells from
    distinct basins are polished. Without, a multi-start over all parameters.

    A law with a nested special case is grown from it: the grid covers only the parameters the
    nested law lacks, once around each distinct optimum of the nested fit; the best cells of all
    grids get a short polish, which ranks them far better than their starting values do, and the
    best ``n_polish`` of those are polished fully.
    """
    linear, nonlinear = linear_structure(problem)
    use_projection = linear.size > 0 and (
        active_set_count(problem.lower[linear], problem.upper[linear]) <= MAX_ACTIVE_SETS
    )
    searched = nonlinear if use_projection else np.arange(problem.n_params)
    nested = problem.law.nested
    bases, n_scored = np.zeros((1, problem.n_params)), 0
    if nested is not None:
        bases, fixed, n_scored = _nested_optima(problem, nested, config)
        searched = searched[~fixed[searched]]
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
    spacing = 1.0 / max(1.0, theta.shape[0] ** (1.0 / max(searched.size, 1)) - 1.0)
    chosen = []
    for base in bases:
        candidates = np.tile(base, (theta.shape[0], 1))
        candidates[:, searched] = theta
        if use_projection:
            candidates = project_linear(problem, linear, candidates, n_iter=2)
        values = problem.objective(candidates)
        kept = _distinct_best(
            values, _unit_coordinates(problem, candidates, searched), keep, 1.5 * spacing
        )
        chosen.append(candidates[kept])
        n_scored += candidates.shape[0]
    starts = np.concatenate(chosen)
    if nested is None:
        return starts, n_scored
    screened = levenberg_marquardt(problem, starts, max_iter=_SCREEN_ITERATIONS)
    best = np.argsort(screened.objective, kind="stable")[: config.n_polish]
    return screened.params[best], n_scored + screened.nfev


def _nested_optima(
    problem: Problem, nested: Law, config: FitConfig
) -> tuple[np.ndarray, np.ndarray, int]:
    """Up to ``n_polish`` distinct optima of ``nested`` fitted to the same data with this fit's
    bounds and start ranges, best first, as points of this problem; the mask of the parameters they
    set; and the evaluations the nested fit took."""
    law = problem.law
    nested = nested.with_specs({n: law.spec(n) for n in nested.param_names})
    sub = _build_problem(nested, problem.x, problem.y, problem.weights, None, (), config)
    solution = _solve(sub, config)
    distinct = _distinct_best(
        solution.start_objectives,
        _unit_coordinates(sub, solution.starts, np.arange(sub.n_params)),
        config.n_polish,
        _SAME_OPTIMUM,
    )
    index = np.array([problem.names.index(n) for n in sub.names])
    bases = np.zeros((distinct.size, problem.n_params))
    bases[:, index] = solution.starts[distinct]
    fixed = np.zeros(problem.n_params, dtype=bool)
    fixed[index] = True
    return bases, fixed, solution.nfev


def _solve(problem: Problem, config: FitConfig, starts: np.ndarray | None = None) -> _Solution:
    """Polish the given starts, or the best grid candidates when none are given."""
    if starts is None:
        starts, n_scored = _candidate_starts(problem, config)
    else:
        n_scored = 0
    if starts.shape[0] == 0:
        raise NonFiniteFitError(
            f"the objective of law {problem.law.label!r} is not finite at any of {n_scored} starts: "
            "the law gives non-positive or non-finite predictions everywhere"
            + (" (log space needs positive predictions; try `space='linear'`)." if problem.space == "log"
               else ".")
            + " Check the formula, the bounds and the initial ranges."
        )
    solved = levenberg_marquardt(problem, starts, max_iter=config.max_iter)
    params = _sorted_exchangeable(problem, solved.params)
    best = int(np.argmin(solved.objective))
    return _Solution(
        params=params[best],
        objective=float(solved.objective[best]),
        converged=bool(solved.converged[best]),
        n_iter=int(solved.n_iter[best]),
        max_iter_hit=bool(solved.n_iter[best] >= config.max_iter),
        nfev=solved.nfev + n_scored,
        starts=params,
        start_objectives=solved.objective,
        n_converged=int(np.sum(solved.converged)),
    )


def _sorted_exchangeable(problem: Problem, params: np.ndarray) -> np.ndarray:
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


def _covariance(problem: Problem, params: np.ndarray) -> tuple[np.ndarray | None, float]:
    """Asymptotic covariance of the estimate (Huber's M-estimator formula) and the condition number."""
    jac, r, w = information(problem, params)
    n, p = jac.shape
    condition, correlation = condition_number(jac, w)
    if correlation is None or n <= p or not condition <= CONDITION_LIMIT:
        return None, condition
    slope = psi(r, problem.loss, problem.delta)
    mean_inside = _share_inside(r, problem.delta) if problem.loss == "huber" else 1.0
    if mean_inside * n < 1:
        return None, condition
    correction = 1.0 + (p / n) * (1.0 - mean_inside) / mean_inside
    scale = correction**2 * float(np.sum(w * slope**2)) / (n - p) / mean_inside**2
    diag = np.sqrt(np.diag(jac.T @ (w[:, None] * jac)))
    inverse = np.linalg.inv(correlation) / np.outer(diag, diag)
    return scale * inverse, condition


def _share_inside(r: np.ndarray, delta: float) -> float:
    """Share of residuals inside Huber's quadratic region, from a kernel density of the residuals.

    Counting them instead fails when delta is small: the fit passes through about p points exactly, as
    a median does, and counting those made standard errors about twice too small on 40-run ladders.
    Smoothing over a bandwidth much wider than delta removes that artefact (Silverman's rule).
    """
    spread = min(float(np.std(r)), float(np.subtract(*np.percentile(r, [75, 25]))) / 1.34)
    bandwidth = 0.9 * spread * r.size ** (-0.2)
    if bandwidth <= 0:
        return float(np.mean(np.abs(r) <= delta))
    return float(np.mean(stats.norm.cdf((delta - r) / bandwidth) - stats.norm.cdf((-delta - r) / bandwidth)))


def _status(problem: Problem, solution: _Solution, condition: float) -> tuple[FitStatus, str]:
    bounded = at_bound(problem, solution.params)
    notes = []
    # A redundant parameter is the cause when the optimiser also stalls, so it is reported first.
    if condition > CONDITION_LIMIT:
        status = FitStatus.ILL_CONDITIONED
    elif solution.max_iter_hit:
        status = FitStatus.MAX_ITER
    elif not solution.converged:
        status = FitStatus.ABNORMAL
    elif bounded:
        status = FitStatus.BOUND_HIT
    else:
        status = FitStatus.CONVERGED
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
        return status, f"converged after {solution.n_iter} iterations"
    return status, "; ".join(notes)


def prepare(
    columns: Mapping[str, Any],
    law: str | Law,
    config: FitConfig,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    init: Mapping[str, tuple[float, float] | float] | None = None,
) -> tuple[Problem, FitConfig, np.ndarray | None, str]:
    """Validate the data against the law once and build the fitting problem.

    Returns the problem, the config with the resolved input columns, the group labels and the data
    digest.
    """
    mapping, target, weights, group, shared = (
        dict(config.mapping), config.target, config.weights, config.group, config.shared
    )
    names = list(columns)
    if target not in columns:
        raise MissingColumnError(
            f"target column {target!r} is missing. Available columns: {sorted(names)}. "
            "Name the target with `target=COLUMN` (CLI: `--target COLUMN`)."
        )
    law, input_columns = resolve_law(law, names, mapping, target)
    law = _apply_overrides(law, bounds, init)
    unknown_shared = [p for p in shared if p not in law.param_names]
    if unknown_shared:
        raise LawSpecError(
            f"`shared` names {unknown_shared}, which are not parameters of law {law.label!r} "
            f"({list(law.param_names)})."
        )
    if shared and group is None:
        raise ValueError("`shared` of fit needs `group`: parameters are shared across groups.")

    x = {name: _float_column(columns, col, f"input `{name}`") for name, col in input_columns.items()}
    if law.compiled.history_inputs:
        law.check_history_shapes(x, "fit")
    y = _float_column(columns, target, "target")
    w = _float_column(columns, weights, "weights") if weights else np.ones_like(y)
    for name, col in input_columns.items():
        _check_rows(col, f"input `{name}`", x[name], ~np.isfinite(x[name]), "finite",
                    "Drop or fill these rows before fitting.")
        if name in law.positive_inputs:
            _check_rows(col, f"input `{name}`", x[name], x[name] <= 0, "positive",
                        f"Law {law.label!r} raises `{name}` to a power or takes its log; check units "
                        "or drop these rows.")
    _check_rows(target, "target", y, ~np.isfinite(y), "finite", "Drop or fill these rows before fitting.")
    if config.space == "log":
        _check_rows(target, "target", y, y <= 0, "positive to fit in log space",
                    "Fit with `space='linear'` (CLI: `--space linear`) for targets that can be <= 0.")
    if weights:
        _check_rows(weights, "weights", w, ~np.isfinite(w) | (w < 0), "finite and non-negative",
                    "Fix the weights column.")

    labels = None
    if group is not None:
        if group not in columns:
            raise MissingColumnError(f"group column {group!r} is missing. Available: {sorted(names)}.")
        labels = np.asarray([str(v) for v in columns[group]])

    config = replace(config, mapping=input_columns)
    used: dict[str, np.ndarray | bytes] = {**{f"x:{k}": v for k, v in x.items()}, "y": y, "w": w}
    if labels is not None:
        used["group"] = "\0".join(labels.tolist()).encode()
    digest = _digest(used)

    problem = _build_problem(law, x, y, w, labels, shared, config)
    # A group's points must determine its own parameters; shared ones draw on every group.
    n_own = sum(1 for p in law.param_names if labels is None or p not in shared)
    for block in problem.blocks:
        if block.rows.size < n_own:
            where = "" if labels is None else f" in group {str(labels[block.rows[0]])!r}"
            raise DataError(
                f"law {law.label!r} has {n_own} {'' if labels is None else 'group-specific '}parameters "
                f"but the data has {block.rows.size} point(s)"
                f"{where}; a fit needs at least as many points as parameters. Add runs, or fit a law "
                "with fewer parameters."
            )
    return problem, config, labels, digest


def fit(
    columns: Mapping[str, Any],
    law: str | Law = "chinchilla",
    *,
    loss: Loss = "huber",
    delta: float = 1e-3,
    space: Space = "log",
    asymmetry: float = 1.0,
    target: str = "loss",
    mapping: Mapping[str, str] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    init: Mapping[str, tuple[float, float] | float] | None = None,
    weights: str | None = None,
    group: str | None = None,
    shared: Sequence[str] = (),
    n_grid: int = 1024,
    n_polish: int = 8,
    max_iter: int = 500,
    seed: int = 0,
    strict: bool = False,
    provenance: Sequence[str] = (),
) -> FitResult:
    """Fit ``law`` to ``columns`` (a mapping of column name -> values).

    See :func:`scalinglaws.fit` for the parameters; this engine entry point takes columns already read.

    Raises
    ------
    MissingColumnError, SchemaError, DataError
        If a needed column is absent, not numeric, or holds values the law cannot use.
    LawSpecError
        If the law is unknown, does not parse, or a parameter collides with a column.
    NonFiniteFitError
        If the objective is not finite at any start.
    ConvergenceError
        If ``strict`` and the status is not ``CONVERGED``.
    """
    _validate_options(loss, delta, space, asymmetry, n_grid)
    config = FitConfig(
        loss=loss, delta=delta, space=space, asymmetry=asymmetry, target=target,
        mapping=dict(mapping or {}), weights=weights, group=group, shared=tuple(shared),
        n_grid=n_grid, n_polish=n_polish, max_iter=max_iter, seed=seed, provenance=tuple(provenance),
    )
    problem, config, labels, digest = prepare(columns, law, config, bounds, init)
    law = problem.law
    x, y, w = problem.x, problem.y, problem.weights
    starts = _starts_from_groups(law, x, y, w, problem, config) if labels is not None else None
    solution = _solve(problem, config, starts)
    covariance, condition = _covariance(problem, solution.params)
    status, message = _status(problem, solution, condition)
    params = {n: float(v) for n, v in zip(problem.names, solution.params, strict=True)}
    r = problem.residuals(problem.predict(solution.params[None]))[0]
    stderr = None
    if covariance is not None:
        stderr = {n: float(math.sqrt(max(v, 0.0))) for n, v in zip(problem.names, np.diag(covariance),
                                                                      strict=True)}
    groups = None
    if labels is not None:
        groups = {
            str(labels[block.rows[0]]): {p: params[problem.names[i]] for p, i in zip(
                law.param_names, block.index, strict=True)}
            for block in problem.blocks
        }
    result = FitResult(
        law=law,
        params=params,
        status=status,
        message=message,
        objective=solution.objective,
        rss=float(np.sum(w * r * r)),
        n_points=int(y.size),
        n_params=problem.n_params,
        nfev=solution.nfev,
        n_starts=int(solution.starts.shape[0]),
        n_converged=solution.n_converged,
        starts=tuple(
            {**dict(zip(problem.names, map(float, p), strict=True)), "objective": float(v)}
            for p, v in zip(solution.starts, solution.start_objectives, strict=True)
        ),
        covariance=covariance,
        stderr=stderr,
        config=config,
        data_digest=digest,
        version=package_version(),
        groups=groups,
        input_ranges={n: (float(np.min(v)), float(np.max(v))) for n, v in x.items() if v.ndim == 1},
        diagnostics=diagnose(problem, solution.params, covariance),
    )
    if strict and status is not FitStatus.CONVERGED:
        raise ConvergenceError(f"fit of law {law.label!r} ended with status {status.value}: {message}.")
    return result


def _starts_from_groups(
    law: Law,
    x: dict[str, np.ndarray],
    y: np.ndarray,
    w: np.ndarray,
    problem: Problem,
    config: FitConfig,
) -> np.ndarray:
    """Starts for a grouped fit: each group fitted alone; each group's value of a shared parameter
    (and their median) taken in turn."""
    per_group = []
    for block in problem.blocks:
        rows = block.rows
        alone = _build_problem(
            law, {k: v[rows] for k, v in x.items()}, y[rows], w[rows], None, (), config
        )
        per_group.append(_solve(alone, config).params)
    fitted = np.array(per_group)
    candidates = [*fitted, np.median(fitted, axis=0)]
    starts = np.zeros((len(candidates), problem.n_params))
    for s, shared_values in enumerate(candidates):
        for g, block in enumerate(problem.blocks):
            starts[s, block.index] = fitted[g]
        for j, name in enumerate(law.param_names):
            if name in problem.names:
                starts[s, problem.names.index(name)] = shared_values[j]
    return np.unique(np.clip(starts, problem.lower, problem.upper), axis=0)


def bootstrap(
    result: FitResult,
    columns: Mapping[str, Any],
    n_boot: int = 1000,
    seed: int = 0,
    method: Method = "pairs",
    cluster: str | None = None,
) -> BootstrapResult:
    """Refit ``result``'s law on ``n_boot`` resamples of the data it was fitted to, all at once.

    ``method="cluster"`` resamples whole runs: rows sharing a value of column ``cluster``.

    Raises
    ------
    DataError
        If ``columns`` is not the data the fit was made on (its digest differs).
    ValueError
        If ``n_boot`` < 1, ``method`` is unknown, or ``cluster`` is missing for the cluster method.
    """
    if n_boot < 1:
        raise ValueError(f"`n_boot` of bootstrap must be at least 1. Got {n_boot!r} instead.")
    if method not in get_args(Method):
        raise ValueError(f"`method` of bootstrap must be one of {get_args(Method)}. Got {method!r} instead.")
    if (method == "cluster") != (cluster is not None):
        raise ValueError(
            "`cluster` (the run-id column) must be given exactly when `method='cluster'`. "
            f"Got method={method!r}, cluster={cluster!r}."
        )
    problem, _, _, digest = prepare(columns, result.law, result.config)
    if digest != result.data_digest:
        raise DataError(
            "`data` passed to bootstrap is not the data the fit was made on (digest "
            f"{digest[:19]}... vs {result.data_digest[:19]}...). Pass the same table."
        )
    clusters = None
    if cluster is not None:
        if cluster not in columns:
            raise MissingColumnError(f"cluster column {cluster!r} is missing. Available: {sorted(columns)}.")
        clusters = np.asarray([str(v) for v in columns[cluster]])
    estimate = np.array([result.params[n] for n in problem.names])
    # Resamples start at the estimate and most converge in a few steps; the few that travel far
    # along the amplitude-exponent ridge get a larger iteration budget (only they stay active).
    return bootstrap_problem(
        problem, estimate, n_boot, seed, method, clusters, max(result.config.max_iter, 1000)
    )


def profile(
    result: FitResult, columns: Mapping[str, Any], name: str, prob: float = 0.95
) -> Interval:
    """Profile-likelihood interval of parameter ``name`` (see :mod:`scalinglaws.fit.profile`).

    Raises
    ------
    DataError
        If ``columns`` is not the data the fit was made on.
    LawSpecError
        If ``name`` is not a parameter of the fit.
    """
    if name not in result.params:
        raise LawSpecError(f"`name` {name!r} is not a parameter of this fit: {list(result.params)}.")
    if not 0 < prob < 1:
        raise ValueError(f"`prob` must be strictly between 0 and 1. Got {prob!r} instead.")
    problem, _, _, digest = prepare(columns, result.law, result.config)
    if digest != result.data_digest:
        raise DataError("`data` passed to profile is not the data the fit was made on. Pass the same table.")
    estimate = np.array([result.params[n] for n in problem.names])
    stderr = result.stderr.get(name) if result.stderr else None
    return profile_interval(problem, estimate, name, prob, stderr)
