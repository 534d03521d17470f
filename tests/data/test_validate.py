"""validate_runs / check_runs: every rule, the message shape, and that nothing is ever changed."""

from __future__ import annotations

import math

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scalinglaws.data import check_runs, validate_runs
from scalinglaws.data.schema import COLUMNS, unique_key
from scalinglaws.errors import DataError, MissingColumnError, SchemaError


def runs(**overrides: object) -> pl.DataFrame:
    base: dict[str, object] = {
        "run_id": ["a", "a", "b", "b"],
        "group": ["g", "g", "g", None],
        "step": [100, 200, 100, 200],
        "n_params": [1e7, 1e7, 4e7, 4e7],
        "n_params_convention": ["total"] * 4,
        "n_tokens": [1e8, 2e8, 1e8, 2e8],
        "n_unique_tokens": [1e8, 1.5e8, 1e8, 2e8],
        "flops": [6e15, 1.2e16, 2.4e16, 4.8e16],
        "flops_convention": ["6nd"] * 4,
        "lr": [1e-3, None, 1e-3, 5e-4],
        "loss": [3.5, 3.2, 3.3, 3.0],
        "notes": ["free", "form", None, "metadata"],
    }
    base.update(overrides)
    return pl.DataFrame(base, strict=False)


def test_valid_table_is_returned_unchanged() -> None:
    df = runs()
    before = df.clone()
    assert validate_runs(df) is df
    assert_frame_equal(df, before)
    assert check_runs(df) == ()


def test_integer_run_ids_and_integral_float_steps_are_accepted() -> None:
    df = runs(run_id=[1, 1, 2, 2], step=[100.0, 200.0, 100.0, 200.0])
    assert validate_runs(df) is df


def test_only_present_columns_are_checked() -> None:
    df = pl.DataFrame({"N": [1e6, 2e6], "D": [1e9, 2e9], "loss": [3.0, 2.5]})
    assert validate_runs(df) is df


@pytest.mark.parametrize(
    ("column", "values", "rule", "fragment"),
    [
        ("n_tokens", [1e8, 0.0, -5.0, 2e8], "not_positive", r"column `n_tokens` is not positive in 2 rows \(rows 1, 2; values 0.0, -5.0\)"),
        ("n_params", [1e7, math.nan, 4e7, 4e7], "nan", r"column `n_params` is NaN in 1 row \(row 1; value nan\)"),
        ("flops", [math.inf, 1.0, 1.0, 1.0], "infinite", r"column `flops` is infinite in 1 row \(row 0; value inf\)"),
        ("loss", [3.0, None, 2.0, 1.0], "null", r"column `loss` is missing in 1 row \(row 1\)"),
        ("step", [0, -1, 100, 200], "negative", r"column `step` is negative in 1 row \(row 1; value -1\)"),
        ("step", [0.0, 1.5, 100.0, 200.0], "not_integer", r"column `step` is not a whole number in 1 row \(row 1; value 1.5\)"),
        ("lr", [1e-3, -1e-4, None, 0.0], "below_lower", r"column `lr` is below 0 in 1 row \(row 1; value -0.0001\)"),
        ("n_params_convention", ["total", "params", "total", "total"], "not_allowed",
         r"is not one of \['total', 'non_embedding', 'active'\] in 1 row \(row 1; value 'params'\)"),
        ("run_id", ["a", None, "b", "b"], "null", r"column `run_id` is missing in 1 row \(row 1\)"),
        ("n_unique_tokens", [1e8, 3e8, 1e8, 2e8], "unique_exceeds_total", r"column `n_unique_tokens` exceeds `n_tokens` of the same row in 1 row \(row 1; value 300000000.0\)"),
    ],
)
def test_value_rules(column: str, values: list[object], rule: str, fragment: str) -> None:
    df = runs(**{column: values})
    before = df.clone()
    problems = check_runs(df)
    assert rule in [p.rule for p in problems]
    with pytest.raises(DataError, match=fragment):
        validate_runs(df)
    assert_frame_equal(df, before)  # never altered


def test_message_names_column_count_rows_and_fix() -> None:
    df = runs(n_tokens=[0.0] * 4).vstack(runs(n_tokens=[0.0] * 4))
    df = df.with_columns(run_id=pl.Series([f"r{i}" for i in range(8)]))
    with pytest.raises(DataError) as info:
        validate_runs(df)
    text = str(info.value)
    assert "column `n_tokens` is not positive in 8 rows (rows 0, 1, 2, 3, 4, ...;" in text  # at most five indices
    assert "Fix: counts must be > 0" in text
    assert "drop_first_fraction" in text


