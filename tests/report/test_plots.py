"""Figures show what the library computes: curves equal the law's predictions, bands hold them, axes are log.

Every check reads numbers back from the drawn artists (found by their ``gid``) and compares them with
``FitResult.predict`` / ``predict_interval`` or the data. Tolerances: artists store the float64 arrays
they were given, so equality is exact up to the last bit (rtol 1e-12 allows for nothing but that).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
import polars as pl
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import Collection, LineCollection, PathCollection
from matplotlib.lines import Line2D

import scalinglaws as sl
from scalinglaws.report import (
    plot_backtest,
    plot_bootstrap_pairs,
    plot_fit,
    plot_frontier,
    plot_isoflop,
    plot_residuals,
)
from scalinglaws.report.plots import require_matplotlib

RTOL = 1e-12
TARGET = {"n_params": 7e10, "n_tokens": 1.4e12}
"""Chinchilla's own size: 34x the largest synthetic run."""


def lines(ax: Axes, prefix: str) -> list[Line2D]:
    return [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith(prefix)]


def collections(ax: Axes, gid: str) -> list[Collection]:
    return [c for c in ax.collections if c.get_gid() == gid]


def frame_along(x_column: str, x: np.ndarray, fixed: dict[str, Any]) -> dict[str, np.ndarray]:
    out = {x_column: np.asarray(x, dtype=float)}
    for column, value in fixed.items():
        out[column] = np.full(x.size, value, dtype=object if isinstance(value, str) else float)
    return out


def band_extent(band: Collection, x: float) -> tuple[float, float]:
    """Lowest and highest y of the band's polygon at abscissa ``x``."""
    vertices = np.concatenate([p.vertices for p in band.get_paths()])
    at = vertices[np.isclose(vertices[:, 0], x, rtol=1e-12, atol=0), 1]
    return float(at.min()), float(at.max())


# ------------------------------------------------------------------------------------------------ plot_fit


