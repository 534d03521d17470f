"""The compute-optimal frontier figures show what ``allocate`` and the law compute: L*(C) and its band,
the law at fixed N along C = 6ND, iso-loss contours with the efficient frontier, N*(C) and D*(C).

Tolerances: drawn arrays are the float64 arrays computed (rtol 1e-12); ``6 N D = C`` along an iso-N
curve holds to round-off of the cost model's inversion (rtol 1e-9).
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import Collection
from matplotlib.lines import Line2D

import scalinglaws as sl
from scalinglaws.plan import allocate
from scalinglaws.report import plot_frontier, plot_iso_loss, plot_loss_vs_compute

RTOL = 1e-12


def lines(ax: Axes, prefix: str) -> list[Line2D]:
    return [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith(prefix)]


def collections(ax: Axes, gid: str) -> list[Collection]:
    return [c for c in ax.collections if c.get_gid() == gid]


def band_extent(band: Collection, x: float) -> tuple[float, float]:
    vertices = np.concatenate([p.vertices for p in band.get_paths()])
    at = vertices[np.isclose(vertices[:, 0], x, rtol=1e-12, atol=0), 1]
    return float(at.min()), float(at.max())


# ----------------------------------------------------------------------------------- plot_loss_vs_compute


def test_loss_vs_compute_draws_the_frontier_inside_its_band(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    ax = plot_loss_vs_compute(fitted, runs, prob=0.9)
    compute = 6 * runs["n_params"].to_numpy() * runs["n_tokens"].to_numpy()
    lo, hi = compute.min() / 3, compute.max() * 3  # the default range: the runs', 3x wider
    (frontier,) = lines(ax, "frontier loss")
    x, y = np.asarray(frontier.get_xdata()), np.asarray(frontier.get_ydata())
    expected = allocate(fitted, flops=np.geomspace(lo, hi, 60), prob=0.9)
    np.testing.assert_allclose(x, expected.flops, rtol=RTOL)
    np.testing.assert_allclose(y, expected.predicted_loss, rtol=RTOL)
    (band,) = collections(ax, "frontier band")  # the fit carries bootstrap draws
    lower, upper = expected.intervals["predicted_loss"]
    for i in range(0, x.size, 7):
        low, high = band_extent(band, x[i])
        np.testing.assert_allclose([low, high], [lower[i], upper[i]], rtol=RTOL)
        assert low <= y[i] <= high
    (points,) = collections(ax, "data")
    np.testing.assert_allclose(points.get_offsets(), np.column_stack([compute, runs["loss"].to_numpy()]), rtol=RTOL)
    np.testing.assert_array_equal(points.get_array(), runs["n_params"].to_numpy())  # coloured by size
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert ax.get_xlabel() == "training compute C [FLOP] (C = 6*N*D)"
    assert ax.get_ylabel() == "loss [nats/token]"
    assert ax.figure.axes[-1].get_ylabel() == "n_params (N) [parameters]"


def test_iso_n_curves_are_the_law_at_actual_sizes(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    ax = plot_loss_vs_compute(fitted, runs, n_sizes=4)
    curves = lines(ax, "iso-N ")
    assert len(curves) == 4
    sizes = runs["n_params"].to_numpy()
    for curve in curves:
        size = json.loads(curve.get_gid()[len("iso-N "):])["n_params"]
        assert size in sizes
        c = np.asarray(curve.get_xdata())
        d = c / (6 * size)
        np.testing.assert_allclose(curve.get_ydata(), fitted.predict({"n_params": np.full(c.size, size), "n_tokens": d}),
                                   rtol=1e-9)
    # Every iso-N curve lies on or above the frontier: L*(C) is the lowest loss at each compute.
    (frontier,) = lines(ax, "frontier loss")
    fx, fy = np.asarray(frontier.get_xdata()), np.asarray(frontier.get_ydata())
    for curve in curves:
        on_frontier_grid = np.interp(np.log(fx), np.log(curve.get_xdata()), np.asarray(curve.get_ydata()))
        assert np.all(on_frontier_grid >= fy * (1 - 1e-6))  # interpolation along a smooth curve


def test_loss_vs_compute_without_data_needs_a_range(fitted: sl.FitResult) -> None:
    ax = plot_loss_vs_compute(fitted, flops=(1e19, 1e23))
    (frontier,) = lines(ax, "frontier loss")
    assert (min(frontier.get_xdata()), max(frontier.get_xdata())) == pytest.approx((1e19, 1e23), rel=RTOL)
    assert not collections(ax, "data")
    with pytest.raises(ValueError, match=r"`flops` of plot_loss_vs_compute must give the compute range"):
        plot_loss_vs_compute(fitted)
    with pytest.raises(ValueError, match=r"`flops` of plot_loss_vs_compute must be a range \(lo, hi\)"):
        plot_loss_vs_compute(fitted, flops=(1e23, 1e19))


def test_frontier_figures_need_a_law_in_n_and_d() -> None:
    runs = sl.testing.synthetic_runs("power", seed=1)
    result = sl.fit(runs, "power")
    for draw in (plot_loss_vs_compute, plot_iso_loss):
        with pytest.raises(ValueError, match=r"`result` of plot_\w+ must be a fit of a law in model size N"):
            draw(result, runs)


def test_grouped_fit_frontier_names_the_group() -> None:
    a = sl.testing.synthetic_runs("chinchilla", seed=1).with_columns(pl.lit("web").alias("family"))
    b = sl.testing.synthetic_runs("chinchilla", seed=2).with_columns(pl.lit("code").alias("family"))
    runs = pl.concat([a, b])
    result = sl.fit(runs, "chinchilla", group="family", shared=("alpha", "beta"))
    with pytest.raises(ValueError, match=r"`group` of plot_loss_vs_compute must name one of the fitted groups"):
        plot_loss_vs_compute(result, runs)
    ax = plot_loss_vs_compute(result, runs, group="code")
    (frontier,) = lines(ax, "frontier loss")
    expected = allocate(result, flops=np.asarray(frontier.get_xdata()), group="code")
    np.testing.assert_allclose(frontier.get_ydata(), expected.predicted_loss, rtol=RTOL)


# ------------------------------------------------------------------------------------------ plot_iso_loss


def test_iso_loss_contours_and_the_efficient_frontier(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    ax = plot_iso_loss(fitted, runs, levels=8)
    (frontier,) = lines(ax, "efficient frontier")
    n_star, d_star = np.asarray(frontier.get_xdata()), np.asarray(frontier.get_ydata())
    compute = 6 * n_star * d_star
    expected = allocate(fitted, flops=compute)
    np.testing.assert_allclose(n_star, expected.n_params, rtol=1e-9)
    # On each iso-FLOP line the frontier's point has the lowest loss: moving N by +-10% at the same
    # compute raises the law's loss.
    for factor in (0.9, 1.1):
        n = n_star * factor
        shifted = fitted.predict({"n_params": n, "n_tokens": compute / (6 * n)})
        assert np.all(shifted > fitted.predict({"n_params": n_star, "n_tokens": d_star}))
    contour_sets = [c for c in ax.collections if c.get_gid() == "iso-loss"]
    assert len(contour_sets) == 1
    assert len(contour_sets[0].levels) == 8
    for line in lines(ax, "isoflop line "):
        budget = float(line.get_gid().split()[-1])
        product = 6 * np.asarray(line.get_xdata()) * np.asarray(line.get_ydata())
        np.testing.assert_allclose(product, budget, rtol=1e-9)
    assert lines(ax, "isoflop line ")
    (points,) = collections(ax, "data")
    np.testing.assert_array_equal(points.get_offsets(), runs.select("n_params", "n_tokens").to_numpy())
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("n_params (N) [parameters]", "n_tokens (D) [tokens]")
    assert ax.figure.axes[-1].get_ylabel() == "predicted loss [nats/token]"
    with pytest.raises(ValueError, match=r"`levels` of plot_iso_loss must be at least 2"):
        plot_iso_loss(fitted, runs, levels=1)


def test_iso_loss_levels_may_be_given(fitted: sl.FitResult) -> None:
    ax = plot_iso_loss(fitted, flops=(1e18, 1e22), levels=[2.2, 2.5, 3.0])
    (contours,) = [c for c in ax.collections if c.get_gid() == "iso-loss"]
    np.testing.assert_array_equal(contours.levels, [2.2, 2.5, 3.0])


# ------------------------------------------------------------------------------------------ plot_frontier


def test_frontier_draws_the_allocation_inside_its_fan(fitted: sl.FitResult) -> None:
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
    assert ax.get_xlabel() == "training compute C [FLOP] (C = 6*N*D)"
    assert "[parameters or tokens]" in ax.get_ylabel()


def test_compute_comes_from_a_compute_column_or_the_cost_model(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    with_flops = runs.with_columns(flops=pl.col("n_params") * pl.col("n_tokens") * 7.0)  # another cost
    ax = plot_loss_vs_compute(fitted, with_flops)
    (points,) = collections(ax, "data")
    np.testing.assert_allclose(points.get_offsets()[:, 0], with_flops["flops"].to_numpy(), rtol=RTOL)
    with pytest.raises(sl.MissingColumnError, match=r"`data` of plot_loss_vs_compute needs a compute column "
                                                    r"\(C, else flops\) or model-size and token columns"):
        plot_loss_vs_compute(fitted, runs.drop("n_tokens"))


def test_a_law_without_an_optimum_has_no_frontier(runs: pl.DataFrame) -> None:
    # A term growing with D (c < 0 fitted): the loss keeps falling towards ever more tokens, so no
    # compute has an interior optimum.
    result = sl.fit(runs, "E + A/N**alpha + B/D**beta + c*D")
    assert result.params["c"] < 0
    with pytest.raises(ValueError, match=r"`result` of plot_loss_vs_compute has no compute-optimal frontier "
                                         r"over .* FLOPs: `flops` of allocate: law .* has no interior"):
        plot_loss_vs_compute(result, runs)