def test_all_problems_are_listed_together() -> None:
    df = runs(n_tokens=[0.0, 2e8, 2e8, 2e8], loss=[math.nan, 1.0, 1.0, 1.0]).drop("n_unique_tokens")
    with pytest.raises(DataError, match=r"2 problems") as info:
        validate_runs(df)
    assert "`n_tokens`" in str(info.value)
    assert "`loss`" in str(info.value)


def test_duplicate_key_is_reported_with_its_values() -> None:
    df = runs(step=[100, 100, 100, 200])
    with pytest.raises(DataError, match=r"key \(run_id, step\) is duplicated in 2 rows \(rows 0, 1; "
                                        r"values \('a', 100\), \('a', 100\)\)") as info:
        validate_runs(df)
    assert "keep='last'" in str(info.value)


def test_duplicate_run_without_progress_column() -> None:
    df = pl.DataFrame({"run_id": ["a", "a"], "loss": [1.0, 2.0]})
    with pytest.raises(DataError, match=r"key \(run_id\) is duplicated.*each run must appear once"):
        validate_runs(df)


def test_curves_without_step_are_keyed_by_tokens() -> None:
    df = pl.DataFrame({"run_id": ["a", "a"], "n_tokens": [1e9, 2e9], "loss": [3.0, 2.9]})
    assert unique_key(df.columns) == ("run_id", "n_tokens")
    assert validate_runs(df) is df


def test_mixed_conventions() -> None:
    df = runs(n_params_convention=["total", "non_embedding", "total", "total"])
    with pytest.raises(DataError, match=r"mixes conventions \('total': 3 rows, 'non_embedding': 1 row\): it differs "
                                        r"from the most common 'total' in 1 row \(row 1; value 'non_embedding'\)"):
        validate_runs(df)


def test_missing_target_suggests_a_rename() -> None:
    df = runs().rename({"loss": "train/loss"})
    with pytest.raises(MissingColumnError, match=r"column `loss` is missing.*Similar columns: \['train/loss'\]"):
        validate_runs(df)


def test_missing_required_and_metric_columns() -> None:
    with pytest.raises(MissingColumnError, match=r"column `n_unique` is missing"):
        validate_runs(runs(), require=["n_unique"])
    with pytest.raises(MissingColumnError, match=r"column `acc` is missing"):
        validate_runs(runs(), metrics=["acc"])


def test_custom_target_and_metrics_must_be_finite() -> None:
    df = runs(val_loss=[1.0, math.inf, 2.0, 2.0])
    with pytest.raises(DataError, match=r"column `val_loss` is infinite in 1 row \(row 1; value inf\)"):
        validate_runs(df, target="val_loss")
    assert validate_runs(df, target="loss") is df  # free-form column otherwise


@pytest.mark.parametrize(
    ("column", "values", "fragment"),
    [
        ("n_params", ["1.2B", "3B", "1B", "1B"], r"column `n_params` must be numeric. Got dtype String"),
        ("loss", [True, False, True, True], r"column `loss` must be numeric. Got dtype Boolean"),
        ("run_id", [1.5, 2.5, 1.5, 2.5], r"column `run_id` must be a string or integer identifier"),
        ("flops_convention", [1, 2, 3, 4], r"column `flops_convention` must be a string"),
    ],
)
def test_wrong_dtypes_raise_schema_error(column: str, values: list[object], fragment: str) -> None:
    with pytest.raises(SchemaError, match=fragment):
        validate_runs(runs(**{column: values}))


def test_empty_column_and_empty_table() -> None:
    with pytest.raises(DataError, match=r"column `n_tokens` is empty \(every value missing\) in 4 rows \(rows 0, 1, 2, 3\)"):
        validate_runs(runs(n_tokens=[None] * 4))
    assert validate_runs(runs(lr=[None] * 4)) is not None  # nullable column
    with pytest.raises(DataError, match=r"the table has no rows"):
        validate_runs(runs().clear())


def test_not_a_dataframe() -> None:
    with pytest.raises(DataError, match=r"`df` of check_runs must be a polars DataFrame. Got dict instead"):
        validate_runs({"loss": [1.0]})  # type: ignore[arg-type]


def test_problem_to_dict_is_json_ready() -> None:
    import json

    (problem,) = check_runs(runs(n_params=[math.nan, 1.0, 1.0, 1.0]))
    document = problem.to_dict()
    assert document["values"] == ["NaN"]
    assert json.loads(json.dumps(document)) == document


def test_schema_lists_the_issue_columns() -> None:
    for name in ("run_id", "group", "n_params", "n_params_convention", "n_tokens", "n_unique_tokens", "flops",
                 "flops_convention", "step", "lr", "loss"):
        assert name in COLUMNS
