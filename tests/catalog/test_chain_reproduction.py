"""Gadre et al.'s two-step top-1 error predictions, reproduced through ``scalinglaws.chain``.

Step 1 fits the over-training law to five small RedPajama models (C4 eval loss); step 2 fits the
exponential error law to those five plus the 1.4B model at M = 20 (17-task average top-1 error). The
chain predicts the error of the 1.4B model at M = 640 and the 6.9B model at M = 20 from their (C, M)
alone; the shared README prints the relative errors of the paper's notebook. Skips when the shared data
folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "overtrain_gadre2024"
SMALL = ["d=96_l=8_h=4", "d=512_l=8_h=4", "d=576_l=24_h=8", "d=1024_l=24_h=8"]

pytestmark = pytest.mark.skipif(
    not (DATA / "overtrain_models.csv").is_file(),
    reason=f"shared data {DATA} is absent (fresh clone outside the workspace)",
)


def _runs() -> pl.DataFrame:
    # 6ND exceeds int64 for the largest runs, so read the counts as floats.
    frame = pl.read_csv(
        DATA / "overtrain_models.csv",
        schema_overrides={"flops": pl.Float64, "N": pl.Float64, "D": pl.Float64},
    )
    return frame.filter(pl.col("dataset_name") == "rpj").select(
        "model_config", "tok_mult", "flops", "loss_c4_val", "err_avg_17"
    )


def _pick(frame: pl.DataFrame, config: str, multiplier: float) -> pl.DataFrame:
    return frame.filter((pl.col("model_config") == config) & (pl.col("tok_mult") == multiplier))


@pytest.fixture(scope="module")
def gadre() -> tuple[sl.Chain, pl.DataFrame]:
    runs = _runs()
    ladder = pl.concat([_pick(runs, c, 20.0) for c in SMALL] + [_pick(runs, "d=96_l=8_h=4", 320.0)])
    evals = pl.concat([ladder, _pick(runs, "open_lm_1b", 20.0)])
    targets = pl.concat([_pick(runs, "open_lm_1b", 640.0), _pick(runs, "open_lm_7b", 20.0)])
    # The authors fit both steps with curve_fit: least squares on the raw values.
    loss_fit = sl.fit(
        ladder, "gadre_overtrain", loss="squared", space="linear",
        mapping={"C": "flops", "M": "tok_mult"}, target="loss_c4_val",
    )
    error_fit = sl.fit(
        evals, "gadre_downstream", loss="squared", space="linear",
        mapping={"L": "loss_c4_val"}, target="err_avg_17",
    )
    return sl.chain(loss_fit, error_fit), targets


def test_chain_reproduces_gadre_top1_error_predictions(gadre: tuple[sl.Chain, pl.DataFrame]) -> None:
    chain, targets = gadre
    assert chain.through == "L"  # found by itself: the error law's L reads the loss fit's target column
    relative = 100 * np.abs(chain.predict(targets) - targets["err_avg_17"]) / targets["err_avg_17"]
    # README: 3.6365% (1.4B, M = 640) and 0.0464% (6.9B, M = 20), printed to 4 decimals.
    np.testing.assert_allclose(relative, [3.6365, 0.0464], atol=5e-5)
    loss = chain.predict_loss(targets)
    relative_loss = 100 * np.abs(loss - targets["loss_c4_val"]) / targets["loss_c4_val"]
    # README: 0.7103% and 0.7320% for the C4 loss of the same two models.
    np.testing.assert_allclose(relative_loss, [0.7103, 0.7320], atol=5e-5)


def test_gadre_chain_round_trips_through_json(gadre: tuple[sl.Chain, pl.DataFrame]) -> None:
    chain, targets = gadre
    restored = sl.Chain.from_json(chain.to_json())
    np.testing.assert_array_equal(restored.predict(targets), chain.predict(targets))