def test_fit_curves_are_the_law_at_each_series_on_log_axes(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    ax = plot_fit(fitted, runs)
    assert ax.get_xscale() == "log"
    assert ax.get_yscale() == "log"  # a log-space fit of a positive loss
    assert ax.get_xlabel() == "n_tokens (D)"  # tokens vary within each model size: the x axis
    curves = lines(ax, "fit ")
    assert len(curves) == 8  # the synthetic design has 8 model sizes
    sizes, n_runs = [], 0
    for curve in curves:
        fixed = json.loads(curve.get_gid()[len("fit "):])
        assert set(fixed) == {"n_params"}
        x, y = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
        expected = fitted.predict(frame_along("n_tokens", x, fixed))
        np.testing.assert_allclose(y, expected, rtol=RTOL)
        sizes.append(fixed["n_params"])
        # Each size is held at the geometric mean of its runs' jittered sizes, within 5% of them all.
        near = runs.filter((pl.col("n_params") / fixed["n_params"] - 1).abs() < 0.05)
        n_runs += near.height
        assert x.min() == pytest.approx(near["n_tokens"].min(), rel=RTOL)
        assert x.max() == pytest.approx(near["n_tokens"].max(), rel=RTOL)
    assert sizes == sorted(sizes)
    assert n_runs == runs.height  # the 8 sizes hold every run
    points = np.concatenate([c.get_offsets() for c in collections(ax, "data")])
    assert points.shape == (runs.height, 2)  # every run drawn once
    observed = np.column_stack([runs["n_tokens"].to_numpy(), runs["loss"].to_numpy()])
    np.testing.assert_array_equal(np.unique(points, axis=0), np.unique(observed, axis=0))


def test_extrapolation_reaches_the_target_inside_its_band(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    ax = plot_fit(fitted, runs, target=TARGET, prob=0.9, kind="prediction")
    (curve,) = lines(ax, "extrapolation ")
    fixed = json.loads(curve.get_gid()[len("extrapolation "):])
    assert fixed == {"n_params": TARGET["n_params"]}
    x, y = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    assert x.max() == TARGET["n_tokens"]
    assert x.min() == runs["n_tokens"].min()
    frame = frame_along("n_tokens", x, fixed)
    point, lower, upper, _ = fitted.predict_interval(frame, 0.9, "prediction")
    np.testing.assert_allclose(y, point, rtol=RTOL)
    (band,) = collections(ax, "interval")
    for i in np.linspace(0, x.size - 1, 15).astype(int):  # sampled points along the curve
        lo, hi = band_extent(band, x[i])
        assert lo < y[i] < hi
        np.testing.assert_allclose([lo, hi], [lower[i], upper[i]], rtol=RTOL)
    (star,) = lines(ax, "target")
    expected = fitted.predict({k: np.array([v]) for k, v in TARGET.items()})
    np.testing.assert_allclose(star.get_xydata(), [[TARGET["n_tokens"], expected[0]]], rtol=RTOL)
    assert "90% prediction interval" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_target_may_name_law_inputs_and_x_may_be_chosen(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    ax = plot_fit(fitted, runs, target={"N": 7e10, "D": 1.4e12}, x="N")
    assert ax.get_xlabel() == "n_params (N)"
    (curve,) = lines(ax, "extrapolation ")
    assert json.loads(curve.get_gid()[len("extrapolation "):]) == {"n_tokens": 1.4e12}
    assert max(curve.get_xdata()) == 7e10


def test_one_input_law_in_linear_space_has_one_curve_and_linear_y() -> None:
    runs = sl.testing.synthetic_runs("power", seed=1)
    result = sl.fit(runs, "power", space="linear", loss="squared")
    ax = plot_fit(result, runs, target={"x": 1e12})
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "linear")  # linear residuals: linear loss axis
    (curve,) = lines(ax, "fit ")
    x = np.asarray(curve.get_xdata())
    np.testing.assert_allclose(curve.get_ydata(), result.predict({"x": x}), rtol=RTOL)
    (band,) = collections(ax, "interval")  # delta-method band (no bootstrap draws)
    (extrapolation,) = lines(ax, "extrapolation ")
    xe, ye = np.asarray(extrapolation.get_xdata()), np.asarray(extrapolation.get_ydata())
    lo, hi = band_extent(band, xe[-1])
    assert lo < ye[-1] < hi


def test_loss_curve_law_is_drawn_at_the_observed_points_per_curve() -> None:
    runs = sl.testing.synthetic_runs("multi_power", n_runs=45, noise=0.005, seed=2)
    result = sl.fit(runs, "multi_power")
    ax = plot_fit(result, runs)
    curves = [line for line in ax.lines if str(line.get_gid()).startswith("fit curve")]
    # The synthetic design has three schedules, logged one after another.
    assert len(curves) == 3
    drawn = np.concatenate([line.get_ydata() for line in curves])
    np.testing.assert_allclose(drawn, result.predict(runs), rtol=1e-12)
    assert ax.get_xlabel() == "S1"
    with pytest.raises(ValueError, match="needs that point's whole learning-rate schedule"):
        plot_fit(result, runs, target={"S1": 1.0})


def test_grouped_fit_draws_each_group_with_its_own_parameters() -> None:
    a = sl.testing.synthetic_runs("chinchilla", seed=1).with_columns(pl.lit("web").alias("family"))
    b = sl.testing.synthetic_runs("chinchilla", seed=2).with_columns(
        pl.col("loss") * 1.1, pl.lit("code").alias("family")
    )
    runs = pl.concat([a, b])
    result = sl.fit(runs, "chinchilla", group="family", shared=("alpha", "beta"))
    ax = plot_fit(result, runs, target={**TARGET, "family": "code"}, max_series=8)
    curves = lines(ax, "fit ")
    assert 2 <= len(curves) <= 8  # 2 groups x 8 sizes binned down to at most 8 series
    seen = set()
    for curve in curves:
        fixed = json.loads(curve.get_gid()[len("fit "):])
        seen.add(fixed["family"])
        x = np.asarray(curve.get_xdata())
        np.testing.assert_allclose(curve.get_ydata(), result.predict(frame_along("n_tokens", x, fixed)), rtol=RTOL)
    assert seen == {"web", "code"}


def test_plot_fit_rejects_bad_arguments(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    with pytest.raises(ValueError, match=r"`x` of plot_fit must be an input of law 'chinchilla'"):
        plot_fit(fitted, runs, x="flops")
    with pytest.raises(sl.MissingColumnError, match=r"`target` of plot_fit must give a value .* Missing \['n_tokens'\]"):
        plot_fit(fitted, runs, target={"n_params": 7e10})
    with pytest.raises(sl.MissingColumnError, match=r"column 'n_tokens' .* is missing from `data` of plot_fit"):
        plot_fit(fitted, runs.drop("n_tokens"))
    with pytest.raises(ValueError, match="`max_series` of plot_fit must be at least 1"):
        plot_fit(fitted, runs, max_series=0)
    with pytest.raises(sl.DataError, match="`data` of plot_fit must be a polars or pandas DataFrame"):
        plot_fit(fitted, [1, 2, 3])


def test_plot_fit_draws_on_the_axes_it_is_given(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert plot_fit(fitted, runs, ax) is ax


# ----------------------------------------------------------------------------------------- plot_residuals


def test_residuals_are_log_ratios_of_observed_to_fitted(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    ax = plot_residuals(fitted, runs, against="D")
    (points,) = collections(ax, "residuals")
    xy = points.get_offsets()
    expected = np.log(runs["loss"].to_numpy() / fitted.predict(runs))
    np.testing.assert_allclose(xy[:, 0], runs["n_tokens"].to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(xy[:, 1], expected, rtol=RTOL)
    assert ax.get_xscale() == "log"
    assert ax.get_ylabel() == "log(loss / fit)"
    assert plot_residuals(fitted, runs).get_xlabel() == "n_params (N)"  # default: the first input


# ------------------------------------------------------------------------------------------ plot_backtest


def test_backtest_plots_each_held_out_point_with_its_interval(scores: sl.BacktestResult) -> None:
    ax = plot_backtest(scores)
    points = scores.points
    drawn_x, drawn_y, segments = [], [], []
    for container in ax.containers:
        data_line, _, (bars,) = container.lines
        assert isinstance(bars, LineCollection)
        drawn_x += list(data_line.get_xdata())
        drawn_y += list(data_line.get_ydata())
        segments += [np.asarray(s) for s in bars.get_segments()]
    assert len(drawn_x) == points.height
    order = np.argsort(drawn_x)
    np.testing.assert_allclose(np.sort(drawn_x), np.sort(points["actual"].to_numpy()), rtol=RTOL)
    by_actual = points.sort("actual")
    np.testing.assert_allclose(np.asarray(drawn_y)[order], by_actual["predicted"].to_numpy(), rtol=RTOL)
    bounds = np.sort(np.asarray(segments, dtype=float)[order][:, :, 1], axis=1)
    assert np.all((bounds[:, 0] <= np.asarray(drawn_y)[order]) & (np.asarray(drawn_y)[order] <= bounds[:, 1]))
    # errorbar stores offsets from the point, not bounds: predicted - (predicted - lower) keeps ~1e-15.
    np.testing.assert_allclose(bounds, by_actual.select("lower", "upper").to_numpy(), rtol=1e-9)
    (identity,) = lines(ax, "identity")
    np.testing.assert_array_equal(identity.get_xdata(), identity.get_ydata())
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    covered = int(points["covered"].sum())
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert f"covers the actual ({covered}/{points.height})" in legend


# ----------------------------------------------------------------------------------- plot_bootstrap_pairs


def test_pairs_show_every_good_draw(fitted: sl.FitResult) -> None:
    assert fitted.bootstrap is not None
    axes = plot_bootstrap_pairs(fitted, params=["alpha", "beta", "E"])
    assert axes.shape == (3, 3)
    samples = fitted.bootstrap.samples()
    scatter = [c for c in axes[1, 0].collections if isinstance(c, PathCollection)]
    np.testing.assert_allclose(scatter[0].get_offsets(), np.column_stack([samples["alpha"], samples["beta"]]))
    counts = sum(p.get_height() for p in axes[0, 0].patches)
    assert counts == samples["alpha"].size  # the histogram holds every draw
    estimate = [ln for ln in axes[2, 1].get_lines() if ln.get_marker() == "+"]
    np.testing.assert_allclose(estimate[0].get_xydata(), [[fitted.params["beta"], fitted.params["E"]]])
    rho = np.corrcoef(samples["alpha"], samples["E"])[0, 1]
    assert axes[0, 2].texts[0].get_text() == rf"$\rho$ = {rho:+.2f}"
    assert plot_bootstrap_pairs(fitted.bootstrap).shape == (5, 5)  # draws alone; all parameters


def test_pairs_reject_fits_without_draws_and_unknown_names(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    bare = sl.fit(runs, "chinchilla")
    with pytest.raises(ValueError, match="`draws` of plot_bootstrap_pairs must carry bootstrap draws"):
        plot_bootstrap_pairs(bare)
    with pytest.raises(ValueError, match="`params` of plot_bootstrap_pairs must name"):
        plot_bootstrap_pairs(fitted, params=["gamma"])
    with pytest.raises(ValueError, match=r"`axes` of plot_bootstrap_pairs must be a 2x2 array"):
        plot_bootstrap_pairs(fitted, np.empty((3, 3), dtype=object), params=["E", "A"])


# ------------------------------------------------------------------------------------- optional matplotlib


def test_missing_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch, runs: pl.DataFrame,
                                            fitted: sl.FitResult) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'scalinglaws\[plot\]'"):
        require_matplotlib()
    with pytest.raises(ImportError, match=r"pip install 'scalinglaws\[plot\]'"):
        plot_fit(fitted, runs)


# ---------------------------------------------------------------------------------- plan: frontier, isoflop


def test_frontier_draws_the_allocation_inside_its_fan(fitted: sl.FitResult) -> None:
    from scalinglaws.plan import allocate

    allocation = allocate(fitted, flops=np.geomspace(1e19, 1e24, 12))
    ax = plot_frontier(allocation)
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    for key in ("n_params", "n_tokens"):
        (line,) = lines(ax, f"frontier {key}")
        np.testing.assert_array_equal(line.get_xdata(), allocation.flops)
        np.testing.assert_array_equal(line.get_ydata(), getattr(allocation, key))
        (fan,) = collections(ax, f"fan {key}")
        for x, y in zip(allocation.flops, getattr(allocation, key), strict=True):
            lo, hi = band_extent(fan, x)
            assert lo < y < hi


def test_isoflop_marks_each_budget_minimum() -> None:
    from scalinglaws.plan import isoflop_grid, isoflop_profiles

    law, truth = sl.get_law("chinchilla"), sl.testing.PLANTED["chinchilla"]
    grid = isoflop_grid([1e18, 1e19, 1e20], n_sizes=9)
    loss = law.predict(truth, {"N": grid["n_params"].to_numpy(), "D": grid["n_tokens"].to_numpy()})
    sweep = grid.with_columns(pl.Series("loss", loss))
    analysis = isoflop_profiles(sweep, n_boot=20)
    ax = plot_isoflop(analysis, sweep)
    minima = lines(ax, "isoflop minima")
    assert len(minima) == 3
    drawn = np.array([m.get_xydata()[0] for m in minima])
    np.testing.assert_array_equal(drawn, analysis.budgets.select("n_opt", "loss_opt").to_numpy())
    profiles = lines(ax, "isoflop ")
    assert sum(len(p.get_xdata()) for p in profiles if p.get_gid() != "isoflop minima") == sweep.height
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    with pytest.raises(sl.MissingColumnError, match=r"columns \['loss'\] are missing from `data` of plot_isoflop"):
        plot_isoflop(analysis, sweep.drop("loss"))
