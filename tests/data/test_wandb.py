"""W&B: the public-API path with a fake object of the same shape, and the files users export from the W&B
UI (fixtures in tests/data/fixtures/wandb, written in W&B's formats).

The fake stands in for a W&B server, which no test can run (the server is not distributed); it checks
how read_wandb maps ``Api.runs`` and ``Run.scan_history`` onto a table. The run files the real client
writes (offline) are read in test_wandb_offline.py, and the real client's login error in
``test_no_login_is_a_usage_error_with_the_fix`` there.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scalinglaws.data import validate_runs
from scalinglaws.data.adapters import read_wandb, read_wandb_export
from scalinglaws.errors import DataError


@dataclass
class FakeRun:
    """The attributes of ``wandb.apis.public.Run`` that read_wandb uses."""

    id: str
    name: str
    group: str | None
    config: dict[str, Any]
    rows: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)

    def scan_history(self, keys: Sequence[str] | None = None, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        # W&B semantics: with keys, only rows holding every key, restricted to those keys and _step
        for row in self.rows:
            if keys is None:
                yield dict(row)
            elif all(k in row for k in keys):
                yield {"_step": row["_step"], **{k: row[k] for k in keys}}


@dataclass
class FakeApi:
    """The ``runs`` method of ``wandb.Api``."""

    runs_by_path: dict[str, list[FakeRun]]
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def runs(self, path: str, filters: Mapping[str, Any] | None = None, **_: Any) -> list[FakeRun]:
        self.calls.append((path, filters))
        return self.runs_by_path.get(path, [])


def history(n_layers: int, steps: int) -> list[dict[str, Any]]:
    rows = []
    for s in range(steps):
        row: dict[str, Any] = {"_step": s, "_runtime": 1.5 * s, "_timestamp": 1.7e9 + s,
                               "train/loss": 10.0 / (1 + s) + 1.0 / n_layers, "lr": 1e-3 * min(1, (s + 1) / 3)}
        if s % 2 == 0:
            row["val/loss"] = 11.0 / (1 + s) + 1.0 / n_layers
        if s == 1:
            row["examples"] = {"_type": "table-file", "path": "media/table.json"}  # not a scalar: skipped
        rows.append(row)
    return rows


@pytest.fixture
def api() -> FakeApi:
    return FakeApi({"acme/scaling": [
        FakeRun("a1b2c3", "tiny", "sweep-1", {"model": {"n_layers": 2, "d_model": 64}, "lr": 1e-3,
                                             "_wandb": {"cli_version": "0.17"}, "tags": ["x", "y"]},
                history(2, 6)),
        FakeRun("d4e5f6", "small", None, {"model": {"n_layers": 4, "d_model": 128}, "lr": 6e-4},
                history(4, 5)),
    ]})


def expected_table(api: FakeApi) -> pl.DataFrame:
    rows = []
    for run in api.runs_by_path["acme/scaling"]:
        for r in run.rows:
            rows.append({"run_id": run.id, "step": r["_step"], "train/loss": r["train/loss"], "lr_hist": r["lr"],
                         "val/loss": r.get("val/loss")})
    return pl.DataFrame(rows).sort("run_id", "step")


def test_api_round_trip_every_value(api: FakeApi) -> None:
    df = read_wandb("acme/scaling", api=api, columns={"lr": "lr_hist"}, config=False)
    expected = expected_table(api)
    assert_frame_equal(df.select(expected.columns), expected)
    assert df.get_column("run_name").to_list() == ["tiny"] * 6 + ["small"] * 5
    assert df.get_column("group").to_list() == ["sweep-1"] * 6 + [None] * 5
    assert api.calls == [("acme/scaling", None)]


def test_api_config_columns(api: FakeApi) -> None:
    df = read_wandb("acme/scaling", api=api, keys=["train/loss"], columns={"train/loss": "loss", "lr": "peak_lr"},
                    filters={"state": "finished"})
    assert api.calls == [("acme/scaling", {"state": "finished"})]
    assert df.columns == ["run_id", "step", "loss", "run_name", "group", "model.n_layers", "model.d_model",
                          "peak_lr", "tags"]
    assert df.schema["model.n_layers"] == pl.Int64
    assert df.get_column("tags").unique().drop_nulls().to_list() == ['["x", "y"]']
    assert validate_runs(df) is df


def test_api_errors(api: FakeApi) -> None:
    with pytest.raises(DataError, match=r"read_wandb: no runs in 'acme/none'"):
        read_wandb("acme/none", api=api)
    with pytest.raises(DataError, match=r"logged no numeric values for keys \['acc'\]"):
        read_wandb("acme/scaling", api=api, keys=["acc"])
    with pytest.raises(DataError, match=r"run metadata and logged metrics both have column\(s\) \['lr'\]"):
        read_wandb("acme/scaling", api=api)  # history `lr` and config `lr` clash
    with pytest.raises(DataError, match=r"`path` of read_wandb must be 'entity/project'"):
        read_wandb("", api=api)
    bad = FakeApi({"p": [FakeRun("r", "r", None, {}, [{"loss": 1.0}])]})
    with pytest.raises(DataError, match=r"history row 0 of run 'r' has no integer `_step` \(got None\)"):
        read_wandb("p", api=bad)


def test_api_duplicate_steps() -> None:
    rows = [{"_step": 0, "loss": 3.0}, {"_step": 1, "loss": 2.0}, {"_step": 1, "loss": 1.5}]
    api = FakeApi({"p": [FakeRun("r", "r", None, {}, rows)]})
    with pytest.raises(DataError, match=r"logged more than once at the same step \(\('r', 'loss', step 1\)\)"):
        read_wandb("p", api=api)
    assert read_wandb("p", api=api, on_duplicate="last").get_column("loss").to_list() == [3.0, 1.5]


def test_api_needs_the_extra_only_without_an_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(ImportError, match=r"pip install 'scalinglaws\[wandb\]'"):
        read_wandb("acme/scaling")


# ------------------------------------------------------------------------------------------- exports
def test_panel_export(fixtures_dir: Path) -> None:
    df = read_wandb_export(fixtures_dir / "wandb" / "panel_export.csv", columns={"train/loss": "loss"})
    expected = pl.DataFrame({
        "run_id": ["pythia-160m - run 2"] * 4 + ["pythia-70m-seed1"] * 4,
        "step": [0, 1000, 1500, 2000, 0, 500, 1000, 2000],
        "loss": [10.9922, 3.9453125, 3.6640625, 3.4296875, 10.9844, 4.87109375, 4.1328125, 3.6015625],
    })
    assert_frame_equal(df, expected)
    assert validate_runs(df) is df


def test_runs_table_export(fixtures_dir: Path) -> None:
    df = read_wandb_export(fixtures_dir / "wandb" / "runs_table_export.csv",
                           columns={"val/loss": "loss", "_step": "step"})
    assert df.columns[:9] == ["run_id", "run_name", "state", "notes", "user", "tags", "created", "runtime", "sweep"]
    assert df.get_column("run_id").to_list() == ["tiny-1", "small-1", "base-1"]
    assert df.get_column("n_params").to_list() == [1245184.0, 5111808.0, 26345472.0]
    assert df.get_column("loss").to_list() == [3.6204, 3.2218, None]
    assert df.schema["runtime"] == pl.String  # W&B's own columns stay text
    with pytest.raises(DataError, match=r"column `loss` is missing in 1 row \(row 2\)"):
        validate_runs(df)


def test_history_export(fixtures_dir: Path) -> None:
    df = read_wandb_export(fixtures_dir / "wandb" / "wandb-history.jsonl", run_id="run-7",
                           columns={"train/loss": "loss"})
    assert df.columns == ["run_id", "step", "loss", "lr", "global_step", "val/loss", "grad_norm"]
    assert df.get_column("run_id").unique().to_list() == ["run-7"]
    loss = df.get_column("loss").to_list()
    assert loss[:3] == [10.98, 7.25, 5.5]
    assert math.isnan(loss[3])
    assert loss[4] == 4.625
    assert df.get_column("grad_norm").to_list() == [None, None, None, math.inf, None]
    with pytest.raises(DataError, match=r"column `loss` is NaN in 1 row \(row 3; value nan\)"):
        validate_runs(df)  # W&B's 'NaN' is a real value: reported, never dropped


def test_history_json_array_and_default_run_id(tmp_path: Path) -> None:
    path = tmp_path / "run-xyz.history.json"
    path.write_text('[{"_step": 0, "loss": 2.5}, {"_step": 1, "loss": 2.25}]')
    df = read_wandb_export(path)
    assert df.rows() == [("run-xyz", 0, 2.5), ("run-xyz", 1, 2.25)]


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "fragment"),
    [
        ("x.csv", "", {}, r"is empty"),
        ("x.csv", "a,b\n1,2\n", {}, r"is neither a W&B panel export .* nor a runs-table export"),
        ("x.csv", '"Step","r - loss"\n"1.5","2.0"\n', {}, r"line 2 .* has x value '1.5', not a whole step"),
        ("x.csv", '"Step","r - loss"\n"1","abc"\n', {}, r"line 2 .*column 'r - loss': 'abc' is not a number"),
        ("x.csv", '"Step","r - loss"\n"1","2","3"\n', {}, r"1 line\(s\) of .* do not have 2 fields"),
        ("x.csv", '"Step","r - loss","r - loss"\n', {}, r"has repeated column names"),
        ("x.csv", '"Name","a"\n"r","1"\n', {"kind": "panel"}, r"is not a W&B panel export"),
        ("x.jsonl", '{"loss": 1.0}\n', {}, r"history row 0 of run 'x' has no integer `_step`"),
        ("x.jsonl", '{"_step": 0\n', {}, r"is not JSON or JSON lines"),
        ("x.json", '[1, 2]', {}, r"must hold one JSON object per history row"),
        ("x.csv", "a\n", {"kind": "table"}, r"`kind` of read_wandb_export must be"),
    ],
)
def test_export_errors(tmp_path: Path, name: str, content: str, kwargs: dict[str, Any], fragment: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError, match=fragment):
        read_wandb_export(path, **kwargs)


def test_export_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"`path` of read_wandb_export: no file at"):
        read_wandb_export(tmp_path / "nope.csv")
