"""Explicit filters: what they keep, their provenance records, and their refusals."""

from __future__ import annotations

import math

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scalinglaws.data import drop_before, drop_first_fraction, drop_missing, drop_warmup, keep_final
from scalinglaws.errors import DataError, MissingColumnError, SchemaError


@pytest.fixture
def curves() -> pl.DataFrame:
    """Two runs of 5 checkpoints, interleaved rows, with a warm-up peaking at step 200."""
    rows = []
    for run, scale in (("small", 1.0), ("big", 4.0)):
        for step, lr in ((0, 1e-4), (100, 5e-4), (200, 1e-3), (300, 8e-4), (400, 5e-4)):
            rows.append({"run_id": run, "step": step, "n_tokens": scale * 1e6 * (step + 100),
                         "lr": lr, "loss": 5.0 - step / 200 - scale / 10})
    return pl.DataFrame(rows).sort("step", maintain_order=True)


def test_keep_final(curves: pl.DataFrame) -> None:
    before = curves.clone()
    out, record = keep_final(curves)
    assert sorted(out.select("run_id", "step").rows()) == [("big", 400), ("small", 400)]
    assert record == "keep_final(by=step): kept the final checkpoint of each of 2 runs; removed 8 rows of 10."
    assert_frame_equal(curves, before)  # the input is untouched


def test_keep_final_by_tokens_and_ties(curves: pl.DataFrame) -> None:
    out, _ = keep_final(curves, by="n_tokens")
    assert out.height == 2
    tied = pl.concat([curves, curves.filter(pl.col("step") == 400)])
    with pytest.raises(DataError, match=r"keep_final: 2 runs \('.*', '.*'\) have several rows at their largest `step`"):
        keep_final(tied)


def test_drop_first_fraction(curves: pl.DataFrame) -> None:
    # final n_tokens per run is 500 (x1e6 x scale); 40 % of it is 200 -> keep tokens >= 200 (steps >= 100)
    out, record = drop_first_fraction(curves, 0.4)
    assert sorted(out.get_column("step").unique().to_list()) == [100, 200, 300, 400]
    assert out.height == 8
    assert record == ("drop_first_fraction(fraction=0.4, by=n_tokens): removed 2 rows of 10 whose `n_tokens` "
                      "is below 40% of their run's final `n_tokens`.")
    assert_frame_equal(drop_first_fraction(curves, 0.0)[0], curves)


def test_drop_first_fraction_keeps_row_order(curves: pl.DataFrame) -> None:
    out, _ = drop_first_fraction(curves, 0.5, by="step")
    expected = curves.filter(pl.col("step") >= 200)
    assert_frame_equal(out, expected)


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5, math.nan, True, "0.1"])
def test_drop_first_fraction_rejects_bad_fraction(curves: pl.DataFrame, fraction: object) -> None:
    with pytest.raises(DataError, match=r"`fraction` of drop_first_fraction must be a number in \[0, 1\)"):
        drop_first_fraction(curves, fraction)  # type: ignore[arg-type]


def test_filters_refuse_missing_values_instead_of_dropping_them(curves: pl.DataFrame) -> None:
    holes = curves.with_columns(n_tokens=pl.when(pl.col("step") == 300).then(None).otherwise(pl.col("n_tokens")))
    with pytest.raises(DataError, match=r"column `n_tokens` used by drop_first_fraction: 2 rows .* are missing "
                                        r"or not finite.*drop_missing"):
        drop_first_fraction(holes, 0.1)
    nan = curves.with_columns(step=pl.col("step").cast(pl.Float64).replace(300.0, math.nan))
    with pytest.raises(DataError, match=r"column `step` used by keep_final"):
        keep_final(nan)
    no_id = curves.with_columns(run_id=pl.when(pl.col("step") == 0).then(None).otherwise(pl.col("run_id")))
    with pytest.raises(DataError, match=r"column `run_id` used by keep_final: 2 rows .* are missing"):
        keep_final(no_id)


def test_filters_need_their_columns(curves: pl.DataFrame) -> None:
    with pytest.raises(MissingColumnError, match=r"keep_final needs column\(s\) \['run_id'\].*pl.lit\('run'\)"):
        keep_final(curves.drop("run_id"))
    with pytest.raises(MissingColumnError, match=r"drop_warmup needs column\(s\) \['lr'\]"):
        drop_warmup(curves.drop("lr"))
    with pytest.raises(SchemaError, match=r"column `step` used by keep_final must be numeric"):
        keep_final(curves.with_columns(pl.col("step").cast(pl.String)))
    with pytest.raises(DataError, match=r"`df` of keep_final must be a polars DataFrame"):
        keep_final(curves.to_dicts())  # type: ignore[arg-type]


def test_drop_before(curves: pl.DataFrame) -> None:
    out, record = drop_before(curves, 3e8)
    assert out.get_column("n_tokens").min() == 3e8
    assert record == "drop_before(threshold=3e+08, by=n_tokens): removed 2 rows of 10 with `n_tokens` < 3e+08."
    with pytest.raises(DataError, match=r"`threshold` of drop_before must be a finite number. Got inf"):
        drop_before(curves, math.inf)


def test_drop_warmup_fixed_steps(curves: pl.DataFrame) -> None:
    out, record = drop_warmup(curves, 200)
    assert out.get_column("step").min() == 200
    assert record == "drop_warmup(warmup_steps=200): removed 4 rows of 10 with `step` < 200."
    with pytest.raises(DataError, match=r"`warmup_steps` of drop_warmup must be an int >= 0. Got -1"):
        drop_warmup(curves, -1)


def test_drop_warmup_from_lr_peak(curves: pl.DataFrame) -> None:
    out, record = drop_warmup(curves)
    assert out.get_column("step").min() == 200
    assert out.height == 6
    assert record == ("drop_warmup(warmup_steps=from lr): removed 4 rows of 10 before each run's first "
                      "checkpoint at its peak `lr`.")


def test_drop_warmup_per_run(curves: pl.DataFrame) -> None:
    out, record = drop_warmup(curves, {"small": 100, "big": 300})
    assert sorted(out.select("run_id", "step").rows()) == [
        ("big", 300), ("big", 400), ("small", 100), ("small", 200), ("small", 300), ("small", 400)]
    assert record.startswith("drop_warmup(warmup_steps=per run): removed 4 rows of 10")
    with pytest.raises(DataError, match=r"`warmup_steps` of drop_warmup has no entry for 1 run \(\['big'\]\)"):
        drop_warmup(curves, {"small": 100})


def test_drop_missing(curves: pl.DataFrame) -> None:
    holes = curves.with_columns(loss=pl.Series([None, math.nan, math.inf] + [1.0] * 7))
    out, record = drop_missing(holes, ["loss"])
    assert out.height == 7
    assert record == "drop_missing(loss): removed 3 rows of 10 (loss: 3)."
    with pytest.raises(DataError, match=r"`columns` of drop_missing must be a non-empty list"):
        drop_missing(holes, "loss")
    with pytest.raises(MissingColumnError, match=r"drop_missing needs column\(s\) \['acc'\]"):
        drop_missing(holes, ["acc"])


def test_records_compose_as_provenance(curves: pl.DataFrame) -> None:
    df, r1 = drop_warmup(curves, 100)
    df, r2 = drop_first_fraction(df, 0.5)
    df, r3 = keep_final(df)
    provenance = [r1, r2, r3]
    assert all(isinstance(r, str) and "removed" in r for r in provenance)
    assert df.height == 2
