"""No command destroys data: an output that is an input is refused, and every output is written whole or
not at all (a temporary file beside it, renamed over it), so Ctrl-C, a crash or a full disk leaves the
old file or none, never a truncated one.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app
from scalinglaws.data import write_runs
from scalinglaws.data.io import write_text
from scalinglaws.errors import DataError

runner = CliRunner()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    runs = tmp_path / "runs.csv"
    sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=0).write_csv(runs)
    fit = tmp_path / "fit.json"
    assert runner.invoke(app, ["fit", str(runs), "--bootstrap", "20", "--out", str(fit)]).exit_code == 0
    points = tmp_path / "points.csv"
    pl.DataFrame({"n_params": [1e9], "n_tokens": [2e10]}).write_csv(points)
    scores = tmp_path / "scores.csv"
    sl.testing.synthetic_scores().write_csv(scores)
    return {"runs": runs, "fit": fit, "points": points, "scores": scores, "link": tmp_path / "runs-link.csv"}


CASES = [
    ("fit", ["fit", "{runs}", "--out", "{runs}"], "runs", "'{runs}' is the input DATA"),
    ("fit via another spelling", ["fit", "{runs}", "--out", "{dotted}"], "runs", "is the input DATA"),
    ("fit --through", ["fit", "{runs}", "--through", "{fit}", "--out", "{fit}"], "fit", "is the input --through"),
    ("report", ["report", "{runs}", "--out", "{runs}", "--no-figures"], "runs", "is the input DATA"),
    ("predict onto the fit", ["predict", "{fit}", "{points}", "--out", "{fit}"], "fit", "is the input FIT"),
    ("predict onto the points", ["predict", "{fit}", "{points}", "--out", "{points}"], "points", "is the input DATA"),
    ("plot", ["plot", "fit", "{fit}", "{runs}", "--out", "{runs}"], "runs", "is the input DATA"),
    ("backtest", ["backtest", "{runs}", "--out", "{runs}"], "runs", "is the input DATA"),
    ("select", ["select", "{runs}", "--laws", "chinchilla,kaplan_nd", "--out", "{runs}"], "runs", "is the input DATA"),
    ("isoflop", ["isoflop", "{runs}", "--out", "{runs}"], "runs", "is the input DATA"),
    ("plan", ["plan", "{fit}", "--compute", "1e22", "--out", "{fit}"], "fit", "is the input FIT|LAW"),
    ("suggest", ["suggest", "{fit}", "--compute", "1e24", "--spend", "1e21", "--out", "{fit}"], "fit", "is the input FIT"),
    ("observational", ["observational", "{scores}", "--benchmarks", "b0,b1,b2", "--out", "{scores}"], "scores",
     "is the input SCORES"),
    ("a hard link", ["fit", "{runs}", "--out", "{link}"], "runs", "is the input DATA"),
    ("data import wandb", ["data", "import", "wandb", "{runs}", "--out", "{runs}"], "runs", "is the input SOURCE"),
]
"""(case, command line, the input it would overwrite, a fragment of the message)."""


@pytest.mark.parametrize(("case", "words", "victim", "message"), CASES, ids=[c[0] for c in CASES])
def test_an_output_that_is_an_input_is_refused_and_the_input_unchanged(
    files: dict[str, Path], case: str, words: list[str], victim: str, message: str
) -> None:
    os.link(files["runs"], files["link"])
    dotted = files["runs"].parent / "." / files["runs"].name
    before = {name: digest(path) for name, path in files.items() if path.exists()}
    line = [w.format(dotted=dotted, **files) for w in words]
    result = runner.invoke(app, line)
    assert result.exit_code == 2, (case, result.exit_code, result.stderr)
    text = " ".join(result.stderr.replace("│", " ").split())
    assert "--out" in text
    assert "writing there would destroy it" in text
    assert message.format(**files) in text
    after = {name: digest(path) for name, path in files.items() if path.exists()}
    assert after == before  # byte-identical, every file


# --------------------------------------------------------------------------- whole-or-nothing writes


def test_write_runs_leaves_the_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "runs.json"
    target.write_text("old\n")
    unwritable = pl.DataFrame({"x": [object()]}, schema={"x": pl.Object})
    with pytest.raises(DataError, match=r"could not write"):
        write_runs(unwritable, target)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.json"]  # no temporary file left


def test_write_runs_is_atomic_in_every_format(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a": [1.0, float("nan"), float("inf")], "b": ["x", "y", None]})
    for suffix in (".csv", ".tsv", ".parquet", ".jsonl", ".json"):
        target = tmp_path / f"t{suffix}"
        target.write_text("old")
        write_runs(frame, target)
        back = sl.data.read_runs(target)
        assert back["b"].to_list() == ["x", "y", None]
        assert back["a"].is_nan().to_list()[1], suffix  # NaN survives, in JSON as {"$float": "nan"}
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".csv", ".json", ".jsonl", ".parquet", ".tsv"]


def test_an_interrupted_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "fit.json"
    target.write_text("old\n")

    def interrupted(src: str | Path, dst: str | Path) -> None:
        raise KeyboardInterrupt  # Ctrl-C between writing the temporary file and renaming it

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_text(target, "new\n" * 1000)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["fit.json"]


# --------------------------------------------------------------------------- Ctrl-C on a real process


def _drain(stream: object, into: list[str]) -> None:
    into.extend(stream)  # type: ignore[call-overload]


@pytest.fixture
def process_group() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:  # killed even when the test fails
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


BOOTSTRAP = 6000
"""Resamples of the interrupted fit: several seconds of work here, so the signal lands mid-bootstrap."""


def test_sigint_during_fit_bootstrap_out_leaves_the_old_file_or_none(
    tmp_path: Path, process_group: list[subprocess.Popen[str]]
) -> None:
    runs = tmp_path / "runs.csv"
    sl.testing.synthetic_runs("chinchilla", n_runs=60, seed=0).write_csv(runs)
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    old.write_text('{"an": "old fit"}\n')
    command = [sys.executable, "-c", "from scalinglaws.cli import app; app()", "fit", str(runs),
               "--bootstrap", str(BOOTSTRAP)]
    outcomes = []
    for out, delay_after_progress in ((old, 0.0), (new, 0.0), (old, 0.7)):
        before = out.read_bytes() if out.exists() else None
        proc = subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        process_group.append(proc)
        lines: list[str] = []
        reader = threading.Thread(target=_drain, args=(proc.stderr, lines), daemon=True)
        reader.start()
        deadline = time.monotonic() + 120
        # The bootstrap is running once its first progress note is out.
        while not any(f"bootstrap: refitting on {BOOTSTRAP}" in line for line in lines):
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        time.sleep(delay_after_progress)
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
        reader.join(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()
        text = "".join(lines)
        after = out.read_bytes() if out.exists() else None
        outcomes.append(proc.returncode)
        assert proc.returncode == 130, text
        assert "interrupted" in text, text
        assert "internal error" not in text
        assert after == before  # the old file untouched, or still no file
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(f".{out.name}.")]
        assert leftovers == []
    assert outcomes == [130, 130, 130]
    assert json.loads(old.read_text()) == {"an": "old fit"}
    assert not new.exists()
