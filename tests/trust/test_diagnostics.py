"""Diagnostics on constructed cases: redundant parameter, a fit pinned at a bound, a single-scale design,
an influential run."""

from __future__ import annotations

import numpy as np
import polars as pl

import scalinglaws as sl


def kinds(result: sl.FitResult) -> set[str]:
    return {d.kind for d in result.diagnostics}


def test_redundant_parameter_is_ill_conditioned() -> None:
    runs = sl.testing.synthetic_runs("chinchilla", seed=0)
    result = sl.fit(runs, "E + (A1 + A2)*N**-alpha + B*D**-beta")
    assert result.status is sl.FitStatus.ILL_CONDITIONED
    assert "ill-conditioned" in kinds(result)
    assert result.covariance is None  # not identified, so no standard errors are reported


def test_fit_pinned_at_a_bound_reports_it() -> None:
    runs = sl.testing.synthetic_runs("chinchilla", seed=0)  # planted alpha = 0.35
    result = sl.fit(runs, "chinchilla", bounds={"alpha": (0.5, 2.0)})
    assert result.status is sl.FitStatus.BOUND_HIT
    assert result.params["alpha"] == 0.5
    (finding,) = [d for d in result.diagnostics if d.kind == "at-bound"]
    assert "['alpha']" in finding.message


def test_single_scale_design_is_flagged() -> None:
    runs = sl.testing.synthetic_runs("chinchilla", seed=0).with_columns(n_params=pl.lit(1e8))
    result = sl.fit(runs, "chinchilla")
    (finding,) = [d for d in result.diagnostics if d.kind == "few-scales"]
    assert "input `N` takes only 1 distinct value" in finding.message
    assert result.status is not sl.FitStatus.CONVERGED


def test_influential_run_is_named() -> None:
    runs = sl.testing.synthetic_runs("power", n_runs=25, noise=0.002, seed=1)
    loss = runs["loss"].to_numpy().copy()
    loss[-1] *= 1.25  # the largest scale, highest leverage for the exponent
    result = sl.fit(runs.with_columns(loss=loss), "power", mapping={"x": "x"}, loss="squared")
    (finding,) = [d for d in result.diagnostics if d.kind == "influential"]
    assert 24 in finding.rows


def test_clean_fit_has_no_warnings_about_bounds_or_scales() -> None:
    result = sl.fit(sl.testing.synthetic_runs("chinchilla", seed=0), "chinchilla")
    assert result.status is sl.FitStatus.CONVERGED
    assert not kinds(result) & {"at-bound", "ill-conditioned", "few-scales"}


def test_extrapolation_distance_in_decades() -> None:
    result = sl.fit(sl.testing.synthetic_runs("chinchilla", seed=0), "chinchilla")
    hi_n, hi_d = result.input_ranges["N"][1], result.input_ranges["D"][1]
    distance = result.extrapolation({"n_params": np.array([hi_n, 100 * hi_n]), "n_tokens": np.array([hi_d, hi_d])})
    np.testing.assert_allclose(distance, [0.0, 2.0])
