"""The engine's entry points: ``fit``, ``bootstrap``, ``profile`` and ``load``.

``fit`` runs the one pipeline: the validation gate (:mod:`.gate`) builds the problem; a start strategy
(:mod:`.init`) chooses where to start; the multistart wrapper (:mod:`.multistart`) polishes the starts
with the solver (:mod:`.solver`); covariance and status (:mod:`.covariance`) and diagnostics judge the
end point; the result (:mod:`.result`) is an immutable value carrying the config that made it.

(Longer than 400 lines for a reason: the four public entry points with their full docstrings; the
work itself is in the modules named above.)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Unpack, get_args

import numpy as np

from scalinglaws import _validation as v
from scalinglaws.data.io import available_memory, columns_of, read_text
from scalinglaws.errors import (
    ArgumentError,
    ConvergenceError,
    DataError,
    LawSpecError,
    MissingColumnError,
)
from scalinglaws.executors import AbstractExecutor, executor_for
from scalinglaws.fit import degeneracy, optima, priors
from scalinglaws.fit._problem import Problem
from scalinglaws.fit.config import FitConfig, FitOptions
from scalinglaws.fit.covariance import FitStatus, covariance, objective_weight, status
from scalinglaws.fit.diagnostics import Diagnostic, diagnose
from scalinglaws.fit.gate import Prepared, prepare
from scalinglaws.fit.grouped import (
    Arrowhead,
    Stack,
    grouped_covariance,
    grouped_diagnostics,
    solve_grouped,
    stackable,
)
from scalinglaws.fit.init import auto, from_groups, solve
from scalinglaws.fit.multistart import Multistart, best_of
from scalinglaws.fit.optima import Optimum
from scalinglaws.fit.profiling import profile_interval
from scalinglaws.fit.resampling import (
    BootstrapResult,
    Interval,
    Method,
    bootstrap_memory,
    bootstrap_problem,
)
from scalinglaws.fit.result import FitResult
from scalinglaws.fit.solver import LevenbergMarquardt
from scalinglaws.laws import Law

__all__ = ["bootstrap", "fit", "fit_prepared", "load", "profile"]


def package_version() -> str:
    try:
        return version("scalinglaws")
    except PackageNotFoundError:
        return "0+unknown"


def fit(
    data: Any,
    law: str | Law = "chinchilla",
    *,
    config: FitConfig | None = None,
    executor: str | AbstractExecutor | None = None,
    address: str | None = None,
    **overrides: Unpack[FitOptions],
) -> FitResult:
    """Fit a scaling law to training runs.

    Parameters
    ----------
    data
        A polars or pandas DataFrame, a mapping column -> values, or a path to a CSV/Parquet/JSONL
        file (read by :func:`scalinglaws.data.read_runs`).
    law
        A catalog name (``scalinglaws laws`` lists them), a formula such as
        ``"E + A*N**-alpha + B*D**-beta"``, or a :class:`Law`. In a formula, names that are columns
        (or mapped to columns) are inputs; all other names are parameters.
    config
        Every option of the fit (:class:`FitConfig`; its defaults when None).
    executor, address
        Where a grouped fit's separate group fits run, in chunks of groups: ``"local"`` (this
        process), ``"ray"`` (a local Ray cluster, or the one at ``address``), ``"ray://HOST:PORT"``, or
        an executor from :mod:`scalinglaws.executors`. The result is the same to the last bit as
        without (the default: every group in one batch here). For an ungrouped fit (and the pooled
        fit that seeds a grouped one) the cells of the start grid are scored in chunks there; the
        polish of the starts runs here.
    **overrides
        Options replacing those of ``config``, by name: ``loss``, ``delta``, ``space``,
        ``asymmetry``, ``target``, ``mapping``, ``bounds``, ``init``, ``fixed``, ``weights``,
        ``group``, ``shared``, ``n_grid``, ``n_polish``, ``max_iter``, ``seed``, ``strict``,
        ``provenance`` (see :class:`FitConfig`).

    Returns
    -------
    FitResult
        Its ``config`` is the config used, with the column each input read.

    Raises
    ------
    ArgumentError
        If an option is unknown or has a value it cannot take, or ``executor`` names no executor.
    DataError, MissingColumnError, SchemaError
        If the table cannot be read, lacks a column, or holds values the law cannot use.
    LawSpecError
        If the law is unknown or unparsable, or a parameter name collides with a column.
    NonFiniteFitError
        If the objective is not finite at any start.
    ConvergenceError
        If ``strict`` and the fit did not converge.
    ImportError
        If ``executor`` is Ray and Ray is not installed (``pip install "scalinglaws[ray]"``).
    ExecutorError, ChunkError
        If the cluster cannot be reached, or a chunk of groups failed (the error names it).

    Examples
    --------
    >>> import scalinglaws as sl
    >>> runs = sl.testing.synthetic_runs("chinchilla", seed=0)
    >>> result = sl.fit(runs, law="chinchilla")
    >>> result.status.value
    'converged'
    """
    config = (config if config is not None else FitConfig()).with_options(**overrides)
    runner = executor_for(executor, address, function="fit")
    prepared = prepare(columns_of(data, "fit"), law, config)
    # Candidates far from the data's scale overflow on the way; the engine judges every end point itself
    # (finite values, status, diagnostics), so NumPy's floating-point warnings carry nothing for the user.
    with np.errstate(all="ignore"):
        result = fit_prepared(prepared, runner)
    if config.strict and result.status is not FitStatus.CONVERGED:
        raise ConvergenceError(
            f"fit of law {result.law.label!r} ended with status {result.status.value}: {result.message}."
        )
    return result


def fit_prepared(prepared: Prepared, executor: AbstractExecutor | None = None) -> FitResult:
    """Fit a validated problem (from :func:`prepare`) and judge the end point.

    A grouped fit's separate group fits run in chunks on ``executor`` when given (same result).

    The multistart's distinct optima are kept; degenerate ones are passed over while a sound one exists;
    with priors every start is polished again on the penalised objective (MAP); with
    ``choose="backtest"`` the sound optimum with the lowest leave-future-out error is the fit.
    """
    problem, config, labels, layout = prepared.problem, prepared.config, prepared.labels, prepared.layout
    law = problem.law
    stacked = labels is not None and stackable(law)
    if stacked:
        solution = solve_grouped(problem, config, executor)
    elif labels is not None:
        solution = solve(problem, config, functools.partial(from_groups, executor=executor))
    else:  # one problem: on an executor, its start grid is scored in chunks there
        solution = solve(problem, config, auto if executor is None else functools.partial(auto, executor=executor))
    prior_values = priors.resolve(law, config)
    weight = None
    if prior_values:
        weight = objective_weight(problem, solution.params) or 1.0
        problem = problem.with_prior(priors.build(problem, prior_values, weight))
        solution = best_of(problem, solution.starts, LevenbergMarquardt(max_iter=config.max_iter), solution.nfev)
    solution, found, notes = _choose(problem, prepared, solution)
    group_covariance = None
    if stacked:
        stack, shape = Stack.of(problem), Arrowhead.of(problem)
        grouped = grouped_covariance(problem, stack, shape, solution.params)
        cov, condition = grouped.full, grouped.condition
        if grouped.blocks is not None:
            group_covariance = dict(zip(layout.groups or (), grouped.blocks, strict=True))
        findings = grouped_diagnostics(problem, stack, shape, solution.params, grouped)
    else:
        cov, condition = covariance(problem, solution.params)
        findings = diagnose(problem, solution.params, cov)
    degenerate = degeneracy.check(problem, solution.params)
    fit_status, message = status(problem, solution, condition, degenerate)
    if notes:
        message = "; ".join([*notes, message])
    params = {n: float(x) for n, x in zip(problem.names, solution.params, strict=True)}
    r = problem.residuals(problem.predict(solution.params[None]))[0]
    stderr = None
    if cov is not None:
        stderr = {
            problem.names[i]: float(math.sqrt(max(cov[i, i], 0.0))) for i in problem.free
        }
    elif group_covariance is not None:
        stderr = {}
        for g, block in group_covariance.items():
            for j, position in enumerate(layout.index(g)):
                if problem.lower[position] < problem.upper[position]:
                    stderr[problem.names[position]] = float(math.sqrt(max(block[j, j], 0.0)))
        stderr = {n: stderr[n] for n in problem.names if n in stderr}
    groups = None
    if layout.groups is not None:
        groups = {g: layout.group_values(params, g) for g in layout.groups}
    return FitResult(
        law=law,
        params=params,
        status=fit_status,
        message=message,
        objective=solution.objective,
        rss=float(np.sum(problem.weights * r * r)),
        n_points=problem.n_points,
        n_params=int(problem.free.size),
        nfev=solution.nfev,
        n_starts=int(solution.starts.shape[0]),
        n_converged=solution.n_converged,
        starts=tuple(
            {**dict(zip(problem.names, map(float, p), strict=True)), "objective": float(value)}
            for p, value in zip(solution.starts, solution.start_objectives, strict=True)
        ),
        covariance=cov,
        stderr=stderr,
        config=config,
        data_digest=prepared.digest,
        version=package_version(),
        groups=groups,
        input_ranges={n: (float(np.min(x)), float(np.max(x))) for n, x in problem.x.items() if x.ndim == 1},
        diagnostics=(*(Diagnostic("degenerate", d.message) for d in degenerate), *findings),
        optima=found,
        priors=prior_values,
        prior_weight=weight,
        group_covariance=group_covariance,
        tss=_total_sum_of_squares(problem),
    )


def _total_sum_of_squares(problem: Problem) -> float:
    """Weighted sum of squares of the target about its weighted mean, in the residual space (for R²)."""
    y = np.log(problem.y) if problem.space == "log" else problem.y
    w = problem.weights
    if not np.sum(w) > 0:
        return 0.0
    centre = np.average(y, weights=w)
    return float(np.sum(w * (y - centre) ** 2))


SOUND_TOLERANCE = 1.1
"""A sound optimum is preferred to a degenerate best when its objective is at most this factor higher."""


def _choose(
    problem: Problem, prepared: Prepared, solution: Multistart
) -> tuple[Multistart, tuple[Optimum, ...], list[str]]:
    """The fit among the distinct optima, every optimum as a value, and notes on the choice."""
    indices = optima.distinct(problem, solution)
    sound = [i for i in indices if not degeneracy.check(problem, solution.starts[i])]
    errors: dict[int, float] = {}
    notes: list[str] = []
    pick = indices[0] if indices else int(np.argmin(solution.start_objectives))
    # A sound optimum replaces a degenerate best only when it fits about as well; when the data clearly
    # prefer the degenerate one, that is the finding to report (the law needs a bound, a fixed value
    # or one term less), not a much worse fit.
    tolerable = sound and solution.start_objectives[sound[0]] <= SOUND_TOLERANCE * solution.start_objectives[pick]
    if sound and sound[0] != pick and tolerable:
        notes.append(
            f"the best in-sample optimum (objective {solution.start_objectives[pick]:.6g}) is degenerate; "
            f"this is the best sound one (objective {solution.start_objectives[sound[0]]:.6g})"
        )
        pick = sound[0]
    config = prepared.config
    scorable = sound if pick in sound else []  # a degenerate fit is reported, not traded for another
    if config.choose == "backtest" and prepared.axis is not None and len(scorable) > 1:
        scores = optima.lfo_errors(problem, solution.starts[scorable], prepared.axis, config.choose_fractions)
        errors = {i: float(e) for i, e in zip(scorable, scores, strict=True)}
        best = min(scorable, key=lambda i: errors[i])
        if best != pick and np.isfinite(errors[best]):
            notes.append(
                f"chose by leave-future-out error: {errors[best]:.4g} against {errors[pick]:.4g} for the "
                f"in-sample best (objective {solution.start_objectives[best]:.6g} against "
                f"{solution.start_objectives[pick]:.6g}); {len(scorable)} sound optima scored"
            )
            pick = best
    found = tuple(
        Optimum(
            dict(zip(problem.names, map(float, solution.starts[i]), strict=True)),
            float(solution.start_objectives[i]),
            errors.get(i),
            i == pick,
            () if i in sound else ("degenerate",),
        )
        for i in indices
    )
    return solution.pick(pick), found, notes


def _same_data(function: str, result: FitResult, columns: Mapping[str, Any]) -> Prepared:
    """The fit's problem (with its priors) rebuilt on ``columns``, which must be the data the fit was
    made on."""
    prepared = prepare(columns, result.law, result.config)
    if result.priors:
        weight = result.prior_weight or 1.0
        problem = prepared.problem.with_prior(priors.build(prepared.problem, result.priors, weight))
        prepared = replace(prepared, problem=problem)
    if prepared.digest != result.data_digest:
        raise DataError(
            f"`data` passed to {function} is not the data the fit was made on (digest "
            f"{prepared.digest[:19]}... vs {result.data_digest[:19]}...). Pass the same table."
        )
    return prepared


BOOTSTRAP_RULES: Mapping[str, v.Rule] = {"n_boot": v.at_least(1), "method": v.one_of(get_args(Method))}


def bootstrap(
    result: FitResult,
    data: Any,
    n_boot: int = 1000,
    seed: int = 0,
    method: Method = "pairs",
    cluster: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    executor: str | AbstractExecutor | None = None,
    address: str | None = None,
) -> BootstrapResult:
    """Refit ``result`` on ``n_boot`` resampled versions of ``data``, batched (a chunk at a time).

    Parameters
    ----------
    result
        The fit; ``data`` must be the table it was made on.
    method
        ``"pairs"`` resamples points; ``"cluster"`` resamples whole runs (rows sharing a value of
        column ``cluster``; use it when runs contribute several checkpoints); ``"residual"`` and
        ``"wild"`` keep the design and resample residuals (small ladders).
    seed
        Seeds the resampling.
    progress
        Called as ``progress(done, n_boot)`` while resamples finish (the CLI draws a bar from it).
    executor, address
        Where the refits run, in chunks of resamples (as for :func:`fit`). The resamples are drawn
        here from ``seed``, so the draws are the same to the last bit on any executor.

    Returns
    -------
    BootstrapResult
        Attach it with ``result.with_bootstrap(draws)`` to get bootstrap prediction intervals and to
        save the draws with the fit.

    Raises
    ------
    DataError
        If ``data`` is not the table the fit was made on.
    ArgumentError
        If ``n_boot`` < 1, the method is unknown, ``cluster`` does not match the method, ``executor``
        names no executor, or the draws would need more memory than is available (checked before any
        work; the message gives the estimate and the largest ``n_boot`` that fits).
    ImportError
        If ``executor`` is Ray and Ray is not installed (``pip install "scalinglaws[ray]"``).
    ExecutorError, ChunkError
        If the cluster cannot be reached, or a chunk of resamples failed (the error names it).
    """
    v.check_all("bootstrap", BOOTSTRAP_RULES, {"n_boot": n_boot, "method": method})
    if (method == "cluster") != (cluster is not None):
        raise ArgumentError(
            "`cluster` (the run-id column) must be given exactly when `method='cluster'`. "
            f"Got method={method!r}, cluster={cluster!r}.",
            argument="cluster", function="bootstrap",
        )
    runner = executor_for(executor, address, function="bootstrap")
    columns = columns_of(data, "bootstrap")
    prepared = _same_data("bootstrap", result, columns)
    clusters = None
    if cluster is not None:
        if cluster not in columns:
            raise MissingColumnError(f"cluster column {cluster!r} is missing. Available: {sorted(columns)}.")
        clusters = np.asarray([str(x) for x in columns[cluster]])
    problem = prepared.problem
    _check_bootstrap_memory(problem, n_boot)
    estimate = np.array([result.params[n] for n in problem.names])
    # Resamples start at the estimate and most converge in a few steps; the few that travel far
    # along the amplitude-exponent ridge get a larger iteration budget (only they stay active).
    with np.errstate(all="ignore"):  # as in fit: non-finite refits are judged (and dropped) by the engine
        return bootstrap_problem(
            problem, estimate, n_boot, seed, method, clusters, max(result.config.max_iter, 1000), progress, runner
        )


def _check_bootstrap_memory(problem: Problem, n_boot: int) -> None:
    """Refuse, before any work, a bootstrap whose draws would not fit in the memory available."""
    needed = bootstrap_memory(problem, n_boot)
    free = available_memory()
    if free is None or needed <= free:
        return
    per_draw = max(bootstrap_memory(problem, 2) - bootstrap_memory(problem, 1), 1)
    fits = max(1, int((free - bootstrap_memory(problem, 1)) // per_draw))
    raise ArgumentError(
        f"`n_boot` of bootstrap must be at most {fits} here: {n_boot} resamples of {problem.n_params} "
        f"parameters need about {needed / 1e9:.1f} GB of memory, and {free / 1e9:.1f} GB is available. "
        f"Got {n_boot} instead. A few thousand resamples pin a 95% interval down well.",
        argument="n_boot", function="bootstrap",
        rule=f"at most {fits} on this machine ({n_boot} resamples of {problem.n_params} parameters need "
        f"about {needed / 1e9:.1f} GB of memory, and {free / 1e9:.1f} GB is available; a few thousand "
        "resamples pin a 95% interval down well)",
        value=n_boot,
    )


def profile(result: FitResult, data: Any, name: str, prob: float = 0.95) -> Interval:
    """Profile-likelihood interval of parameter ``name``: refit with it held at each of many values.

    For few runs, where a bootstrap has too little to resample. ``data`` must be the fitted table.
    An infinite end means the data do not bound the parameter on that side.

    Raises
    ------
    DataError
        If ``data`` is not the data the fit was made on.
    LawSpecError
        If ``name`` is not a parameter of the fit, or is fixed.
    ArgumentError
        If ``prob`` is not strictly between 0 and 1.
    """
    if name not in result.params:
        raise LawSpecError(f"`name` {name!r} is not a parameter of this fit: {list(result.params)}.")
    if name in result.fixed:
        raise LawSpecError(f"`name` {name!r} is fixed in this fit; it has no interval.")
    if not 0 < prob < 1:
        raise ArgumentError(
            f"`prob` must be strictly between 0 and 1. Got {prob!r} instead.", argument="prob",
            function="profile",
        )
    problem = _same_data("profile", result, columns_of(data, "profile")).problem
    estimate = np.array([result.params[n] for n in problem.names])
    stderr = result.stderr.get(name) if result.stderr else None
    return profile_interval(problem, estimate, name, prob, stderr)


def load(path: str | Path) -> FitResult:
    """Read a fit saved with :meth:`FitResult.save` (or ``scalinglaws fit --out``).

    Raises
    ------
    DataError
        If the file is missing, not strict JSON, or not a valid fit file (the message names the entry
        that is wrong: a parameter that is not a finite number, a covariance of the wrong shape...).
    """
    text = read_text(path, "load")
    try:
        return FitResult.from_json(text)
    except DataError as exc:
        raise DataError(f"{str(path)!r}: {exc}") from exc
    except (KeyError, TypeError, ValueError, IndexError) as exc:  # defence in depth: from_json checks
        raise DataError(f"{str(path)!r} is not a scalinglaws fit file: {exc!r}.") from None
