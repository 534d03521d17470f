"""The multi-power law on Luo et al.'s loss curves (data set ``mpl_lr_schedules``).

Train curves {cosine_24000, constant_24000, wsdcon_9}, test curves the other six, as in the authors'
repository; every schedule is rebuilt per step by ``datasets.mpl_learning_rates``. Skips when the shared
data folder is absent.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from tests.conftest import shared_data_dir

import scalinglaws as sl
from scalinglaws import datasets
from scalinglaws.data.io import columns_of
from scalinglaws.fit.gate import prepare

FOLDER = shared_data_dir()
TRAIN = ("cosine_24000", "constant_24000", "wsdcon_9")
TEST = ("constant_72000", "cosine_72000", "wsd_20000_24000", "wsdld_20000_24000", "wsdcon_3", "wsdcon_18")
MPL = sl.get_law("multi_power")

pytestmark = pytest.mark.skipif(
    not (FOLDER / "lr_schedule_curves_mpl_luo2025").is_dir(), reason=f"shared data folder {FOLDER} is absent"
)


def curves(size: int, names: tuple[str, ...], n_blocks: int) -> pl.DataFrame:
    return datasets.mpl_curves(size, names, n_blocks, data_dir=FOLDER)


def mean_metrics(params: dict[str, float], runs: pl.DataFrame) -> dict[str, float]:
    """The authors' metrics per curve (evaluation.py), averaged over curves."""
    rows = []
    for _, curve in runs.group_by("run_id"):
        loss = curve["loss"].to_numpy()
        error = loss - MPL.predict(params, {name: curve[name].to_numpy() for name in MPL.inputs})
        rows.append({
            "R2": 1 - np.sum(error**2) / np.sum((loss - loss.mean()) ** 2),
            "MAE": np.mean(np.abs(error)),
            "RMSE": np.sqrt(np.mean(error**2)),
            "PredE": np.mean(np.abs(error) / loss),
            "WorstE": np.max(np.abs(error) / loss),
        })
    return {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}


PUBLISHED = {  # the data README's table (the repository README's refits)
    25: {"R2": 0.9988, "MAE": 0.00376, "RMSE": 0.00465, "PredE": 0.00110, "WorstE": 0.00409},
    100: {"R2": 0.9983, "MAE": 0.00435, "RMSE": 0.00592, "PredE": 0.00142, "WorstE": 0.00583},
    400: {"R2": 0.9978, "MAE": 0.00484, "RMSE": 0.00730, "PredE": 0.00168, "WorstE": 0.00995},
}


@pytest.mark.parametrize("size", [25, 100, 400])
def test_published_parameters_give_the_published_test_metrics(size: int) -> None:
    got = mean_metrics(dict(MPL.presets[f"luo2025_{size}m"]), curves(size, TEST, n_blocks=64))
    # The constants are printed to 5 significant figures: half a unit of L0 alone is 5e-5 nats, and
    # the authors' own evaluation code run on the rounded constants differs from the table by up to
    # 3e-5 in MAE/RMSE (and less in the relative errors). The 64-block history adds under 1e-5.
    assert got["R2"] == pytest.approx(PUBLISHED[size]["R2"], abs=1e-4)
    for key in ("MAE", "RMSE"):
        assert got[key] == pytest.approx(PUBLISHED[size][key], abs=5e-5)
    for key in ("PredE", "WorstE"):
        assert got[key] == pytest.approx(PUBLISHED[size][key], abs=3e-5)


def test_our_fit_beats_the_published_parameters_on_their_own_objective() -> None:
    train = curves(25, TRAIN, n_blocks=32)
    # The authors' objective: Huber 1e-3 on log loss, summed (the fit defaults).
    result = sl.fit(train, law="multi_power", n_grid=64)
    assert result.status is sl.FitStatus.CONVERGED
    problem = prepare(columns_of(train, "prepare"), "multi_power", result.config).problem
    published = MPL.presets["luo2025_25m"]
    published_objective = problem.objective(np.array([[published[n] for n in problem.names]]))[0]
    # Measured 1.385e-4 against 2.900e-4: the published fit stopped well short of the minimum. The
    # minimum sits in a flat valley (small beta, large B), so the parameters differ from theirs...
    assert result.objective < 0.6 * published_objective
    # ...and extrapolate to the six held-out schedules about as well (measured R2 0.9976 against 0.9988,
    # MAE 0.0046 against 0.0038, worst error 0.36% against 0.41%).
    held_out = mean_metrics(dict(result.params), curves(25, TEST, n_blocks=64))
    assert held_out["R2"] > 0.995
    assert held_out["MAE"] < 0.006
    assert held_out["WorstE"] < 0.005
