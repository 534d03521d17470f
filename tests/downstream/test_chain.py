"""``chain``: two-step predictions (N, D) -> loss -> metric, their intervals, links and files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl
from scalinglaws.downstream import logit_target

LINK = {"a": 0.6, "L_0": 2.7, "k": -5.0, "b": 0.25}
TARGET = {"n_params": [2e9, 1e8], "n_tokens": [4e10, 2e9]}


def _evals(seed: int, n: int = 60) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    loss = rng.uniform(2.0, 3.4, n)
    accuracy = sl.get_law("bhagia_sigmoid").predict(LINK, {"L": loss}) + rng.normal(0.0, 0.01, n)
    return pl.DataFrame({"loss": loss, "accuracy": accuracy})


@pytest.fixture(scope="module")
def ladder() -> pl.DataFrame:
    return sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=3)


@pytest.fixture(scope="module")
def loss_fit(ladder: pl.DataFrame) -> sl.FitResult:
    fit = sl.fit(ladder, "chinchilla")
    return fit.with_bootstrap(sl.bootstrap(fit, ladder, n_boot=100, seed=1))


@pytest.fixture(scope="module")
def evals() -> pl.DataFrame:
    return _evals(0)


@pytest.fixture(scope="module")
def metric_fit(evals: pl.DataFrame) -> sl.FitResult:
    fit = sl.fit(
        evals, "bhagia_sigmoid", mapping={"L": "loss"}, target="accuracy", fixed={"b": 0.25},
        loss="squared", space="linear",
    )
    return fit.with_bootstrap(sl.bootstrap(fit, evals, n_boot=100, seed=2))


@pytest.fixture(scope="module")
def chained(loss_fit: sl.FitResult, metric_fit: sl.FitResult) -> sl.Chain:
    return sl.chain(loss_fit, metric_fit)


def test_predict_feeds_the_predicted_loss_into_the_metric_law(
    chained: sl.Chain, loss_fit: sl.FitResult, metric_fit: sl.FitResult
) -> None:
    assert chained.through == "L"  # the input reading the loss fit's target column `loss`
    loss = loss_fit.predict(TARGET)
    expected = sl.get_law("bhagia_sigmoid").predict(metric_fit.params, {"L": loss})
    np.testing.assert_array_equal(chained.predict(TARGET), expected)
    np.testing.assert_array_equal(chained.predict_loss(TARGET), loss)


def test_chained_interval_carries_step_one_uncertainty(chained: sl.Chain) -> None:
    point, lower, upper, method = chained.predict_interval(TARGET, 0.95)
    assert method == "joint bootstrap (independent, 100 draws)"
    np.testing.assert_array_equal(point, chained.predict(TARGET))
    assert np.all(lower < point)
    assert np.all(point < upper)
    _, unchained_lower, unchained_upper, unchained_method = chained.unchained_interval(TARGET, 0.95)
    assert unchained_method.endswith("loss taken as exact")
    # At 2B parameters (10x beyond the ladder's largest model) the loss is uncertain and the link is
    # steep there, so the chained interval must be much wider than the one treating the loss as exact.
    assert (upper - lower)[0] > 2 * (unchained_upper - unchained_lower)[0]
    _, wide_lower, wide_upper, wide_method = chained.predict_interval(TARGET, 0.95, kind="prediction")
    assert wide_method.endswith("+ run noise")
    assert np.all(wide_upper - wide_lower > upper - lower)


def test_interval_arguments_are_checked(chained: sl.Chain) -> None:
    with pytest.raises(sl.ArgumentError, match=r"`prob` of Chain.predict_interval must be strictly between"):
        chained.predict_interval(TARGET, 1.5)
    with pytest.raises(sl.ArgumentError, match=r"`kind` of Chain.predict_interval must be one of"):
        chained.predict_interval(TARGET, 0.9, kind="band")  # type: ignore[arg-type]


def test_intervals_need_both_fits_bootstrap_draws(loss_fit: sl.FitResult, metric_fit: sl.FitResult) -> None:
    bare = sl.chain(loss_fit, replace(metric_fit, bootstrap=None))
    with pytest.raises(sl.FitError, match=r"needs bootstrap draws of the metric fit, which has none"):
        bare.predict_interval(TARGET)
    np.testing.assert_array_equal(bare.predict(TARGET), sl.chain(loss_fit, metric_fit).predict(TARGET))


def test_paired_draws_follow_the_same_resamples(ladder: pl.DataFrame) -> None:
    # One table holds loss and accuracy per run: both steps are fitted on the same runs, and
    # bootstrapped with the same seed, so draw i of each refits the same resample.
    runs = ladder.with_columns(
        accuracy=pl.Series(sl.get_law("bhagia_sigmoid").predict(LINK, {"L": ladder["loss"].to_numpy()}))
        + 0.01 * np.sin(np.arange(ladder.height))
    )
    loss_fit = sl.fit(runs, "chinchilla")
    metric_fit = sl.fit(runs, "bhagia_sigmoid", target="accuracy", mapping={"L": "loss"},
                        fixed={"b": 0.25}, loss="squared", space="linear")
    loss_fit = loss_fit.with_bootstrap(sl.bootstrap(loss_fit, runs, n_boot=60, seed=7))
    metric_fit = metric_fit.with_bootstrap(sl.bootstrap(metric_fit, runs, n_boot=60, seed=7))
    paired = sl.chain(loss_fit, metric_fit, pairing="paired")
    _, lower, upper, method = paired.predict_interval(TARGET)
    assert method.startswith("joint bootstrap (paired")
    assert np.all(lower < upper)
    other = metric_fit.with_bootstrap(sl.bootstrap(metric_fit, runs, n_boot=60, seed=8))
    with pytest.raises(sl.ArgumentError, match=r"cannot have resampled the same runs.*seed 7.*seed 8"):
        sl.chain(loss_fit, other, pairing="paired").predict_interval(TARGET)


def test_chain_arguments_are_checked(loss_fit: sl.FitResult, metric_fit: sl.FitResult) -> None:
    with pytest.raises(sl.ArgumentError, match=r"`loss_fit` of chain must be a FitResult"):
        sl.chain("fit.json", metric_fit)  # type: ignore[arg-type]
    with pytest.raises(sl.ArgumentError, match=r"`pairing` of chain must be one of"):
        sl.chain(loss_fit, metric_fit, pairing="matched")  # type: ignore[arg-type]
    with pytest.raises(sl.ArgumentError, match=r"`seed` of chain must be an integer"):
        sl.chain(loss_fit, metric_fit, seed=0.5)  # type: ignore[arg-type]
    with pytest.raises(sl.ArgumentError, match=r"`through` of chain must be an input of the metric law"):
        sl.chain(loss_fit, metric_fit, through="N")
    with pytest.raises(sl.ArgumentError, match=r"`link` of chain must be None or a Logit"):
        sl.chain(loss_fit, metric_fit, link=(0.25, 1.0))  # type: ignore[arg-type]


def test_through_must_be_named_when_no_input_reads_the_loss(loss_fit: sl.FitResult) -> None:
    frame = pl.DataFrame({"val": [2.0, 2.5, 3.0, 3.5, 4.0, 4.5], "size": [1.0, 2, 3, 4, 5, 6],
                          "error": [0.3, 0.4, 0.5, 0.6, 0.7, 0.75]})
    two_inputs = sl.fit(frame, "a + b*val + c*size", target="error", space="linear", loss="squared")
    with pytest.raises(sl.ArgumentError, match=r"none of its inputs \['val', 'size'\] read the loss fit's"):
        sl.chain(loss_fit, two_inputs)
    explicit = sl.chain(loss_fit, two_inputs, through="val")
    with pytest.raises(sl.MissingColumnError, match=r"column 'size' \(input `size` of the metric law"):
        explicit.predict(TARGET)
    value = explicit.predict({**TARGET, "size": [1.0, 2.0]})
    expected = two_inputs.predict({"val": loss_fit.predict(TARGET), "size": [1.0, 2.0]})
    np.testing.assert_allclose(value, expected, rtol=1e-12)  # same arithmetic, maybe reordered


def test_grouped_fits_are_refused(metric_fit: sl.FitResult) -> None:
    runs = sl.testing.synthetic_runs("power", n_runs=24, seed=0).with_columns(
        group=pl.Series(["a", "b"] * 12)
    )
    grouped = sl.fit(runs, "power", group="group", shared=("alpha",))
    with pytest.raises(sl.ArgumentError, match=r"the loss fit of chain must be an ungrouped fit"):
        sl.chain(grouped, metric_fit)


def test_logit_link_fits_in_logit_space_and_predicts_the_metric(
    loss_fit: sl.FitResult, evals: pl.DataFrame
) -> None:
    frame, record = logit_target(evals, "accuracy", floor=0.25, ceiling=0.85)
    assert record == "added logit_accuracy = logit (floor 0.25, ceiling 0.85) of accuracy"
    fit = sl.fit(frame, "logit_linear", mapping={"L": "loss"}, target="logit_accuracy",
                 loss="squared", space="linear", provenance=[record])
    # The planted sigmoid is linear in logit space: c_1 = -k = 5 and c_0 = c_1 L_0 = 13.5. Accuracy
    # noise (0.01) near the floor and the ceiling is amplified by the logit, so allow 10%.
    assert fit.params["c_1"] == pytest.approx(5.0, rel=0.1)
    assert fit.params["c_0"] / fit.params["c_1"] == pytest.approx(2.7, rel=0.02)
    fit = fit.with_bootstrap(sl.bootstrap(fit, frame, n_boot=60, seed=4))
    chained = sl.chain(loss_fit, fit, link=sl.Logit(0.25, 0.85))
    point, lower, upper, _ = chained.predict_interval(TARGET)
    assert np.all((lower > 0.25) & (lower < point) & (point < upper) & (upper < 0.85))
    restored = sl.Chain.from_json(chained.to_json())
    assert restored.link == sl.Logit(0.25, 0.85)
    np.testing.assert_array_equal(restored.predict(TARGET), point)


def test_logit_target_refuses_scores_at_or_beyond_the_bounds() -> None:
    with pytest.raises(sl.DataError, match=r"column 'acc': 2 rows \(rows 0, 2; values 0.25, 1.0\) lie at or outside"):
        logit_target({"acc": [0.25, 0.5, 1.0]}, "acc", floor=0.25)
    with pytest.raises(sl.MissingColumnError, match=r"column 'accuracy' is missing"):
        logit_target({"acc": [0.5]}, "accuracy")
    with pytest.raises(sl.ArgumentError, match=r"`floor` and `ceiling` of Logit must be finite"):
        sl.Logit(0.5, 0.25)


def test_too_few_joint_draws_are_refused(loss_fit: sl.FitResult, metric_fit: sl.FitResult) -> None:
    boot = metric_fit.bootstrap
    assert boot is not None
    failed = replace(boot, converged=np.zeros_like(boot.converged))  # no refit converged
    with pytest.raises(sl.FitError, match=r"fewer than two bootstrap draws converged in both fits"):
        sl.chain(loss_fit, replace(metric_fit, bootstrap=failed)).predict_interval(TARGET)


def test_unknown_link_in_a_file_is_refused(chained: sl.Chain) -> None:
    document = chained.to_dict() | {"link": {"kind": "probit", "floor": 0.0, "ceiling": 1.0}}
    with pytest.raises(sl.DataError, match=r"unknown link 'probit' in a chain file"):
        sl.Chain.from_dict(document)


def test_chain_round_trips_through_a_file(chained: sl.Chain, tmp_path: Path) -> None:
    path = tmp_path / "chain.json"
    chained.save(path)
    restored = sl.Chain.load(path)
    for a, b in zip(restored.predict_interval(TARGET), chained.predict_interval(TARGET), strict=True):
        np.testing.assert_array_equal(a, b)
    assert "chain: chinchilla -> bhagia_sigmoid through input `L`" in restored.summary()
    (tmp_path / "other.json").write_text('{"kind": "chain", "schema": 1}\n')
    with pytest.raises(sl.DataError, match=r"is not a scalinglaws chain file: KeyError"):
        sl.Chain.load(tmp_path / "other.json")
    with pytest.raises(sl.DataError, match=r"not a scalinglaws chain"):
        sl.Chain.from_dict({"kind": "fit"})


def test_extrapolation_is_that_of_step_one(chained: sl.Chain, loss_fit: sl.FitResult) -> None:
    np.testing.assert_array_equal(chained.extrapolation(TARGET), loss_fit.extrapolation(TARGET))
