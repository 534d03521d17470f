"""Fixtures of the report tests: one fit (with bootstrap draws) and one backtest, computed once.

Figures are drawn with matplotlib's Agg backend (no display), selected before pyplot is imported.
"""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib
import polars as pl
import pytest

import scalinglaws as sl

matplotlib.use("Agg")

import matplotlib.pyplot as plt


@pytest.fixture(scope="session")
def runs() -> pl.DataFrame:
    return sl.testing.synthetic_runs("chinchilla", seed=0)


@pytest.fixture(scope="session")
def fitted(runs: pl.DataFrame) -> sl.FitResult:
    """The Chinchilla fit of ``runs`` carrying 100 pairs-bootstrap draws."""
    result = sl.fit(runs, "chinchilla")
    return result.with_bootstrap(sl.bootstrap(result, runs, n_boot=100, seed=0))


@pytest.fixture(scope="session")
def scores(runs: pl.DataFrame) -> sl.BacktestResult:
    return sl.backtest(runs, "chinchilla", n_boot=50, seed=0)


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Figures made by plot functions called without ``ax`` live in pyplot until closed."""
    yield
    plt.close("all")

