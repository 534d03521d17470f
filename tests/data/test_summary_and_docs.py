"""describe_runs, and the docstring examples of the data modules (run as doctests)."""

from __future__ import annotations

import doctest
import importlib
import math

import polars as pl
import pytest

from scalinglaws.data import describe_runs
from scalinglaws.errors import DataError


def test_describe_runs() -> None:
    df = pl.DataFrame({
        "run_id": ["a", "a", "a", "b"], "group": ["x", "x", "x", "y"], "step": [1, 2, 3, 1],
        "n_params": [1e6, 1e6, 1e6, 4e6], "flops": [1.0, 2.0, math.inf, None],
        "n_params_convention": ["total"] * 4, "loss": [3.0, 2.0, 1.5, 2.5],
    })
    s = describe_runs(df)
    assert (s.n_rows, s.n_runs, s.n_groups) == (4, 2, 2)
    assert s.checkpoints_per_run == {"min": 1.0, "median": 2.0, "max": 3.0}
    assert s.ranges["flops"] == {"min": 1.0, "max": 2.0, "n_missing": 2}
    assert s.ranges["loss"]["min"] == 1.5
    assert s.conventions == {"n_params_convention": ("total",)}
    assert s.to_dict()["columns"] == df.columns


def test_describe_runs_on_any_table() -> None:
    s = describe_runs(pl.DataFrame({"N": [1.0], "loss": [None]}, schema={"N": pl.Float64, "loss": pl.Float64}))
    assert s.n_runs is None
    assert s.checkpoints_per_run is None
    assert s.ranges == {"loss": {"min": None, "max": None, "n_missing": 1}}
    with pytest.raises(DataError, match=r"`df` of describe_runs must be a polars DataFrame. Got list instead"):
        describe_runs([1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize("module", [
    "scalinglaws.data.accounting", "scalinglaws.data.filters", "scalinglaws.data.io",
    "scalinglaws.data.schema", "scalinglaws.data.summary", "scalinglaws.data.validate",
    "scalinglaws.data.datasets",
])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
