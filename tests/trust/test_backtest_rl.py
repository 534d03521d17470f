"""Backtesting the RL compute sigmoid from early compute: `backtest` splits on the compute column."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app

TRUTH = dict(sl.get_law("khatri_rl").presets["scalerl_8b_bs2048"])
OPTIONS = {"target": "reward", "space": "linear", "loss": "squared"}


def rl_run(seed: int = 0, noise: float = 0.004) -> pl.DataFrame:
    """One ScaleRL-like run: 75 evaluations to 100k GPU-hours, kept from 1.5k (the paper's fits)."""
    compute = np.linspace(100e3 / 75, 100e3, 75)
    compute = compute[compute >= 1.5e3]
    clean = sl.get_law("khatri_rl").predict(TRUTH, {"C": compute, "R0": np.full(compute.size, 0.40)})
    rng = np.random.default_rng(seed)
    return pl.DataFrame({"gpu_hours": compute, "R0": 0.40, "reward": clean + rng.normal(0, noise, compute.size)})


def test_backtest_splits_on_the_mapped_compute_column_and_extrapolates() -> None:
    runs = rl_run()
    result = sl.backtest(runs, "khatri_rl", split_by="C", train_fractions=[0.5], n_boot=0,
                         mapping={"C": "gpu_hours"}, **OPTIONS)  # type: ignore[arg-type]
    assert result.axis_note == "column 'gpu_hours' (C)"
    split = result.splits.row(0, named=True)
    # Half of the distinct compute values train (up to ~50k GPU-hours, as the paper's Fig. 1 fit).
    assert split["n_train"] == split["n_test"] + 1 or split["n_train"] == split["n_test"]
    assert split["cut"] == pytest.approx(float(runs["gpu_hours"][split["n_train"] - 1]))
    # Extrapolating 50k -> 100k GPU-hours with 0.4% evaluation noise misses by well under 1%.
    assert result.mean_are < 0.01
    assert split["status"] == "converged"


def test_backtest_by_the_column_name_itself_gives_the_same_splits() -> None:
    runs = rl_run(seed=1)
    by_symbol = sl.backtest(runs, "khatri_rl", split_by="C", train_fractions=[0.3, 0.6], n_boot=0,
                            mapping={"C": "gpu_hours"}, **OPTIONS)  # type: ignore[arg-type]
    by_column = sl.backtest(runs, "khatri_rl", split_by="gpu_hours", train_fractions=[0.3, 0.6], n_boot=0,
                            mapping={"C": "gpu_hours"}, **OPTIONS)  # type: ignore[arg-type]
    assert by_symbol.splits["cut"].to_list() == by_column.splits["cut"].to_list()
    np.testing.assert_allclose(by_symbol.points["predicted"], by_column.points["predicted"], rtol=1e-12)


def test_asymptote_fitted_on_early_compute_and_its_standard_error() -> None:
    runs = rl_run(seed=2).filter(pl.col("gpu_hours") <= 50e3)
    result = sl.fit(runs, "khatri_rl", mapping={"C": "gpu_hours"}, **OPTIONS)  # type: ignore[arg-type]
    assert result.stderr is not None
    # benchmarks/bench_rl_asymptote.py measures how often A +- 1.96 se covers the truth; here one
    # seed's estimate lies within 4 standard errors (a loose bound a wrong fit would miss).
    assert abs(result.params["A"] - TRUTH["A"]) < 4 * result.stderr["A"]


def test_cli_backtest_of_an_rl_run(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "rl.csv"
    rl_run(seed=3).write_csv(path)
    out = CliRunner().invoke(app, [
        "backtest", str(path), "--law", "khatri_rl", "--split-by", "C", "--map", "C=gpu_hours",
        "--target", "reward", "--space", "linear", "--loss", "squared", "--train-fraction", "0.5",
        "--bootstrap", "0", "--json",
    ])
    assert out.exit_code == 0, out.output
    assert '"law": "khatri_rl"' in out.stdout
