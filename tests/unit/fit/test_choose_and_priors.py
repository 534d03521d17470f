"""Choosing among optima by the future, and normal priors (MAP) with intervals that include them."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl
from scalinglaws.fit import optima


@pytest.fixture(scope="module")
def bnsl_runs() -> pl.DataFrame:
    # A one-break BNSL: the search finds several distinct optima (the break in different places).
    return sl.testing.synthetic_runs("bnsl", n_runs=40, noise=0.02, seed=4)


def test_every_distinct_optimum_is_kept_and_one_is_chosen(bnsl_runs: pl.DataFrame) -> None:
    result = sl.fit(bnsl_runs, "bnsl")
    assert result.optima
    assert sum(o.chosen for o in result.optima) == 1
    chosen = next(o for o in result.optima if o.chosen)
    assert dict(chosen.params) == dict(result.params)
    assert chosen.objective == result.objective
    # In-sample choice: the chosen optimum has the lowest objective of the sound ones.
    sound = [o.objective for o in result.optima if not o.notes]
    assert chosen.objective == min(sound)
    assert all(o.lfo_error is None for o in result.optima)


def test_optima_are_saved_in_the_fit_file(bnsl_runs: pl.DataFrame) -> None:
    result = sl.fit(bnsl_runs, "bnsl")
    document = json.loads(result.to_json())
    assert len(document["optima"]) == len(result.optima)
    assert sl.FitResult.from_json(result.to_json()).optima == result.optima


def test_choose_backtest_picks_the_lowest_leave_future_out_error() -> None:
    runs = sl.testing.synthetic_runs("bnsl", n_runs=40, noise=0.02, seed=4)
    result = sl.fit(runs, "bnsl", choose="backtest", choose_by="x")
    scored = [o for o in result.optima if o.lfo_error is not None]
    chosen = next(o for o in result.optima if o.chosen)
    if len(scored) > 1:
        assert chosen.lfo_error == min(o.lfo_error for o in scored)  # type: ignore[type-var]
    assert result.config.choose == "backtest"


def test_lfo_errors_are_the_forecast_errors_of_the_basin_refitted_on_the_past() -> None:
    # Each candidate is polished on the runs below a cut and forecasts the runs above: for a law with
    # one basin, any start inside it scores exactly what a fit on the past forecasts.
    runs = sl.testing.synthetic_runs("power", n_runs=40, noise=0.01, seed=0)
    from scalinglaws.data.io import columns_of
    from scalinglaws.fit.gate import prepare

    problem = prepare(columns_of(runs, "test"), "power", sl.FitConfig()).problem
    truth = np.array([sl.testing.PLANTED["power"][n] for n in problem.names])
    nearby = truth * 1.05
    x = problem.x["x"]
    errors = optima.lfo_errors(problem, np.stack([truth, nearby]), x, (0.6,))
    cut = np.unique(x)[int(np.ceil(0.6 * np.unique(x).size)) - 1]
    past, future = runs.filter(pl.Series(x <= cut)), runs.filter(pl.Series(x > cut))
    forecast = sl.fit(past, "power").predict(future)
    expected = float(np.mean(np.abs(np.log(forecast / future["loss"].to_numpy()))))
    # Both polishes stop at the same optimum to the solver's tolerance (1e-12 relative objective).
    assert errors == pytest.approx([expected, expected], rel=1e-5)


def test_choose_by_auto_needs_an_axis_for_a_law_of_several_non_compute_inputs() -> None:
    runs = sl.testing.synthetic_runs("ye_mixing3", n_runs=30, seed=0)
    with pytest.raises(sl.MissingColumnError, match=r"`choose_by` 'auto' of fit finds no compute column"):
        sl.fit(runs, "ye_mixing3", choose="backtest")


@pytest.fixture(scope="module")
def short() -> pl.DataFrame:
    return sl.testing.synthetic_runs("chinchilla", n_runs=12, noise=0.01, seed=3)


def test_a_tight_prior_holds_a_parameter_and_a_loose_one_lets_the_data_speak(short: pl.DataFrame) -> None:
    plain = sl.fit(short, "chinchilla")
    tight = sl.fit(short, "chinchilla", priors={"alpha": (0.30, 1e-4)})
    loose = sl.fit(short, "chinchilla", priors={"alpha": (0.30, 10.0)})
    assert tight.params["alpha"] == pytest.approx(0.30, abs=1e-3)
    assert loose.params["alpha"] == pytest.approx(plain.params["alpha"], rel=1e-3)
    (effect,) = tight.prior_effects
    assert effect.data_share is not None
    assert effect.data_share < 0.05
    (effect,) = loose.prior_effects
    assert effect.data_share is not None
    assert effect.data_share > 0.99


def test_a_prior_narrows_the_interval_of_a_weakly_determined_parameter(short: pl.DataFrame) -> None:
    plain = sl.fit(short, "chinchilla")
    informed = sl.fit(short, "chinchilla", priors={"alpha": (0.35, 0.01)})
    assert plain.stderr is not None
    assert informed.stderr is not None
    assert informed.stderr["alpha"] < plain.stderr["alpha"]
    assert informed.stderr["alpha"] <= 0.01 * (1 + 1e-9)  # the posterior is at most as wide as the prior


def test_priors_from_a_preset_and_the_summary(short: pl.DataFrame) -> None:
    result = sl.fit(short, "chinchilla", prior_from="chinchilla:hoffmann2022", prior_width=0.5)
    assert set(result.priors) == {"E", "A", "B", "alpha", "beta"}
    assert result.priors["alpha"] == pytest.approx((0.34, 0.17))
    assert "prior: alpha ~ N(0.34, 0.17^2)" in result.summary()
    again = sl.FitResult.from_json(result.to_json())
    assert again.priors == result.priors
    assert again.prior_weight == result.prior_weight


def test_bootstrap_refits_keep_the_prior(short: pl.DataFrame) -> None:
    result = sl.fit(short, "chinchilla", priors={"alpha": (0.30, 1e-4)})
    draws = sl.bootstrap(result, short, n_boot=20, seed=0)
    alpha = draws.samples()["alpha"]
    assert np.all(np.abs(alpha - 0.30) < 2e-3)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"priors": {"gamma": (0.3, 0.1)}}, sl.LawSpecError, r"`priors` name \['gamma'\], which are not parameters"),
        ({"priors": {"alpha": (0.3, 0.0)}}, sl.ArgumentError, r"`priors` of fit must be \(mean, sd\) pairs"),
        ({"prior_from": "chinchilla"}, sl.ArgumentError, r"`prior_from` of fit must be LAW:PRESET"),
        ({"prior_from": "chinchilla:nope"}, sl.LawSpecError, r"law 'chinchilla' has no preset 'nope'"),
        ({"prior_from": "power:x"}, sl.LawSpecError, r"law 'power' has no preset 'x'"),
        ({"prior_width": 0.0}, sl.ArgumentError, r"`prior_width` of fit must be a positive number"),
        ({"fixed": {"alpha": 0.3}, "priors": {"alpha": (0.3, 0.1)}}, sl.LawSpecError, r"are fixed and have a prior"),
        ({"choose": "oracle"}, sl.ArgumentError, r"`choose` of fit must be one of \('in-sample', 'backtest'\)"),
        ({"choose_fractions": (0.5, 1.0)}, sl.ArgumentError, r"`choose_fractions` of fit must be numbers"),
    ],
)
def test_bad_choice_and_prior_options(
    short: pl.DataFrame, options: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        sl.fit(short, "chinchilla", **options)  # type: ignore[arg-type]
