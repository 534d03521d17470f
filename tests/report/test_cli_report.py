"""``scalinglaws report`` and the demo's report: exit codes, stdout (the path or JSON), stderr, the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from scalinglaws.cli import app

runner = CliRunner()


def run(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def runs_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import scalinglaws as sl

    path = tmp_path_factory.mktemp("report") / "runs.csv"
    sl.testing.synthetic_runs("chinchilla", seed=0).write_csv(path)
    return path


def test_report_writes_the_page_and_prints_its_path(runs_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run("report", runs_csv, "--at", "n_params=7e10", "--at", "n_tokens=1.4e12", "--flops", "1e23",
                 "--bootstrap", "50", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(out)
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert '<h2 id="plan">' in page
    assert '<h2 id="backtest">' in page
    command = (
        f"<code>scalinglaws report {runs_csv} --out {out} --at n_params=7e10 --at n_tokens=1.4e12 "
        "--flops 1e+23 --bootstrap 50</code>"
    )
    assert command in page
    assert "bootstrap: refitting on 50 resamples" in result.stderr  # progress as notes: not a terminal
    assert "(correlated)" in result.stderr


def test_report_of_the_epoch_runs_has_frontier_contours_and_isoflop(shared_data: Any, tmp_path: Path) -> None:
    # The Chinchilla runs reconstructed by Epoch: digitised compute, each run a few per cent off its
    # budget. The report buckets them by log-compute level and adds the IsoFLOP analysis.
    out = tmp_path / "epoch.html"
    result = run("report", shared_data("chinchilla_epoch/chinchilla_approach3.csv"), "--bootstrap", "30",
                 "--out", out)
    assert result.exit_code == 0, result.stderr
    page = out.read_text()
    for key in ("fit", "predicted", "residuals", "bootstrap", "backtest", "compute", "contours",
                "allocation", "isoflop"):
        assert f'<figure id="fig-{key}">' in page, key
    assert "runs bucketed by the nearest log-compute level found in the data" in page
    assert "cubic profiles of 11 budgets" in page
    assert "IsoFLOP profiles, if the runs have them" in result.stderr
    assert "<b>lack of fit</b>: the residuals trend with D" in page


def test_report_without_isoflop_sweeps_says_so(runs_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = run("report", runs_csv, "--bootstrap", "0", "--no-backtest", "--no-figures", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "no IsoFLOP section: IsoFLOP data must have at least two budgets" in " ".join(result.stderr.split())
    assert '<h2 id="isoflop">' not in out.read_text()


def test_report_json_summarises_fit_backtest_and_plan(runs_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = run("report", runs_csv, "--bootstrap", "0", "--flops", "1e22", "--json", "-o", out)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["report"] == str(out)
    assert document["status"] == "converged"
    assert set(document["params"]) == {"E", "A", "alpha", "B", "beta"}
    assert document["backtest"]["n_test_points"] > 0
    assert document["plan"]["budgets"][0]["flops"] == 1e22


def test_report_without_figures_or_backtest(runs_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "plain.html"
    result = run("report", runs_csv, "--no-figures", "--no-backtest", "--bootstrap", "0", "-o", out)
    assert result.exit_code == 0, result.stderr
    page = out.read_text()
    assert "image/png" not in page
    assert '<h2 id="backtest">' not in page


def test_report_warns_and_goes_on_without_matplotlib(
    monkeypatch: pytest.MonkeyPatch, runs_csv: Path, tmp_path: Path
) -> None:
    import scalinglaws.report

    monkeypatch.setattr(scalinglaws.report, "has_matplotlib", lambda: False)
    out = tmp_path / "nofig.html"
    result = run("report", runs_csv, "--no-backtest", "--bootstrap", "0", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "figures need matplotlib (pip install 'scalinglaws[plot]')" in " ".join(result.stderr.split())
    assert "image/png" not in out.read_text()


def test_plan_needs_a_law_in_n_and_d(tmp_path: Path) -> None:
    import scalinglaws as sl

    data = tmp_path / "power.csv"
    sl.testing.synthetic_runs("power", seed=0).write_csv(data)
    out = tmp_path / "power.html"
    result = run("report", data, "--law", "power", "--split-by", "x", "--flops", "1e22", "--bootstrap", "0", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "no plan in the report" in result.stderr
    assert '<h2 id="plan">' not in out.read_text()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--at", "n_params"], "must be COLUMN=VALUE"),
        (["--at", "n_params=-1"], "must give a positive finite value"),
        (["--at", "n_params=1", "--at", "n_params=2"], "gives n_params more than once"),
        (["--flops", "-1"], "must be positive FLOPs"),
        (["--interval", "2"], "a probability strictly between 0 and 1"),
        (["--at", "n_params=7e10"], "gives no value for ['n_tokens']: the target needs one for every input column"),
    ],
)
def test_report_usage_errors_exit_2(runs_csv: Path, tmp_path: Path, args: list[str], fragment: str) -> None:
    result = run("report", runs_csv, "--no-backtest", "--bootstrap", "0", "-o", tmp_path / "x.html", *args)
    assert result.exit_code == 2
    assert fragment in " ".join(result.stderr.replace("│", " ").split())


def test_report_of_a_missing_folder_exits_2(runs_csv: Path, tmp_path: Path) -> None:
    result = run("report", runs_csv, "-o", tmp_path / "nope" / "r.html")
    assert result.exit_code == 2
    assert "does not exist; create it first" in " ".join(result.stderr.replace("│", " ").split())


def test_report_help_has_examples() -> None:
    result = run("report", "--help")
    assert result.exit_code == 0
    assert "scalinglaws report runs.csv --law chinchilla --out report.html" in result.stdout


def test_demo_ends_by_writing_a_report_and_printing_its_path(tmp_path: Path) -> None:
    out = tmp_path / "demo.html"
    result = run("demo", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.rstrip().splitlines()[-1] == f"report: {out}"
    page = out.read_text()
    for section in ("law", "parameters", "prediction", "backtest", "plan", "figures", "provenance"):
        assert f'<h2 id="{section}">' in page
    # fit, predicted, residuals, bootstrap, backtest, loss vs compute, contours, N* and D*
    assert page.count("data:image/png;base64,") == 8
    assert '<h2 id="frontier">' in page


def test_demo_json_names_the_report(tmp_path: Path) -> None:
    out = tmp_path / "demo.html"
    result = run("demo", "--json", "--out", out)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["report"] == str(out)
    assert out.is_file()
    assert document["prediction"]["n_params"] == 7e10


def test_grouped_report(tmp_path: Path) -> None:
    import scalinglaws as sl

    a = sl.testing.synthetic_runs("chinchilla", seed=1).with_columns(pl.lit("web").alias("family"))
    b = sl.testing.synthetic_runs("chinchilla", seed=2).with_columns(pl.lit("code").alias("family"))
    data = tmp_path / "grouped.csv"
    pl.concat([a, b]).write_csv(data)
    out = tmp_path / "grouped.html"
    result = run("report", data, "--group", "family", "--no-backtest", "--bootstrap", "0", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "Grouped fit by column <code>family</code>" in out.read_text()


def test_report_calibrates_its_intervals_by_default(runs_csv: Path, tmp_path: Path) -> None:
    calibrated, plain = tmp_path / "calibrated.html", tmp_path / "plain.html"
    on = run("report", runs_csv, "--no-figures", "--no-backtest", "--bootstrap", "30", "-o", calibrated)
    assert on.exit_code == 0, on.stderr
    assert "calibrating the intervals by leave-future-out errors along C" in on.stderr
    assert "leave-future-out errors of the runs" in calibrated.read_text()  # the provenance says by how much
    off = run("report", runs_csv, "--no-figures", "--no-backtest", "--bootstrap", "30", "--no-calibrate", "-o", plain)
    assert off.exit_code == 0, off.stderr
    assert "calibrating" not in off.stderr
    assert "leave-future-out errors of the runs" not in plain.read_text()
