"""Choose among laws by how well they extrapolate in backtests, not by how well they fit."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import numpy as np
import polars as pl

from scalinglaws import _views
from scalinglaws.data.io import columns_of
from scalinglaws.errors import ArgumentError, LawSpecError
from scalinglaws.executors import AbstractExecutor, executor_for, run_chunks
from scalinglaws.fit import api as engine
from scalinglaws.fit.config import FitConfig, FitOptions
from scalinglaws.fit.gate import config_for, mapping_for, resolve_law
from scalinglaws.laws import DEFAULT_COST, CostModel, Law
from scalinglaws.trust.backtesting import DEFAULT_FRACTIONS, BacktestResult, backtest

CLEAR_WIN_PROBABILITY = 0.9
"""Share of paired resamples of the held-out points in which the winner must stay best."""


@dataclass(frozen=True)
class SelectionResult:
    """Laws ranked by out-of-sample extrapolation error, with in-sample AIC/BIC beside it.

    ``table`` has one row per law, best first. ``win_probability`` is the share of paired bootstrap
    resamples of the held-out points in which the first law has the lowest error; ``warning`` is set
    when that share is below ``CLEAR_WIN_PROBABILITY`` or a law's fit did not converge.
    """

    table: pl.DataFrame
    backtests: Mapping[str, BacktestResult]
    win_probability: float
    warning: str | None

    @property
    def best(self) -> str:
        return str(self.table["law"][0])

    def _repr_html_(self) -> str | None:  # notebook view, drawn by the report layer (see _views)
        return _views.html(self)


def _information_criteria(columns: Mapping[str, np.ndarray], law: str | Law, config: FitConfig) -> dict[str, Any]:
    """AIC/BIC of the fit on all data, from the Gaussian likelihood of its residuals (for reference)."""
    result = engine.fit(columns, law, config=config)
    n, k = result.n_points, result.n_params
    log_likelihood_term = n * np.log(max(result.rss, 1e-300) / n)
    return {
        "aic": float(log_likelihood_term + 2 * k),
        "bic": float(log_likelihood_term + k * np.log(n)),
        "n_params": k,
        "fit_status": result.status.value,
    }


@dataclass(frozen=True, eq=False)
class _LawContext:
    """What the backtest of every law in a selection shares."""

    columns: Mapping[str, Any]
    split_by: str
    train_fractions: tuple[float, ...]
    prob: float
    n_boot: int
    cost: CostModel | str


def _score_law(context: _LawContext, chunk: tuple[str | Law, FitConfig]) -> tuple[BacktestResult, dict[str, Any]]:
    """One law of a selection: its backtest and its information criteria on all data."""
    law, config = chunk
    result = backtest(
        context.columns, law, split_by=context.split_by, train_fractions=context.train_fractions,
        prob=context.prob, n_boot=context.n_boot, cost=context.cost, config=config,
    )
    return result, _information_criteria(context.columns, law, config)


def select(
    data: Any,
    laws: Sequence[str | Law],
    *,
    split_by: str = "C",
    train_fractions: Sequence[float] = DEFAULT_FRACTIONS,
    prob: float = 0.95,
    n_boot: int = 200,
    cost: CostModel | str = DEFAULT_COST,
    config: FitConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: str | AbstractExecutor | None = None,
    address: str | None = None,
    **overrides: Unpack[FitOptions],
) -> SelectionResult:
    """Rank laws by out-of-sample extrapolation error from backtests, with AIC/BIC for reference.

    The arguments are those of :func:`scalinglaws.backtest`, with several laws; bounds, starts and
    fixed values apply to the laws that have the parameter they name; ``progress(done, n_laws)`` is
    called after each law's backtest. The result's
    ``warning`` says when the winner is not clearly better (paired resampling of the held-out points)
    or a fit did not converge. With an ``executor``, each law's backtest is one task there.

    Raises
    ------
    ArgumentError
        If fewer than two laws are given, or ``executor`` names no executor.
    ImportError
        If ``executor`` is Ray and Ray is not installed (``pip install "scalinglaws[ray]"``).
    ExecutorError, ChunkError
        If the cluster cannot be reached, or a law's backtest failed (the error names the law).
    """
    if len(laws) < 2:
        raise ArgumentError(
            f"`laws` of select needs at least two laws to compare. Got {len(laws)}.",
            argument="laws", function="select",
        )
    config = (config if config is not None else FitConfig()).with_options(**overrides)
    columns = columns_of(data, "select")
    rows, backtests, errors = [], {}, {}
    resolved = [resolve_law(law, list(columns), mapping_for(law, config.mapping), config.target)[0] for law in laws]
    named = {*config.bounds, *config.init, *config.fixed, *config.priors}
    unknown = sorted(n for n in named if not any(n in law.param_names for law in resolved))
    unknown += sorted(n for n in config.mapping if not any(n in law.inputs for law in resolved))
    if unknown:
        raise LawSpecError(
            f"{unknown} given a column, bounds, starts, a fixed value or a prior name nothing in the laws "
            f"{[law.label for law in resolved]}."
        )
    runner = executor_for(executor, address, function="select")
    context = _LawContext(columns, split_by, tuple(train_fractions), prob, n_boot, cost)
    chunks = [(law, config_for(law_value, config)) for law, law_value in zip(laws, resolved, strict=True)]
    names = [law_value.label for law_value in resolved]
    for result, criteria in run_chunks(runner, _score_law, chunks, context, names, "selection", progress):
        name = result.law
        backtests[name] = result
        errors[name] = result.points["abs_rel_error"].to_numpy()
        rows.append({**result.summary(), **criteria})
    table = pl.DataFrame(rows).sort("mean_are")
    names = table["law"].to_list()
    rng = np.random.default_rng(config.seed)
    stacked = np.stack([errors[n] for n in names])
    picks = rng.integers(0, stacked.shape[1], size=(2000, stacked.shape[1]))
    resampled = stacked[:, picks].mean(axis=2)
    win = float(np.mean(np.argmin(resampled, axis=0) == 0))
    notes = []
    if win < CLEAR_WIN_PROBABILITY:
        notes.append(
            f"the choice is not clear: {names[0]} has the lowest extrapolation error in only "
            f"{win:.0%} of paired resamples of the held-out points (runner-up: {names[1]})"
        )
    unconverged = table.filter(pl.col("fit_status") != "converged")["law"].to_list()
    if unconverged:
        notes.append(f"fits of {unconverged} on all data did not converge; their AIC/BIC are unreliable")
    return SelectionResult(table, backtests, win, "; ".join(notes) or None)
