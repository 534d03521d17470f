"""IsoFLOP figures draw the analysis: each budget's runs, its fitted profile and minimum, and the minima
against compute with the fitted N_opt(C) power law.

Tolerance: a profile's drawn values are ``Profile.loss`` at the drawn sizes (rtol 1e-12); the loss of
the profile at its minimum equals the table's ``loss_opt`` to round-off of the two evaluation orders
(rtol 1e-9).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

import scalinglaws as sl
from scalinglaws.plan import allocate, isoflop_grid, isoflop_profiles
from scalinglaws.report import plot_isoflop, plot_isoflop_optima

RTOL = 1e-12


def lines(ax: Axes, prefix: str) -> list[Line2D]:
    return [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith(prefix)]


@pytest.fixture(scope="module")
def sweep() -> pl.DataFrame:
    law, truth = sl.get_law("chinchilla"), sl.testing.PLANTED["chinchilla"]
    grid = isoflop_grid([1e18, 1e19, 1e20], n_sizes=9)
    rng = np.random.default_rng(5)
    loss = law.predict(truth, {"N": grid["n_params"].to_numpy(), "D": grid["n_tokens"].to_numpy()})
    return grid.with_columns(pl.Series("loss", loss * np.exp(rng.normal(0, 0.003, loss.size))))


@pytest.mark.parametrize("method", ["cubic", "parabola", "akima"])
def test_profiles_are_drawn_through_each_budget(sweep: pl.DataFrame, method: str) -> None:
    analysis = isoflop_profiles(sweep, method=method, n_boot=20)  # type: ignore[arg-type]
    ax = plot_isoflop(analysis, sweep)
    budgets = analysis.budgets
    n_runs = 0
    for k, row in enumerate(budgets.iter_rows(named=True)):
        (profile,) = lines(ax, f"isoflop profile {row['flops']!r}")
        x = np.asarray(profile.get_xdata())
        np.testing.assert_allclose(profile.get_ydata(), analysis.profiles[k].loss(x), rtol=RTOL)
        members = sweep.filter(pl.col("flops") == row["flops"])
        assert x.min() == pytest.approx(members["n_params"].min(), rel=1e-12)
        assert x.max() == pytest.approx(members["n_params"].max(), rel=1e-12)
        (runs,) = [c for c in ax.collections if c.get_gid() == f"isoflop runs {row['flops']!r}"]
        n_runs += runs.get_offsets().shape[0]
        # The profile passes through its minimum.
        at_min = analysis.profiles[k].loss(np.array([row["n_opt"]]))[0]
        assert at_min == pytest.approx(row["loss_opt"], rel=1e-9)
    assert n_runs == sweep.height
    minima = lines(ax, "isoflop minima")
    np.testing.assert_array_equal(np.array([m.get_xydata()[0] for m in minima]),
                                  budgets.select("n_opt", "loss_opt").to_numpy())
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("n_params (N) [parameters]", "loss [nats/token]")
    assert ax.figure.axes[-1].get_ylabel() == "budget flops (C) [FLOP]"


def test_optima_panel_draws_the_fitted_power_law(sweep: pl.DataFrame, fitted: sl.FitResult) -> None:
    analysis = isoflop_profiles(sweep, n_boot=50)
    law = allocate(fitted, flops=np.geomspace(5e17, 2e20, 20))
    ax = plot_isoflop_optima(analysis, allocation=law)
    (points,) = lines(ax, "isoflop optima")
    interior = analysis.budgets.filter(pl.col("interior"))
    np.testing.assert_array_equal(points.get_xdata(), interior["flops"].to_numpy())
    np.testing.assert_array_equal(points.get_ydata(), interior["n_opt"].to_numpy())
    (power,) = lines(ax, "isoflop frontier")
    c = np.asarray(power.get_xdata())
    np.testing.assert_allclose(power.get_ydata(), analysis.coef_a * c**analysis.exponent_a, rtol=RTOL)
    (dashed,) = lines(ax, "law frontier")
    np.testing.assert_array_equal(dashed.get_ydata(), law.n_params)
    lo, hi = analysis.intervals["exponent_a"]
    assert f"[{lo:.3f}, {hi:.3f}]" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("flops (C) [FLOP]", "compute-optimal n_params (N) [parameters]")


def test_runs_on_no_budget_are_grey(sweep: pl.DataFrame) -> None:
    # Jitter every run's compute by up to +-2% (achieved FLOPs), and add four runs far from any budget:
    # the budgets are found again and the strays are drawn apart.
    rng = np.random.default_rng(0)
    jittered = sweep.with_columns(pl.col("flops") * np.exp(rng.uniform(-0.02, 0.02, sweep.height)))
    strays = jittered.head(4).with_columns(pl.col("flops") * 3.0)
    data = pl.concat([jittered, strays])
    analysis = isoflop_profiles(data, n_boot=0)
    assert analysis.bucketing == "found"
    assert analysis.n_unassigned == 4
    ax = plot_isoflop(analysis, data)
    (grey,) = [c for c in ax.collections if c.get_gid() == "isoflop unassigned"]
    np.testing.assert_array_equal(grey.get_offsets(), strays.select("n_params", "loss").to_numpy())


def test_isoflop_figure_names_missing_columns(sweep: pl.DataFrame) -> None:
    analysis = isoflop_profiles(sweep, n_boot=0)
    with pytest.raises(sl.MissingColumnError, match=r"columns \['loss'\] are missing from `data` of plot_isoflop"):
        plot_isoflop(analysis, sweep.drop("loss"))
    renamed = sweep.rename({"flops": "C"})
    with pytest.raises(sl.MissingColumnError, match=r"columns \['flops'\] are missing"):
        plot_isoflop(analysis, renamed)
    ax = plot_isoflop(analysis, renamed, flops="C")  # the columns may be named
    assert len(lines(ax, "isoflop minima")) == 3
