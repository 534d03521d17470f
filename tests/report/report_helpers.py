"""Helpers shared by the report tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import numpy as np
import polars as pl

from scalinglaws.trust.backtesting import BacktestResult


def backtest_with(covered: int, n: int, prob: float = 0.95) -> BacktestResult:
    """A backtest result whose intervals covered ``covered`` of ``n`` held-out runs."""
    flags = np.arange(n) < covered
    actual = np.linspace(2.0, 3.0, n)
    points = pl.DataFrame({
        "axis": np.geomspace(1e20, 1e21, n), "actual": actual, "predicted": actual * 1.01,
        "lower": actual * np.where(flags, 0.95, 1.005), "upper": actual * np.where(flags, 1.05, 1.02),
        "rel_error": np.full(n, 0.01), "abs_rel_error": np.full(n, 0.01), "covered": flags,
    })
    splits = pl.DataFrame({"cut": [1e20], "n_train": [40], "n_test": [n]})
    return BacktestResult("chinchilla", "C", "column 'flops'", prob, "bootstrap", points, splits)
