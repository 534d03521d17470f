"""Learning-rate schedules and the history inputs of loss-curve laws (scalinglaws.schedules)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl
from scalinglaws import schedules
from scalinglaws.errors import DataError, LawSpecError, MissingColumnError
from scalinglaws.testing import PLANTED

MPL = sl.get_law("multi_power")


def loss_drop_by_loop(lr: np.ndarray, t: int, p: dict[str, float]) -> float:
    """LD(t) written step by step from the paper's definition, independently of schedule_history."""
    total = 0.0
    for k in range(1, t + 1):
        area = float(np.sum(lr[k : t + 1]))
        drop = 1 - (1 + p["C"] * lr[k] ** -p["gamma"] * area) ** -p["beta"]
        total += (lr[k - 1] - lr[k]) * drop
    return p["B"] * total


def test_exact_history_gives_the_step_by_step_multi_power_law() -> None:
    lr = schedules.warmup_stable_decay(600, 3e-4, 3e-5, 50, 400, "exponential")
    steps = np.array([30, 200, 450, 599])
    p = PLANTED["multi_power"]
    expected = [
        p["L0"] + p["A"] * np.sum(lr[: t + 1]) ** -p["alpha"] - loss_drop_by_loop(lr, t, p) for t in steps
    ]
    got = MPL.predict(p, schedules.schedule_history(lr, steps))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize(
    "lr",
    [
        schedules.cosine(5000, 3e-4, 3e-5, 300),
        schedules.warmup_stable_decay(5000, 3e-4, 3e-5, 300, 4000, "linear"),
        schedules.step_decay(5000, 3e-4, 9e-5, 300, 2500),
    ],
    ids=["cosine", "wsd", "step"],
)
def test_blocked_history_is_close_to_the_exact_one(lr: np.ndarray) -> None:
    steps = np.arange(100, 5000, 97)
    exact = schedules.schedule_history(lr, steps)
    blocked = schedules.schedule_history(lr, steps, n_blocks=32)
    # 32 distance blocks, split by rate (the warmup's rates span decades): about 100 columns at most,
    # whatever the length of the run.
    assert blocked["gap"].shape[1] <= 110
    np.testing.assert_array_equal(blocked["S1"], exact["S1"])
    # Block sums keep the total change of rate before each point exactly.
    np.testing.assert_allclose(blocked["gap"].sum(axis=1), exact["gap"].sum(axis=1), atol=1e-18)
    for params in (PLANTED["multi_power"], {**PLANTED["multi_power"], "beta": 0.1, "gamma": 0.9}):
        # Measured at most 1.6e-5 nats; loss curves are noisy at the 1e-3 level.
        np.testing.assert_allclose(MPL.predict(params, blocked), MPL.predict(params, exact), atol=3e-5)


def test_schedules_have_their_shapes() -> None:
    cosine = schedules.cosine(1000, 1.0, 0.1, 100)
    np.testing.assert_array_equal(cosine[[0, 99, 100]], [0.0, 1.0, 1.0])
    assert cosine.size == 1000
    assert cosine[-1] == pytest.approx(0.1, abs=1e-4)
    assert np.all(np.diff(cosine[100:]) <= 0)
    wsd = schedules.warmup_stable_decay(1000, 1.0, 0.01, 100, 800, "exponential")
    assert np.all(wsd[100:800] == 1.0)
    assert np.allclose(np.diff(np.log(wsd[800:])), np.log(0.01) / 200)  # geometric cooldown
    step = schedules.step_decay(1000, 1.0, 0.3, 100, 500)
    assert set(step[100:500]) == {1.0}
    assert set(step[500:]) == {0.3}
    with pytest.raises(ValueError, match="`cooldown` must be 'linear' or 'exponential'"):
        schedules.warmup_stable_decay(1000, 1.0, 0.01, 100, 800, "cosine")


def test_bad_schedules_and_steps_are_named() -> None:
    lr = schedules.constant(100, 1e-3, 10)
    ending_at_zero = lr.copy()
    ending_at_zero[99] = 0.0
    with pytest.raises(DataError, match=r"positive after step 0; steps \[99\]"):
        schedules.schedule_history(ending_at_zero, [50])
    with pytest.raises(DataError, match=r"whole steps in 1\.\.99; entries \[1, 2\]"):
        schedules.schedule_history(lr, [5, 0, 100])
    with pytest.raises(DataError, match="finite 1-D array"):
        schedules.schedule_history(np.array([1e-3, np.nan]), [1])


def test_with_schedule_inputs_adds_the_columns_in_row_order() -> None:
    lrs = {"a": schedules.cosine(400, 1e-3, 1e-4, 20), "b": schedules.constant(300, 1e-3, 20)}
    runs = pl.DataFrame({"run": ["a", "b", "a", "b"], "step": [100, 50, 399, 250], "loss": [4.0, 5.0, 3.0, 4.5]})
    out = schedules.with_schedule_inputs(runs, lrs, n_blocks=None)
    assert out.columns == ["run", "step", "loss", "S1", "gap", "eta", "area"]
    for row in range(4):
        alone = schedules.schedule_history(lrs[runs["run"][row]], [runs["step"][row]])
        assert out["S1"][row] == alone["S1"][0]
        gap = out["gap"].to_numpy()[row]
        assert np.sum(gap) == pytest.approx(np.sum(alone["gap"]))
    with pytest.raises(DataError, match=r"runs \['b'\] in column 'run' have no entry"):
        schedules.with_schedule_inputs(runs, {"a": lrs["a"]})
    with pytest.raises(MissingColumnError, match="column 'iteration' is missing"):
        schedules.with_schedule_inputs(runs, lrs, step="iteration")


def test_a_multi_power_fit_recovers_planted_curves_from_a_frame() -> None:
    lrs = {
        "cos": schedules.cosine(3000, 3e-4, 3e-5, 150),
        "wsd": schedules.warmup_stable_decay(3000, 3e-4, 3e-5, 150, 2400, "linear"),
    }
    runs = pl.DataFrame(
        {"run": ["cos"] * 30 + ["wsd"] * 30, "step": np.tile(np.linspace(200, 2999, 30).round(), 2)}
    )
    runs = schedules.with_schedule_inputs(runs, lrs, n_blocks=16)
    inputs = {name: runs[name].to_numpy() for name in MPL.inputs}
    runs = runs.with_columns(loss=MPL.predict(PLANTED["multi_power"], inputs))
    result = sl.fit(runs, law="multi_power")
    assert result.status is sl.FitStatus.CONVERGED
    np.testing.assert_allclose(result.predict(runs), runs["loss"].to_numpy(), rtol=1e-6)


def test_history_inputs_must_be_summed_and_weighted() -> None:
    with pytest.raises(LawSpecError, match=r"history inputs \['g'\] appear outside history_sum"):
        sl.Law.from_formula("E + g + history_sum(g*exp(-k*a))", inputs=("g", "a"))
    with pytest.raises(LawSpecError, match="must be a product with a history input as one factor"):
        sl.Law.from_formula("E + history_sum(exp(-k*a))", inputs=("a",))


def test_a_one_dimensional_history_column_is_refused() -> None:
    data = schedules.schedule_history(schedules.cosine(500, 1e-3, 1e-4, 20), np.arange(50, 500, 10))
    data = {**data, "gap": data["gap"][:, 0], "loss": np.full(data["S1"].size, 3.0)}
    with pytest.raises(DataError, match=r"wrong shapes: \['gap \(45,\)'\].*shape \(n_points, n_history\)"):
        sl.fit(data, law="multi_power")
