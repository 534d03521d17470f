"""``scalinglaws plot KIND FIT [DATA] --out FILE``: every kind writes its figure; missing inputs exit 2;
files are written whole or not at all, and the same command gives the same bytes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app
from scalinglaws.cli.plot import SPECS, Kind
from scalinglaws.data.io import write_bytes

runner = CliRunner()
MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".svg": b"<?xml", ".pdf": b"%PDF-"}


def run(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Runs of a planted IsoFLOP sweep (three budgets), their fit with and without bootstrap draws."""
    folder = tmp_path_factory.mktemp("plot")
    law, truth = sl.get_law("chinchilla"), sl.testing.PLANTED["chinchilla"]
    grid = sl.isoflop_grid([1e18, 1e19, 1e20], n_sizes=9)
    rng = np.random.default_rng(0)
    loss = law.predict(truth, {"N": grid["n_params"].to_numpy(), "D": grid["n_tokens"].to_numpy()})
    runs = grid.drop("tokens_per_param").with_columns(loss=pl.Series(loss * np.exp(rng.normal(0, 0.005, loss.size))))
    data = folder / "sweep.csv"
    runs.write_csv(data)
    out = {"data": data, "fit": folder / "fit.json", "bare": folder / "bare.json"}
    made = run("fit", data, "--bootstrap", "40", "--out", out["fit"])
    assert made.exit_code == 0, made.stderr
    made = run("fit", data, "--out", out["bare"])
    assert made.exit_code == 0, made.stderr
    return out


@pytest.mark.parametrize("kind", list(Kind), ids=str)
def test_every_kind_writes_its_figure(files: dict[str, Path], tmp_path: Path, kind: Kind) -> None:
    out = tmp_path / f"{kind.value}.png"
    result = run("plot", kind.value, files["fit"], files["data"], "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(out)
    data = out.read_bytes()
    assert data.startswith(MAGIC[".png"])
    assert len(data) > 20_000  # a drawn figure, not an empty canvas
    assert os.listdir(tmp_path) == [out.name]  # no temporary file left beside it


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_formats_follow_the_suffix_and_are_reproducible(files: dict[str, Path], tmp_path: Path, suffix: str) -> None:
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    for out in (first, second):
        result = run("plot", "compute", files["fit"], files["data"], "--out", out)
        assert result.exit_code == 0, result.stderr
    assert first.read_bytes().startswith(MAGIC[suffix])
    assert first.read_bytes() == second.read_bytes()  # no timestamps, fixed SVG ids


def test_kinds_that_can_do_without_data(files: dict[str, Path], tmp_path: Path) -> None:
    for kind in (k for k, spec in SPECS.items() if spec.data is None):
        out = tmp_path / f"{kind.value}.png"
        result = run("plot", kind.value, files["fit"], "--compute-range", "1e18", "1e23", "--out", out)
        assert result.exit_code == 0, result.stderr
        assert out.read_bytes().startswith(MAGIC[".png"])
    result = run("plot", "compute", files["fit"], "--out", tmp_path / "x.png")
    assert result.exit_code == 2
    assert "`flops` of plot_loss_vs_compute must give the compute range" in flat(result.stderr)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["fit", "{fit}"], "the fit figure needs the table of runs: scalinglaws plot fit FIT DATA"),
        (["isoflop", "{fit}"], "the isoflop figure needs the table of runs"),
        (["bootstrap", "{bare}"], "the bootstrap figure needs bootstrap draws, and this fit has none"),
        (["fit", "{fit}", "{data}", "--at", "n_params=1e11"], "`target` of plot must give a value for every input"),
        (["compute", "{fit}", "{data}", "--at", "n_params=1e11"], "applies to the fit figure only"),
        (["compute", "{fit}", "{data}", "--compute-range", "1e22", "1e18"], "must be two positive FLOP counts"),
        (["isoflop", "{fit}", "{data}", "--method", "quartic"], "one of 'cubic', 'parabola', 'akima'"),
        (["frontier", "{fit}"], "'frontier' is not one of"),
    ],
)
def test_usage_errors_exit_2(files: dict[str, Path], tmp_path: Path, args: list[str], fragment: str) -> None:
    out = tmp_path / "fig.png"
    result = run("plot", *[a.format(**{k: str(v) for k, v in files.items()}) for a in args], "--out", out)
    assert result.exit_code == 2, result.stderr
    assert fragment in flat(result.stderr)
    assert not out.exists()


def test_out_is_required_and_needs_a_figure_suffix(files: dict[str, Path], tmp_path: Path) -> None:
    result = run("plot", "fit", files["fit"], files["data"])
    assert result.exit_code == 2
    assert "Missing option '--out'" in flat(result.stderr)
    result = run("plot", "fit", files["fit"], files["data"], "--out", tmp_path / "fig.jpg")
    assert result.exit_code == 2
    assert "must end in .png, .svg or .pdf" in flat(result.stderr)


def test_isoflop_of_runs_without_sweeps_exits_2(tmp_path: Path) -> None:
    data = tmp_path / "runs.csv"
    runs = sl.testing.synthetic_runs("chinchilla", seed=0)
    runs.write_csv(data)
    made = run("fit", data, "--out", tmp_path / "fit.json")
    assert made.exit_code == 0, made.stderr
    result = run("plot", "isoflop", tmp_path / "fit.json", data, "--out", tmp_path / "iso.png")
    assert result.exit_code == 2
    assert "the runs form no IsoFLOP sweeps" in flat(result.stderr)
    assert "no IsoFLOP section: IsoFLOP data must have at least two budgets" in flat(result.stderr)


def test_a_failed_command_leaves_the_old_file(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "fig.png"
    out.write_bytes(b"old figure")
    result = run("plot", "bootstrap", files["bare"], "--out", out)
    assert result.exit_code == 2
    assert out.read_bytes() == b"old figure"


def test_an_interrupted_write_leaves_the_old_file_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Interrupted (Ctrl-C) between writing the temporary file and renaming it over the target: the
    # target keeps its old bytes and the temporary file is removed.
    out = tmp_path / "fig.png"
    out.write_bytes(b"old figure")

    def interrupted(source: Any, target: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_bytes(out, b"\x89PNG new figure")
    assert out.read_bytes() == b"old figure"
    assert os.listdir(tmp_path) == ["fig.png"]
    monkeypatch.undo()
    assert write_bytes(out, b"\x89PNG new figure") == out
    assert out.read_bytes() == b"\x89PNG new figure"
    with pytest.raises(sl.DataError, match=r"could not write"):
        write_bytes(tmp_path / "missing" / "fig.png", b"x")


def test_plot_help_lists_the_kinds() -> None:
    result = run("plot", "--help")
    assert result.exit_code == 0
    text = flat(result.stdout)
    for kind, spec in SPECS.items():
        assert f"{kind.value}: {spec.what}" in text


def test_without_matplotlib_plot_exits_2(files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scalinglaws.report.figures

    monkeypatch.setattr(scalinglaws.report.figures, "has_matplotlib", lambda: False)
    result = run("plot", "fit", files["fit"], files["data"], "--out", tmp_path / "fig.png")
    assert result.exit_code == 2
    assert "figures need matplotlib; install it with `pip install 'scalinglaws[plot]'`" in flat(result.stderr)
