"""Bad input fails at once with a message naming the argument or column, the bad rows and the fix;
fits that cannot converge say so in their status, and ``strict=True`` turns that into an error."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl
from scalinglaws import (
    ConvergenceError,
    DataError,
    FitStatus,
    LawSpecError,
    MissingColumnError,
    NonFiniteFitError,
    SchemaError,
)
from scalinglaws.testing import synthetic_runs


@pytest.fixture(scope="module")
def runs() -> pl.DataFrame:
    return synthetic_runs("chinchilla", n_runs=30, noise=0.01, seed=0)


def with_values(frame: pl.DataFrame, column: str, rows: list[int], value: float) -> pl.DataFrame:
    values = frame[column].to_numpy().astype(float).copy()
    values[rows] = value
    return frame.with_columns(pl.Series(column, values))


# ---------------------------------------------------------------------------------------------------
# Columns


def test_missing_input_column_names_it_and_suggests_map(runs: pl.DataFrame) -> None:
    with pytest.raises(
        MissingColumnError,
        match=r"column 'D' or 'n_tokens' for input `D` of law 'chinchilla'\. Available columns: "
        r"\['is_outlier', 'loss', 'n_params'\]\. Map it with .*`--map D=COLUMN`",
    ):
        sl.fit(runs.drop("n_tokens"), "chinchilla")


def test_missing_column_is_a_data_error_and_a_value_error(runs: pl.DataFrame) -> None:
    with pytest.raises(DataError, match=r"no column 'N'"):
        sl.fit(runs.drop("n_params"), "chinchilla")
    with pytest.raises(ValueError, match=r"no column 'N'"):
        sl.fit(runs.drop("n_params"), "chinchilla")


def test_mapped_column_that_does_not_exist(runs: pl.DataFrame) -> None:
    with pytest.raises(
        MissingColumnError, match=r"column 'tokens' .*input `D` of law 'chinchilla'"
    ):
        sl.fit(runs, "chinchilla", mapping={"D": "tokens"})


def test_missing_target_column(runs: pl.DataFrame) -> None:
    with pytest.raises(
        MissingColumnError,
        match=r"target column 'val_loss' is missing\. .*Name the target with `target=COLUMN` \(CLI: `--target COLUMN`\)",
    ):
        sl.fit(runs, "chinchilla", target="val_loss")


def test_missing_weights_column(runs: pl.DataFrame) -> None:
    with pytest.raises(MissingColumnError, match=r"column 'w' \(weights\) is missing"):
        sl.fit(runs, "chinchilla", weights="w")


def test_missing_group_column(runs: pl.DataFrame) -> None:
    with pytest.raises(MissingColumnError, match=r"group column 'arch' is missing"):
        sl.fit(runs, "chinchilla", group="arch")


def test_non_numeric_column(runs: pl.DataFrame) -> None:
    bad = runs.with_columns(pl.lit("n/a").alias("loss"))
    with pytest.raises(
        SchemaError, match=r"column 'loss' \(target\) must be numeric; 30 row\(s\) are not numbers: 0 \('n/a'\)"
    ):
        sl.fit(bad, "chinchilla")


def test_mapping_an_unknown_input(runs: pl.DataFrame) -> None:
    with pytest.raises(
        LawSpecError,
        match=r"`mapping` names \['Q'\], which are not inputs of law 'chinchilla' \(inputs: \['N', 'D'\]\)",
    ):
        sl.fit(runs, "chinchilla", mapping={"Q": "n_params"})


def test_input_reading_the_target(runs: pl.DataFrame) -> None:
    with pytest.raises(
        LawSpecError, match=r"input `N` of law 'chinchilla' reads the target column 'loss'"
    ):
        sl.fit(runs, "chinchilla", mapping={"N": "loss"})


# ---------------------------------------------------------------------------------------------------
# Values


@pytest.mark.parametrize(("column", "symbol"), [("n_params", "N"), ("n_tokens", "D")])
@pytest.mark.parametrize("value", [0.0, -1e9])
def test_non_positive_scale_lists_the_rows(
    runs: pl.DataFrame, column: str, symbol: str, value: float
) -> None:
    bad = with_values(runs, column, [3, 11, 12], value)
    with pytest.raises(
        DataError,
        match=rf"column '{column}' \(input `{symbol}`\) must be positive; 3 row\(s\): 3 \({value!r}\), "
        rf"11 \({value!r}\), 12 \({value!r}\) are not \(row numbers count from 0\)\. Law 'chinchilla' raises "
        rf"`{symbol}` to a power or takes its log; check units or drop these rows\. Nothing was dropped\.",
    ):
        sl.fit(bad, "chinchilla")


def test_many_bad_rows_are_summarised(runs: pl.DataFrame) -> None:
    bad = with_values(runs, "n_params", list(range(8)), 0.0)
    with pytest.raises(
        DataError,
        match=r"8 row\(s\): 0 \(0\.0\), 1 \(0\.0\), 2 \(0\.0\), 3 \(0\.0\), 4 \(0\.0\) and 3 more",
    ):
        sl.fit(bad, "chinchilla")


def test_non_positive_tokens_for_kaplan(runs: pl.DataFrame) -> None:
    # D enters Kaplan's law as D_c/D inside a fractional power: D = 0 is undefined and D < 0 would
    # otherwise "converge" to meaningless numbers.
    kaplan = synthetic_runs("kaplan_nd", n_runs=30, seed=0)
    for value in (0.0, -1e9):
        with pytest.raises(
            DataError,
            match=r"column 'n_tokens' \(input `D`\) must be positive; 2 row\(s\): 1 .*, 4 ",
        ):
            sl.fit(with_values(kaplan, "n_tokens", [1, 4], value), "kaplan_nd")


@pytest.mark.parametrize(
    ("column", "role", "value"),
    [
        ("n_params", r"input `N`", float("nan")),
        ("n_tokens", r"input `D`", float("inf")),
        ("n_tokens", r"input `D`", -float("inf")),
        ("loss", r"target", float("nan")),
        ("loss", r"target", float("inf")),
    ],
)
def test_non_finite_values_list_the_rows(
    runs: pl.DataFrame, column: str, role: str, value: float
) -> None:
    bad = with_values(runs, column, [7], value)
    with pytest.raises(
        DataError,
        match=rf"column '{column}' \({role}\) must be finite; 1 row\(s\): 7 \({value!r}\) are not .*"
        r"Drop or fill these rows before fitting\.",
    ):
        sl.fit(bad, "chinchilla")


@pytest.mark.parametrize("value", [0.0, -0.5])
def test_non_positive_target_in_log_space_suggests_linear_space(
    runs: pl.DataFrame, value: float
) -> None:
    bad = with_values(runs, "loss", [2, 9], value)
    with pytest.raises(
        DataError,
        match=rf"column 'loss' \(target\) must be positive to fit in log space; 2 row\(s\): 2 \({value!r}\), "
        rf"9 \({value!r}\) .*Fit with `space='linear'` \(CLI: `--space linear`\)",
    ):
        sl.fit(bad, "chinchilla")


def test_non_positive_target_is_fine_in_linear_space() -> None:
    # A law that can go negative, with targets around zero: linear space takes them as they are.
    x = np.linspace(1.0, 10.0, 20)
    data = {"x": x, "loss": 0.5 * x - 2.0 + 0.01 * np.sin(x)}
    result = sl.fit(data, "a*x + b", space="linear", loss="squared")
    assert result.status is FitStatus.CONVERGED
    assert result.params["a"] == pytest.approx(0.5, abs=0.01)  # the sin wiggle moves the slope < 1%


def test_negative_weights_list_the_rows(runs: pl.DataFrame) -> None:
    weights = np.ones(runs.height)
    weights[[0, 13]] = -1.0
    with pytest.raises(
        DataError,
        match=r"column 'w' \(weights\) must be finite and non-negative; 2 row\(s\): 0 \(-1\.0\), 13 \(-1\.0\) .*Fix the weights column",
    ):
        sl.fit(runs.with_columns(pl.Series("w", weights)), "chinchilla", weights="w")


def test_non_finite_weights(runs: pl.DataFrame) -> None:
    weights = np.ones(runs.height)
    weights[5] = np.nan
    with pytest.raises(
        DataError,
        match=r"column 'w' \(weights\) must be finite and non-negative; 1 row\(s\): 5 \(nan\)",
    ):
        sl.fit(runs.with_columns(pl.Series("w", weights)), "chinchilla", weights="w")


def test_fewer_points_than_parameters(runs: pl.DataFrame) -> None:
    with pytest.raises(
        DataError,
        match=r"law 'chinchilla' has 5 parameters but the data has 4 point\(s\); a fit needs at least as many "
        r"points as parameters\. Add runs, or fit a law with fewer parameters",
    ):
        sl.fit(runs.head(4), "chinchilla")


def test_fewer_points_than_parameters_in_a_group(runs: pl.DataFrame) -> None:
    labels = ["big"] * (runs.height - 2) + ["tiny"] * 2
    grouped = runs.with_columns(pl.Series("arch", labels))
    # E, A and B are the group's own; the shared exponents draw on every group.
    with pytest.raises(
        DataError,
        match=r"law 'chinchilla' has 3 group-specific parameters but the data has 2 point\(s\) in group 'tiny'",
    ):
        sl.fit(grouped, "chinchilla", group="arch", shared=["alpha", "beta"])


def test_small_group_is_enough_for_its_own_parameters(runs: pl.DataFrame) -> None:
    # 4 points for 3 group-specific parameters: determined, given exponents shared with a large group.
    labels = ["big"] * (runs.height - 4) + ["small"] * 4
    grouped = runs.with_columns(pl.Series("arch", labels))
    result = sl.fit(grouped, "chinchilla", group="arch", shared=["alpha", "beta"])
    assert set(result.params) >= {"E[small]", "A[small]", "B[small]", "alpha", "beta"}


def test_nothing_is_dropped_silently(runs: pl.DataFrame) -> None:
    bad = with_values(runs, "loss", [0], float("nan"))
    with pytest.raises(DataError, match="Nothing was dropped"):
        sl.fit(bad, "chinchilla")


# ---------------------------------------------------------------------------------------------------
# Laws


def test_unparsable_formula(runs: pl.DataFrame) -> None:
    with pytest.raises(LawSpecError, match=r"`formula` 'E \+ A\*N\*\*' cannot be parsed"):
        sl.fit(runs, "E + A*N**")


def test_formula_with_unknown_function(runs: pl.DataFrame) -> None:
    with pytest.raises(LawSpecError, match=r"calls unknown function 'softplus'"):
        sl.fit(runs, "E + softplus(N)*A")


def test_unknown_catalog_law(runs: pl.DataFrame) -> None:
    with pytest.raises(
        LawSpecError,
        match=r"`law` 'chinchila' is not in the catalog\. Known laws: .*chinchilla.* To fit a formula, write it out",
    ):
        sl.fit(runs, "chinchila")


def test_formula_reading_no_column(runs: pl.DataFrame) -> None:
    with pytest.raises(
        LawSpecError,
        match=r"formula 'E \+ A\*x\*\*-alpha' reads no column of the data: none of \['E', 'A', 'x', 'alpha'\] "
        r"is a column\. .*Map a name to a column, e\.g\. `--map N=n_params`",
    ):
        sl.fit(runs, "E + A*x**-alpha")


def test_parameter_named_like_a_column(runs: pl.DataFrame) -> None:
    with pytest.raises(
        LawSpecError,
        match=r"parameter\(s\) \['A'\] of law 'chinchilla' have the name of a data column or are mapped to one\. "
        r"Rename the column, or write the formula with another parameter name",
    ):
        sl.fit(runs.with_columns(pl.lit(1.0).alias("A")), "chinchilla")


def test_parameter_mapped_to_a_column(runs: pl.DataFrame) -> None:
    with pytest.raises(
        LawSpecError,
        match=r"parameter\(s\) \['E'\] of law 'chinchilla' have the name of a data column or are mapped",
    ):
        sl.fit(runs, "chinchilla", mapping={"E": "loss"})


def test_shared_without_group(runs: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"`shared` of fit needs `group`"):
        sl.fit(runs, "chinchilla", shared=["alpha"])


def test_shared_names_an_unknown_parameter(runs: pl.DataFrame) -> None:
    grouped = runs.with_columns(pl.lit("a").alias("arch"))
    with pytest.raises(
        LawSpecError,
        match=r"`shared` names \['gamma'\], which are not parameters of law 'chinchilla'",
    ):
        sl.fit(grouped, "chinchilla", group="arch", shared=["gamma"])


def test_bounds_or_init_for_an_unknown_parameter(runs: pl.DataFrame) -> None:
    with pytest.raises(LawSpecError, match=r"law 'chinchilla' has no parameter 'gamma'"):
        sl.fit(runs, "chinchilla", bounds={"gamma": (0.0, 1.0)})
    with pytest.raises(LawSpecError, match=r"law 'chinchilla' has no parameter 'gamma'"):
        sl.fit(runs, "chinchilla", init={"gamma": 0.5})


def test_inverted_bounds(runs: pl.DataFrame) -> None:
    with pytest.raises(
        sl.ArgumentError,
        match=r"`bounds` of fit must be \(lower, upper\) pairs with lower < upper\. "
        r"Got \{'alpha': \(1\.0, 0\.0\)\} instead",
    ):
        sl.fit(runs, "chinchilla", bounds={"alpha": (1.0, 0.0)})


def test_start_outside_the_bounds_is_not_clamped(runs: pl.DataFrame) -> None:
    # Never silently correct input (B.5.4): a start outside the bounds is an error, not a clamp.
    with pytest.raises(
        LawSpecError,
        match=r"initial range of parameter `alpha` must be finite and inside its bounds",
    ):
        sl.fit(runs, "chinchilla", init={"alpha": 7.0})


# ---------------------------------------------------------------------------------------------------
# Options


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"loss": "l1"}, r"`loss` of fit must be one of \('squared', 'huber'\)\. Got 'l1' instead"),
        (
            {"space": "loglog"},
            r"`space` of fit must be one of \('log', 'linear'\)\. Got 'loglog' instead",
        ),
        ({"delta": 0.0}, r"`delta` of fit must be a positive number\. Got 0\.0 instead"),
        ({"delta": -1e-3}, r"`delta` of fit must be a positive number\. Got -0\.001 instead"),
        ({"delta": float("nan")}, r"`delta` of fit must be a positive number\. Got nan instead"),
        ({"delta": float("inf")}, r"`delta` of fit must be a positive number\. Got inf instead"),
        ({"asymmetry": 0.0}, r"`asymmetry` of fit must be a positive number\. Got 0\.0 instead"),
        ({"n_grid": 0}, r"`n_grid` of fit must be an integer of at least 1\. Got 0 instead"),
    ],
)
def test_bad_options(runs: pl.DataFrame, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sl.fit(runs, "chinchilla", **kwargs)  # type: ignore[arg-type]


def test_options_are_checked_before_the_data(runs: pl.DataFrame) -> None:
    # A bad option is reported even when the table is also unusable: the cheap gate comes first.
    with pytest.raises(ValueError, match=r"`loss` of fit must be one of"):
        sl.fit(runs.drop("n_params"), "chinchilla", loss="l2")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------
# Bootstrap


def test_bootstrap_on_different_data(runs: pl.DataFrame) -> None:
    result = sl.fit(runs, "chinchilla")
    with pytest.raises(
        DataError,
        match=r"`data` passed to bootstrap is not the data the fit was made on .*Pass the same table",
    ):
        sl.bootstrap(result, runs.head(25), n_boot=4)
    with pytest.raises(DataError, match="not the data the fit was made on"):
        sl.bootstrap(result, with_values(runs, "loss", [0], 3.0), n_boot=4)


def test_bootstrap_needs_at_least_one_resample(runs: pl.DataFrame) -> None:
    result = sl.fit(runs, "chinchilla")
    with pytest.raises(
        ValueError, match=r"`n_boot` of bootstrap must be an integer of at least 1\. Got 0 instead"
    ):
        sl.bootstrap(result, runs, n_boot=0)


def test_bootstrap_on_the_fitted_data(runs: pl.DataFrame) -> None:
    result = sl.fit(runs, "chinchilla")
    boot = sl.bootstrap(result, runs, n_boot=16, seed=1)
    assert boot.draws.shape == (16, 5)
    assert tuple(boot.param_names) == tuple(result.params)


# ---------------------------------------------------------------------------------------------------
# Fits that do not converge: a status, not an exception, unless strict=True


def test_iteration_limit_is_reported(runs: pl.DataFrame) -> None:
    result = sl.fit(runs, "chinchilla", max_iter=1)
    assert result.status is FitStatus.MAX_ITER
    assert "iteration limit" in result.message
    assert not result.is_usable


def test_pinning_bound_is_reported(runs: pl.DataFrame) -> None:
    # The data want alpha ~ 0.35; an upper bound of 0.2 holds it on the bound.
    result = sl.fit(runs, "chinchilla", bounds={"alpha": (0.0, 0.2)})
    assert result.status is FitStatus.BOUND_HIT
    assert "['alpha'] ended on a bound" in result.message
    assert result.params["alpha"] == 0.2


@pytest.mark.parametrize("formula", ["E + A*B*N**-alpha", "E + (A+B)*N**-alpha"])
def test_redundant_parameter_is_reported(runs: pl.DataFrame, formula: str) -> None:
    # Only A*B (or A+B) is determined by the data: the fit must not claim a usable estimate, and must
    # say why. Along the flat ridge the optimiser may also run out of iterations; either way the
    # message names the redundancy and no standard errors are given.
    result = sl.fit(runs, formula)
    assert result.status in {FitStatus.ILL_CONDITIONED, FitStatus.MAX_ITER}, result.message
    assert "nearly redundant" in result.message
    assert result.stderr is None


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [({"max_iter": 1}, "max-iter"), ({"bounds": {"alpha": (0.0, 0.2)}}, "at-bound")],
)
def test_strict_raises_convergence_error(
    runs: pl.DataFrame, kwargs: dict[str, object], status: str
) -> None:
    with pytest.raises(
        ConvergenceError, match=rf"fit of law 'chinchilla' ended with status {status}: "
    ):
        sl.fit(runs, "chinchilla", strict=True, **kwargs)  # type: ignore[arg-type]


def test_strict_raises_on_a_redundant_law(runs: pl.DataFrame) -> None:
    with pytest.raises(ConvergenceError, match=r"ended with status ill-conditioned: .*redundant"):
        sl.fit(runs, "E + A*B*N**-alpha", strict=True)


def test_strict_is_silent_when_converged(runs: pl.DataFrame) -> None:
    assert sl.fit(runs, "chinchilla", strict=True).status is FitStatus.CONVERGED


def test_convergence_error_is_a_runtime_error(runs: pl.DataFrame) -> None:
    with pytest.raises(RuntimeError, match="ended with status"):
        sl.fit(runs, "chinchilla", strict=True, max_iter=1)


def test_objective_not_finite_anywhere() -> None:
    # log(-x) is undefined for every start: there is nothing to fit.
    data = {"x": np.linspace(1.0, 5.0, 10), "loss": np.linspace(1.0, 2.0, 10)}
    with pytest.raises(
        NonFiniteFitError,
        match=r"the objective of law '.*' is not finite at any of \d+ starts.*Check the formula, the bounds and the initial ranges",
    ):
        sl.fit(data, "a + log(-x)")


# ---------------------------------------------------------------------------------------------------
# Trust helpers: remaining raise sites of the engine (bootstrap, profile, intervals)


@pytest.fixture(scope="module")
def fitted(runs: pl.DataFrame) -> sl.FitResult:
    return sl.fit(runs, "chinchilla")


def test_bootstrap_unknown_method(fitted: sl.FitResult, runs: pl.DataFrame) -> None:
    with pytest.raises(
        ValueError, match=r"`method` of bootstrap must be one of \(.*\)\. Got 'jackknife' instead"
    ):
        sl.bootstrap(fitted, runs, n_boot=4, method="jackknife")  # type: ignore[arg-type]


@pytest.mark.parametrize("prob", [0.0, 1.0, 1.5])
def test_probabilities_must_lie_strictly_inside_zero_one(
    fitted: sl.FitResult, runs: pl.DataFrame, prob: float
) -> None:
    match = rf"`prob` must be strictly between 0 and 1\. Got {prob!r} instead"
    with pytest.raises(ValueError, match=match):
        sl.profile(fitted, runs, "alpha", prob=prob)
    with pytest.raises(ValueError, match=match):
        fitted.predict_interval(runs, prob=prob)
    boot = sl.bootstrap(fitted, runs, n_boot=4, seed=0)
    with pytest.raises(ValueError, match=match):
        boot.interval(prob)


def test_profile_on_different_data(fitted: sl.FitResult, runs: pl.DataFrame) -> None:
    with pytest.raises(
        DataError, match=r"`data` passed to profile is not the data the fit was made on"
    ):
        sl.profile(fitted, runs.head(20), "alpha")


def test_profile_of_an_unknown_parameter(fitted: sl.FitResult, runs: pl.DataFrame) -> None:
    with pytest.raises(LawSpecError, match=r"`name` 'gamma' is not a parameter of this fit"):
        sl.profile(fitted, runs, "gamma")


def test_bootstrap_draws_of_another_law(fitted: sl.FitResult, runs: pl.DataFrame) -> None:
    other = sl.fit(runs, "E + A*N**-alpha")
    draws = sl.bootstrap(other, runs, n_boot=4, seed=0)
    with pytest.raises(
        ValueError,
        match=r"`draws` are for parameters \['E', 'A', 'alpha'\], not \['E', 'A', 'alpha', 'B', 'beta'\]",
    ):
        fitted.with_bootstrap(draws)


def test_interval_without_covariance_or_draws(runs: pl.DataFrame) -> None:
    redundant = sl.fit(runs, "E + A*B*N**-alpha")
    assert redundant.covariance is None
    with pytest.raises(sl.FitError, match=r"this fit has no covariance .* run `bootstrap`"):
        redundant.predict_interval(runs)


def test_a_stalled_optimiser_is_abnormal_and_strict_refuses_it(
    runs: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The optimiser stalls (no step decreases the objective, damping at its limit) only on objectives
    # with kinks or noise-level curvature, which no smooth law gives reliably: the solver is made to
    # report a stall at its true end point, and the engine must call that abnormal, not converged.
    from dataclasses import replace

    from scalinglaws.fit import api
    from scalinglaws.fit.solver import Outcome

    real = api.solve

    def stalled(*args: object, **kwargs: object) -> object:
        solution = real(*args, **kwargs)  # type: ignore[arg-type]
        stall = np.full_like(solution.start_outcomes, int(Outcome.STALLED))
        return replace(solution, outcome=Outcome.STALLED, start_outcomes=stall, n_converged=0)

    monkeypatch.setattr(api, "solve", stalled)
    result = sl.fit(runs, "chinchilla")
    assert result.status is FitStatus.ABNORMAL
    assert not result.is_usable
    with pytest.raises(ConvergenceError, match=r"ended with status abnormal: the optimiser could not decrease"):
        sl.fit(runs, "chinchilla", strict=True)
