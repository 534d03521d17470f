"""``FitConfig`` is the one way in: the library and the command line build the same one, it is
validated once, and the result carries it."""

from __future__ import annotations

import json
import math
from dataclasses import fields
from pathlib import Path
from typing import get_type_hints

import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app
from scalinglaws.fit.config import OPTIONS, FitOptions


@pytest.fixture(scope="module")
def runs() -> pl.DataFrame:
    return sl.testing.synthetic_runs("chinchilla", n_runs=40, noise=0.01, seed=1)


def test_the_keyword_overrides_are_exactly_the_config_fields() -> None:
    assert set(get_type_hints(FitOptions)) == {f.name for f in fields(sl.FitConfig)} == OPTIONS


def test_config_and_overrides_give_the_same_fit(runs: pl.DataFrame) -> None:
    config = sl.FitConfig(loss="squared", space="log", n_grid=256, fixed={"E": 1.8}, seed=3)
    by_config = sl.fit(runs, "chinchilla", config=config)
    by_keywords = sl.fit(runs, "chinchilla", loss="squared", n_grid=256, fixed={"E": 1.8}, seed=3)
    assert by_config.to_json() == by_keywords.to_json()
    # an override on top of a config replaces just that option
    assert sl.fit(runs, "chinchilla", config=config, n_grid=128).config.n_grid == 128


def test_the_result_carries_the_config_with_the_columns_read(runs: pl.DataFrame) -> None:
    result = sl.fit(runs, "chinchilla", delta=2e-3)
    assert result.config.delta == 2e-3
    assert dict(result.config.mapping) == {"N": "n_params", "D": "n_tokens"}
    again = sl.FitConfig.from_dict(json.loads(result.to_json())["config"])
    assert again == result.config


def test_unknown_option_names_itself_and_lists_the_options(runs: pl.DataFrame) -> None:
    with pytest.raises(sl.ArgumentError, match=r"`grid` is not an option of fit\. Its options: .*n_grid"):
        sl.fit(runs, "chinchilla", grid=10)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"delta": -1.0}, r"`delta` of fit must be a positive number\. Got -1\.0 instead"),
        ({"delta": math.nan}, r"`delta` of fit must be a positive number"),
        ({"n_polish": 0}, r"`n_polish` of fit must be an integer of at least 1\. Got 0 instead"),
        ({"max_iter": 2.5}, r"`max_iter` of fit must be an integer of at least 1\. Got 2\.5 instead"),
        ({"seed": "0"}, r"`seed` of fit must be an integer\. Got '0' instead"),
        ({"space": "sqrt"}, r"`space` of fit must be one of \('log', 'linear'\)"),
        ({"bounds": {"E": (0,)}}, r"`bounds` of fit must be a mapping from names to \(lower, upper\)"),
        ({"bounds": {"E": (0, math.nan)}}, r"`bounds` of fit must be free of NaN"),
        ({"init": {"E": (2.0, 1.0)}}, r"`init` of fit must be finite start ranges \(lo, hi\) with lo <= hi"),
        ({"fixed": {"E": math.inf}}, r"`fixed` of fit must be a mapping from names to finite numbers"),
        ({"fixed": {"E": 1.0}, "init": {"E": 1.0}}, r"`fixed` and `init` of fit both name \['E'\]"),
        ({"mapping": {"N": 3}}, r"`mapping` of fit must be a mapping from law symbols to column names"),
    ],
)
def test_bad_options_raise_argument_errors(options: dict[str, object], match: str) -> None:
    with pytest.raises(sl.ArgumentError, match=match):
        sl.FitConfig(**options)  # type: ignore[arg-type]


def test_an_argument_error_names_its_argument() -> None:
    with pytest.raises(sl.ArgumentError) as caught:
        sl.FitConfig(delta=0.0)
    assert (caught.value.argument, caught.value.function, caught.value.value) == ("delta", "fit", 0.0)
    assert isinstance(caught.value, ValueError)


def test_cli_and_library_write_the_same_fit_json(runs: pl.DataFrame, tmp_path: Path) -> None:
    data = tmp_path / "runs.csv"
    runs.write_csv(data)
    out = tmp_path / "fit.json"
    args = [
        "fit", str(data), "--law", "chinchilla", "--loss", "squared", "--param", "E=0:", "--init",
        "alpha=0.1:1", "--fix", "beta=0.37", "--n-grid", "256", "--seed", "4", "--out", str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    config = sl.FitConfig(
        loss="squared", bounds={"E": (0.0, math.inf)}, init={"alpha": (0.1, 1.0)}, fixed={"beta": 0.37},
        n_grid=256, seed=4,
    )
    library = sl.fit(pl.read_csv(data), "chinchilla", config=config)
    assert out.read_text() == library.to_json() + "\n"


def test_a_path_is_read_by_data_io(runs: pl.DataFrame, tmp_path: Path) -> None:
    data = tmp_path / "runs.parquet"
    runs.write_parquet(data)
    assert sl.fit(data, "chinchilla").to_json() == sl.fit(runs, "chinchilla").to_json()
