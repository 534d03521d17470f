"""The report's honesty checks: backtest under-coverage, lack of fit, and extrapolation in decades."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
import pytest
from report_helpers import backtest_with
from scipy import stats

import scalinglaws as sl
from scalinglaws.report.checks import (
    extrapolation_finding,
    lack_of_fit,
    residual_trend,
    under_coverage,
)

EPOCH = "chinchilla_epoch/chinchilla_approach3.csv"


def test_68_percent_at_nominal_95_is_flagged() -> None:
    # The case the issue reports unflagged: 19 of 28 held-out runs (68%) inside 95% intervals.
    finding = under_coverage(backtest_with(19, 28))
    assert finding is not None
    tail = stats.binom.cdf(19, 28, 0.95)  # P(X <= 19) for X ~ Binomial(28, 0.95): about 3e-5
    assert finding.kind == "under-coverage"
    assert f"covered 68% (19 of 28) of the held-out runs: so few would be covered with probability {tail:.1e}" in finding.message
    assert under_coverage(backtest_with(27, 28)) is None  # 96%: as nominal
    assert under_coverage(backtest_with(25, 28)) is None  # 89%: P = 0.15, within chance
    assert under_coverage(backtest_with(23, 28)) is not None  # 82%: P = 0.014


def test_real_backtest_coverage(shared_data: Any) -> None:
    # Split by model size, the Chinchilla law's 95% intervals on the Epoch runs cover 82% (54 of 66)
    # of the held-out runs; split by compute on the synthetic ladder they cover as they should.
    runs = pl.read_csv(shared_data(EPOCH))
    by_size = sl.backtest(runs, "chinchilla", split_by="N", n_boot=50, seed=0)
    finding = under_coverage(by_size)
    assert finding is not None
    covered = int(by_size.points["covered"].sum())
    assert f"({covered} of {by_size.points.height})" in finding.message
    assert under_coverage(sl.backtest(sl.testing.synthetic_runs("chinchilla", seed=0), "chinchilla",
                                      n_boot=50, seed=0)) is None


def test_a_misshapen_law_is_lack_of_fit(runs: pl.DataFrame) -> None:
    # Fix the data exponent at 1 (the planted one is 0.28): the law cannot follow the data along D,
    # and its residuals trend with tokens (F = 28 on 2 and 57 df here); along N it is right.
    wrong = sl.fit(runs, "E + A/N**alpha + B/D")
    findings = lack_of_fit(wrong, runs)
    assert [f.kind for f in findings] == ["lack of fit"]
    trend = residual_trend(wrong, runs, "D")
    assert trend is not None
    (message,) = [f.message for f in findings]
    assert message.startswith("the residuals trend with n_tokens (D): a quadratic in log n_tokens")
    assert f"F = {trend.statistic:.1f} on 2 and {trend.df[1]} degrees of freedom (p = {trend.p_value:.1e})" in message
    along_n = residual_trend(wrong, runs, "N")
    assert along_n is not None
    assert along_n.p_value > 0.01
    # Dropping the irreducible loss misshapes the law along N instead.
    (other,) = lack_of_fit(sl.fit(runs, "A/N**alpha + B/D**beta"), runs)
    assert other.message.startswith("the residuals trend with n_params (N)")


def test_the_right_law_passes(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    assert lack_of_fit(fitted, runs) == []
    for name in ("N", "D"):
        trend = residual_trend(fitted, runs, name)
        assert trend is not None
        assert trend.p_value > 0.01 / 2
        # The test itself: F of a quadratic in log10 x against a constant, on the kept residuals.
        x = np.log10(runs["n_params" if name == "N" else "n_tokens"].to_numpy())
        r = np.log(runs["loss"].to_numpy() / fitted.predict(runs))
        median = np.median(r)
        keep = np.abs(r - median) <= 5 * 1.4826 * np.median(np.abs(r - median))
        x, r = x[keep], r[keep]
        design = np.column_stack([np.ones_like(x), x, x**2])
        rss1 = np.sum((r - design @ np.linalg.lstsq(design, r, rcond=None)[0]) ** 2)
        rss0 = np.sum((r - r.mean()) ** 2)
        f = ((rss0 - rss1) / 2) / (rss1 / (r.size - 3))
        assert trend.statistic == pytest.approx(f, rel=1e-9)  # standardising z changes only round-off
        assert trend.n_dropped == int((~keep).sum())


def test_extrapolation_is_counted_in_decades(fitted: sl.FitResult) -> None:
    finding = extrapolation_finding(fitted, {"n_params": 7e10, "n_tokens": 1.4e12})
    assert finding is not None
    n_hi, d_hi = fitted.input_ranges["N"][1], fitted.input_ranges["D"][1]
    n_decades, d_decades = math.log10(7e10 / n_hi), math.log10(1.4e12 / d_hi)
    assert f"{n_decades:.2f} decades in n_params (N): target 7e+10, largest run {n_hi:.3g}" in finding.message
    assert f"{d_decades:.2f} decades in n_tokens" in finding.message
    assert f"The prediction extrapolates {max(n_decades, d_decades):.2f} decades" in finding.message
    inside = {"n_params": fitted.input_ranges["N"][0] * 2, "n_tokens": fitted.input_ranges["D"][0] * 2}
    assert extrapolation_finding(fitted, inside) is None
