"""Figures of a fit show what the library computes: curves equal the law's predictions, bands hold them,
axes are log and labelled with units.

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
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import scalinglaws as sl
from scalinglaws.report import (
    plot_backtest,
    plot_bootstrap_pairs,
    plot_fit,
    plot_predicted,
    plot_residuals,
)
from scalinglaws.report.checks import residual_trend
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


def continuous_runs(n: int = 150, seed: int = 3) -> pl.DataFrame:
    """Runs of the planted Chinchilla law at continuously varying sizes (every N distinct, as in the
    Epoch reconstruction of Chinchilla's runs), 1% log-normal noise."""
    rng = np.random.default_rng(seed)
    law, truth = sl.get_law("chinchilla"), sl.testing.PLANTED["chinchilla"]
    n_params = np.exp(rng.uniform(np.log(5e7), np.log(5e9), n))
    n_tokens = 20 * n_params * np.exp(rng.uniform(-2.0, 2.0, n))
    loss = law.predict(truth, {"N": n_params, "D": n_tokens}) * np.exp(rng.normal(0, 0.01, n))
    return pl.DataFrame({"n_params": n_params, "n_tokens": n_tokens, "loss": loss})


# ------------------------------------------------------------------------------------------------ plot_fit


def test_fit_curves_are_the_law_at_each_series_on_log_axes(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    ax = plot_fit(fitted, runs)
    assert ax.get_xscale() == "log"
    assert ax.get_yscale() == "log"  # a log-space fit of a positive loss
    assert ax.get_xlabel() == "n_tokens (D) [tokens]"  # tokens vary within each model size: the x axis
    assert ax.get_ylabel() == "loss [nats/token]"
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
    (points,) = collections(ax, "data")
    observed = np.column_stack([runs["n_tokens"].to_numpy(), runs["loss"].to_numpy()])
    np.testing.assert_array_equal(points.get_offsets(), observed)  # every run drawn once, in order
    np.testing.assert_array_equal(points.get_array(), runs["n_params"].to_numpy())  # coloured by N
    assert points.norm.__class__.__name__ == "LogNorm"
    colour_bars = [a for a in ax.figure.axes if a is not ax]
    assert [a.get_ylabel() for a in colour_bars] == ["n_params (N) [parameters]"]


def test_each_run_is_joined_to_the_law_at_its_own_inputs(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    ax = plot_fit(fitted, runs)
    (segments,) = collections(ax, "law at runs")
    assert isinstance(segments, LineCollection)
    ends = np.asarray(segments.get_segments())  # (run, start/end, x/y)
    np.testing.assert_array_equal(ends[:, 0, 0], runs["n_tokens"].to_numpy())
    np.testing.assert_array_equal(ends[:, 1, 0], runs["n_tokens"].to_numpy())
    np.testing.assert_array_equal(ends[:, 0, 1], runs["loss"].to_numpy())
    np.testing.assert_allclose(ends[:, 1, 1], fitted.predict(runs), rtol=RTOL)


def test_continuous_sizes_get_curves_at_actual_sizes() -> None:
    # 150 distinct sizes, chained by gaps under 0.1 decades: the old figure binned them into a few
    # curves held at bin means. Now every curve sits at the size of an actual run and spans the runs
    # nearest it, and no more than max_series curves are drawn.
    runs = continuous_runs()
    result = sl.fit(runs, "chinchilla")
    ax = plot_fit(result, runs, x="D", max_series=6)
    curves = lines(ax, "fit ")
    assert 4 <= len(curves) <= 6  # 6 quantile bins; a bin whose runs share one D draws no curve
    sizes = runs["n_params"].to_numpy()
    for curve in curves:
        fixed = json.loads(curve.get_gid()[len("fit "):])
        assert fixed["n_params"] in sizes  # exactly a run's size, not an average
        x = np.asarray(curve.get_xdata())
        np.testing.assert_allclose(curve.get_ydata(), result.predict(frame_along("n_tokens", x, fixed)), rtol=RTOL)
        colour = np.asarray(curve.get_color())
        (points,) = collections(ax, "data")
        np.testing.assert_allclose(colour, points.cmap(points.norm(fixed["n_params"])), rtol=RTOL)


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
    assert ax.get_xlabel() == "n_params (N) [parameters]"
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
    assert len(ax.figure.axes) == 1  # nothing to colour by: no colour bar


def tick_boxes_overlap(ax: Axes) -> bool:
    """Whether any two visible tick labels of either axis overlap once drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(ax.figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    for axis in (ax.xaxis, ax.yaxis):
        labels = [t for t in axis.get_ticklabels(which="both") if t.get_visible() and t.get_text()]
        boxes = [t.get_window_extent(renderer) for t in labels]
        for i, a in enumerate(boxes):
            if any(a.overlaps(b) for b in boxes[i + 1:]):
                return True
    return False


def test_loss_curves_are_named_and_their_ticks_do_not_overlap() -> None:
    runs = sl.testing.synthetic_runs("multi_power", n_runs=45, noise=0.005, seed=2)
    result = sl.fit(runs, "multi_power")
    ax = Figure(figsize=(4.0, 3.0), layout="constrained").add_subplot()  # a small panel
    plot_fit(result, runs, ax)
    curves = [line for line in ax.lines if str(line.get_gid()).startswith("fit curve")]
    # The synthetic design has three schedules, logged one after another.
    assert len(curves) == 3
    drawn = np.concatenate([line.get_ydata() for line in curves])
    np.testing.assert_allclose(drawn, result.predict(runs), rtol=1e-12)
    assert ax.get_xlabel() == "S1 (cumulative learning rate)"
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert names == [f"schedule {i} (15 checkpoints, S1 \u2264 {runs['S1'][15 * i - 1]:.3g})" for i in (1, 2, 3)]
    assert not tick_boxes_overlap(ax)
    assert 2 <= len([t for t in ax.yaxis.get_ticklabels(which="both") if t.get_text()]) <= 6
    with pytest.raises(ValueError, match="needs that point's whole learning-rate schedule"):
        plot_fit(result, runs, target={"S1": 1.0})
    named = runs.with_columns(run_id=pl.Series(np.repeat(["cosine", "wsd", "step"], 15)))
    legend = plot_fit(result, named).get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["run_id cosine", "run_id wsd", "run_id step"]


@pytest.mark.parametrize("limits", [(0.3, 2.5), (2.05, 2.6), (1.8, 9.5), (0.062, 0.11)])
def test_short_log_axes_get_a_few_round_labels(limits: tuple[float, float]) -> None:
    # Less than a decade on a log axis: matplotlib labels none (no decade inside) and labelling every
    # minor tick crowds them (0.7, 0.8, 0.9 overlap on a 4-inch axis). Three to six round values.
    from scalinglaws.report.figures._common import plain_log_labels

    ax = Figure(figsize=(4.0, 3.0), layout="constrained").add_subplot()
    ax.plot(limits, limits)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*limits)
    ax.set_ylim(*limits)
    plain_log_labels(ax)
    assert not tick_boxes_overlap(ax)
    for axis in (ax.xaxis, ax.yaxis):
        shown = [t.get_text() for t in axis.get_ticklabels(which="both") if t.get_text()]
        assert 2 <= len(shown) <= 6, shown
        assert len(set(shown)) == len(shown)
        values = [float(t) for t in shown]
        assert all(limits[0] <= v <= limits[1] for v in values)


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
    groups = collections(ax, "data")  # one marker per group
    assert len(groups) == 2
    assert len({tuple(g.get_paths()[0].vertices.ravel()[:6]) for g in groups}) == 2
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"runs: code", "runs: web"}


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
    ax = Figure().add_subplot()
    assert plot_fit(fitted, runs, ax) is ax


# ------------------------------------------------------------------------------------------ plot_predicted


def test_predicted_against_observed_is_the_law_at_every_run(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    ax = plot_predicted(fitted, runs)
    (points,) = collections(ax, "predicted")
    observed, fitted_values = runs["loss"].to_numpy(), fitted.predict(runs)
    np.testing.assert_array_equal(points.get_offsets()[:, 0], observed)
    np.testing.assert_allclose(points.get_offsets()[:, 1], fitted_values, rtol=RTOL)
    (identity,) = lines(ax, "identity")
    np.testing.assert_array_equal(identity.get_xdata(), identity.get_ydata())
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("observed loss [nats/token]", "fitted loss [nats/token]")
    rms = np.sqrt(np.mean(np.log(observed / fitted_values) ** 2))
    assert ax.get_title().startswith(f"RMS log ratio {rms:.2%}, R\u00b2 = ")
    assert plot_predicted(fitted, runs, colour_by="D").figure.axes[-1].get_ylabel() == "n_tokens (D) [tokens]"
    with pytest.raises(ValueError, match=r"`colour_by` of plot_predicted must be an input of law"):
        plot_predicted(fitted, runs, colour_by="flops")


# ----------------------------------------------------------------------------------------- plot_residuals


def test_residuals_are_log_ratios_of_observed_to_fitted(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    ax = plot_residuals(fitted, runs, against="D")
    (points,) = collections(ax, "residuals")
    xy = points.get_offsets()
    expected = np.log(runs["loss"].to_numpy() / fitted.predict(runs))
    np.testing.assert_allclose(xy[:, 0], runs["n_tokens"].to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(xy[:, 1], expected, rtol=RTOL)
    assert ax.get_xscale() == "log"
    assert ax.get_ylabel() == "log(loss / fit) [\u2248 relative error]"
    assert ax.get_xlabel() == "n_tokens (D) [tokens]"
    assert plot_residuals(fitted, runs).get_xlabel() == "n_params (N) [parameters]"  # default: the first input
    with pytest.raises(ValueError, match=r"`against` of plot_residuals must be an input"):
        plot_residuals(fitted, runs, against="flops")


def test_residual_trend_is_the_lack_of_fit_test(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    ax = plot_residuals(fitted, runs, against="N")
    (trend,) = lines(ax, "residual trend")
    test = residual_trend(fitted, runs, "N")
    assert test is not None
    np.testing.assert_allclose(trend.get_ydata(), test.at(np.asarray(trend.get_xdata())), rtol=RTOL)
    assert ax.get_title() == f"trend F = {test.statistic:.1f}, p = {test.p_value:.2g}"
    assert not lines(plot_residuals(fitted, runs, against="N", trend=False), "residual trend")


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
    assert ax.get_xlabel() == "actual loss [nats/token]"
    assert ax.get_ylabel() == f"predicted loss [nats/token], {scores.prob:.0%} interval"
    assert ax.get_title() == f"coverage {covered / points.height:.0%} at nominal {scores.prob:.0%}"


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


def test_amplitudes_are_on_log_axes(fitted: sl.FitResult) -> None:
    assert fitted.bootstrap is not None
    names = list(fitted.params)  # E, A, alpha, B, beta
    axes = plot_bootstrap_pairs(fitted)
    samples = fitted.bootstrap.samples()
    for j, name in enumerate(names):
        amplitude = name in ("A", "B")  # they multiply N^-alpha and D^-beta; E is an additive constant
        assert axes[-1, j].get_xscale() == ("log" if amplitude else "linear"), name
        assert axes[-1, j].get_xlabel() == name + (" (log)" if amplitude else "")
        if j < len(names) - 1:
            assert axes[-1, j].get_xscale() == axes[j + 1, j].get_xscale()  # the whole column
    edges = [p.get_x() for p in axes[1, 1].patches]  # A's histogram: log-spaced bins
    ratios = np.diff(np.log(edges))
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)
    rho = np.corrcoef(np.log(samples["A"]), samples["alpha"])[0, 1]  # on the plotted (log) scale
    assert axes[1, 2].texts[0].get_text() == rf"$\rho$ = {rho:+.2f}"
    bare = plot_bootstrap_pairs(fitted.bootstrap, params=["E", "alpha"], log=["E"])
    assert bare[1, 0].get_xscale() == "log"


def test_pairs_reject_fits_without_draws_and_unknown_names(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    bare = sl.fit(runs, "chinchilla")
    with pytest.raises(ValueError, match="`draws` of plot_bootstrap_pairs must carry bootstrap draws"):
        plot_bootstrap_pairs(bare)
    with pytest.raises(ValueError, match="`params` of plot_bootstrap_pairs must name"):
        plot_bootstrap_pairs(fitted, params=["gamma"])
    with pytest.raises(ValueError, match=r"`axes` of plot_bootstrap_pairs must be a 2x2 array"):
        plot_bootstrap_pairs(fitted, np.empty((3, 3), dtype=object), params=["E", "A"])
    with pytest.raises(ValueError, match=r"`log` of plot_bootstrap_pairs must name shown parameters"):
        plot_bootstrap_pairs(fitted, params=["E", "A"], log=["beta"])


# ------------------------------------------------------------------------------------- optional matplotlib


def test_missing_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch, runs: pl.DataFrame,
                                            fitted: sl.FitResult) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'scalinglaws\[plot\]'"):
        require_matplotlib()
    with pytest.raises(ImportError, match=r"pip install 'scalinglaws\[plot\]'"):
        plot_fit(fitted, runs)
