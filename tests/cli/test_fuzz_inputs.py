"""Fuzz: corrupted fit files and degenerate tables end in a clean exit (0, 1 or 2), never an internal
error (101), whatever is broken."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app

runner = CliRunner()
CLEAN = {0, 1, 2}
SETTINGS = settings(  # derandomized: the same examples on every run
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    root = tmp_path_factory.mktemp("fuzz")
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=0)
    fit = sl.fit(runs, "chinchilla")
    fit = fit.with_bootstrap(sl.bootstrap(fit, runs, n_boot=20, seed=0))
    points = root / "points.csv"
    pl.DataFrame({"n_params": [1e9, 7e10], "n_tokens": [2e10, 1.4e12]}).write_csv(points)
    return json.loads(fit.to_json()), points


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into a JSON document (dicts and lists)."""
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document[:3]):
            found += _paths(value, (*prefix, index))
    return found


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False), st.text(max_size=8),
    st.lists(st.integers(-3, 3), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@SETTINGS
@given(choice=st.integers(0, 10**6), junk=JUNK, action=st.sampled_from(["replace", "delete", "truncate"]))
def test_a_corrupted_fit_file_never_is_an_internal_error(
    saved: tuple[dict[str, Any], Path], tmp_path: Path, choice: int, junk: Any, action: str
) -> None:
    document, points = saved
    text = json.dumps(document)
    if action == "truncate":
        text = text[: choice % len(text)]
    else:
        broken = json.loads(text)
        paths = _paths(broken)
        path = paths[choice % len(paths)]
        parent = broken
        for key in path[:-1]:
            parent = parent[key]
        if action == "delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = junk
        text = json.dumps(broken)
    fit_file = tmp_path / f"fit-{choice}-{action}.json"
    fit_file.write_text(text)
    result = runner.invoke(app, ["predict", str(fit_file), str(points)])
    assert result.exit_code in CLEAN, (action, text[:300], result.stderr)
    assert "internal error" not in result.stderr


def _table(kind: str, rows: int, value: float) -> pl.DataFrame:
    n = np.geomspace(1e7, 1e9, rows)
    d = np.geomspace(1e9, 1e11, rows)[::-1]
    loss = 1.8 + 400 * n**-0.34 + 400 * d**-0.28
    if kind == "all-equal inputs":
        n, d = np.full(rows, 1e8), np.full(rows, 1e10)
    elif kind == "huge values":
        with np.errstate(over="ignore"):  # 1e300 x 1e11 is inf: an infinite cell is one of the cases
            n, d, loss = n * value, d * value, loss * value
    elif kind == "tiny values":
        n, d, loss = n / value, d / value, loss / value
    elif kind == "constant target":
        loss = np.full(rows, 2.5)
    elif kind == "non-positive" and rows:
        n = n - n.max() * (value > 1e10)
    return pl.DataFrame({"n_params": n, "n_tokens": d, "loss": loss})


@SETTINGS
@given(
    kind=st.sampled_from(["all-equal inputs", "huge values", "tiny values", "constant target", "non-positive",
                          "plain"]),
    rows=st.integers(0, 12),
    value=st.sampled_from([1e3, 1e30, 1e150, 1e300]),
    law=st.sampled_from(["chinchilla", "power", "E + A*N**-alpha"]),
)
def test_a_degenerate_table_never_is_an_internal_error(
    tmp_path: Path, kind: str, rows: int, value: float, law: str
) -> None:
    table = tmp_path / f"runs-{kind}-{rows}-{value:g}.csv"
    frame = _table(kind, rows, value)
    if rows == 0:  # a header alone
        table.write_text(",".join(frame.columns) + "\n")
    else:
        frame.write_csv(table)
    arguments = ["fit", str(table), "--law", law]
    if law == "power":
        arguments += ["--map", "x=n_params"]
    result = runner.invoke(app, arguments)
    assert result.exit_code in CLEAN, (kind, rows, value, law, result.stderr)
    assert "internal error" not in result.stderr
