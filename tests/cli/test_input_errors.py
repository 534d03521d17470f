"""Bad input never becomes an internal error, a silent wrong result or a message about Python internals.

One test per item of issue 15's lists ("no internal errors", "silent wrong results", "messages"), each
asserting the exit code and the words of the new error or warning.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app

runner = CliRunner()


def run(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def flat(text: str) -> str:
    """Text without rich's panel borders and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inputs")
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=0)
    paths = {"runs": root / "runs.csv", "fit": root / "fit.json", "points": root / "points.csv"}
    runs.write_csv(paths["runs"])
    sl.fit(runs, "chinchilla").save(paths["fit"])
    pl.DataFrame({"n_params": [1e9, 7e10], "n_tokens": [2e10, 1.4e12]}).write_csv(paths["points"])
    return paths


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def fit_document(files: dict[str, Path]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(files["fit"].read_text())
    return document


# ------------------------------------------------------------------------------- no internal errors


def test_a_csv_with_only_a_header(files: dict[str, Path], tmp_path: Path) -> None:
    header = write(tmp_path / "header.csv", "n_params,n_tokens,loss\n")
    result = run("fit", header)
    assert result.exit_code == 2, result.stderr
    assert "has no rows (columns ['n_params', 'n_tokens', 'loss'], a header alone?)" in flat(result.stderr)
    with pytest.raises(sl.DataError, match=r"the table has no rows \(only a header\?\)"):
        sl.fit(pl.read_csv(header), "chinchilla")


def test_a_law_with_no_parameters(files: dict[str, Path]) -> None:
    result = run("fit", files["runs"], "--law", "N*D")
    assert result.exit_code == 2
    assert "law 'N*D' has no parameters: every name in it (['N', 'D']) is a column" in flat(result.stderr)


@pytest.mark.parametrize("formula", ["E + A/(N - N)**alpha", "E + A/(N - N)", "E + A*log(N - N)"])
def test_a_formula_infinite_by_construction(files: dict[str, Path], formula: str) -> None:
    result = run("fit", files["runs"], "--law", formula)
    assert result.exit_code == 2
    assert "is infinite or undefined for every input" in flat(result.stderr)
    assert "ComplexInfinity" not in result.stderr


def test_a_formula_whose_parameter_cancels_out(files: dict[str, Path]) -> None:
    result = run("fit", files["runs"], "--law", "E + A*(N - N) + B*D**-beta")
    assert result.exit_code == 2
    assert "the formula does not depend on parameter(s) ['A']; they cancel out" in flat(result.stderr)


def test_a_formula_of_2000_terms(files: dict[str, Path]) -> None:
    formula = " + ".join(f"A{i}*N" for i in range(2000))
    result = run("fit", files["runs"], "--law", formula)
    assert result.exit_code == 2
    assert "is too long: 15998 names, numbers and operations, more than the 1000" in flat(result.stderr)
    assert "RecursionError" not in result.stderr


def test_predict_on_a_non_numeric_cell(files: dict[str, Path], tmp_path: Path) -> None:
    points = write(tmp_path / "points.csv", "n_params,n_tokens\n1e9,2e10\n7e9,lots\n")
    result = run("predict", files["fit"], points)
    assert result.exit_code == 2
    assert ("column 'n_tokens' (input `D`) must be numeric; 1 row(s) are not numbers: 1 ('lots')"
            in flat(result.stderr))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d["params"].update(E="1.8"), "`params.E` must be a number. Got '1.8' instead."),
        (lambda d: d["params"].pop("beta"), "`params` lacks ['beta'], which its law needs"),
        (lambda d: d["input_ranges"].update(N=[1e6]), "`input_ranges.N` must be a pair [lowest, highest]"),
        (lambda d: d.update(covariance=[[1.0, 0.0], [0.0, 1.0]]),
         "`covariance` must be a 5 x 5 matrix (one row and column per parameter). Got '2 rows' instead."),
        (lambda d: d["params"].update(E={"$float": "nan"}),
         "`params.E` must be a finite number (a fit never ends at NaN or infinity). Got nan instead."),
        (lambda d: d.pop("law"), "it lacks ['law']"),
        (lambda d: d.update(n_points="60"), "`n_points` must be a whole number >= 0. Got '60' instead."),
        (lambda d: d["stderr"].update(E=[1]), "`stderr.E` must be a number"),
    ],
    ids=["string param", "missing param", "short range", "covariance shape", "NaN param", "no law",
         "string count", "list stderr"],
)
def test_a_damaged_fit_file(files: dict[str, Path], tmp_path: Path, damage: Any, message: str) -> None:
    document = fit_document(files)
    damage(document)
    broken = write(tmp_path / "broken.json", json.dumps(document))
    for line in (("predict", broken, files["points"]), ("plan", broken, "--compute", "1e22")):
        result = run(*line)
        assert result.exit_code == 2, (line, result.stderr)
        assert message in flat(result.stderr), (line, flat(result.stderr))
        assert "internal error" not in result.stderr
    with pytest.raises(sl.DataError, match=re.escape(message)):
        sl.load(broken)


def test_a_bootstrap_too_big_for_memory_is_refused_before_any_work(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("scalinglaws.fit.api.available_memory", lambda: 1_000_000_000)
    result = run("fit", files["runs"], "--bootstrap", "1000000")
    assert result.exit_code == 2
    text = flat(result.stderr)
    # Refits run in chunks, so what grows with the draws is per resample and point 3 x 8 bytes
    # (1e6 x 30 x 24 = 0.72 GB) and per resample and parameter 88 bytes (0.44 GB), plus one chunk's
    # solver arrays (2,000 resamples x 30 points x 48 doubles, 23 MB): 1.2 GB in all.
    assert "Invalid value for '--bootstrap': must be at most" in text
    assert "1000000 resamples of 5 parameters need about 1.2 GB of memory, and 1.0 GB is available" in text


def test_a_table_too_big_for_memory(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scalinglaws.data.io.available_memory", lambda: 1000)
    result = run("fit", files["runs"])
    assert result.exit_code == 2
    size = files["runs"].stat().st_size
    text = flat(result.stderr)
    assert f"is {size / 1000:.1f} KB, and its table needs about {1.5 * size / 1000:.1f} KB of memory" in text
    assert "more than the 1.0 KB available" in text


def test_out_of_memory_is_not_called_a_bug(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*args: Any, **kwargs: Any) -> None:
        raise MemoryError

    monkeypatch.setattr(sl, "fit", exhausted)
    result = run("fit", files["runs"])
    assert result.exit_code == 2
    text = flat(result.stderr)
    assert "out of memory" in text
    assert "This is not a bug in scalinglaws." in text
    assert "internal error" not in text


# ------------------------------------------------------------------------------ silent wrong results


def test_predict_on_rows_outside_the_laws_domain(files: dict[str, Path], tmp_path: Path) -> None:
    points = write(tmp_path / "points.csv", "n_params,n_tokens\n1e9,2e10\n0,2e10\n-5,2e10\n")
    result = run("predict", files["fit"], points)
    assert result.exit_code == 1  # bad rows, as the fit says of the same rows
    assert ("column 'n_params' (input `N`) must be positive; 2 row(s): 1 (0.0), 2 (-5.0) are not"
            in flat(result.stderr))
    assert result.stdout == ""


def test_far_extrapolation_is_said_in_readable_decades(files: dict[str, Path], tmp_path: Path) -> None:
    points = write(tmp_path / "points.csv", "n_params,n_tokens\n1e300,2e10\n")
    result = run("predict", files["fit"], points)
    assert result.exit_code == 0
    text = flat(result.stderr)
    assert re.search(r"\(up to 29\d decades\)", text), text
    assert not re.search(r"\d{20}", text)  # never 1797693134862315...0.0


def test_a_duplicated_header(files: dict[str, Path], tmp_path: Path) -> None:
    table = write(tmp_path / "dup.csv", "n_params,n_tokens,loss,loss\n1e6,1e8,3.0,3.1\n2e6,2e8,2.9,2.8\n")
    result = run("fit", table)
    assert result.exit_code == 2
    assert "names column 'loss' twice (columns 3 and 4). Rename one of them" in flat(result.stderr)


def test_data_validate_and_describe_read_symbol_columns_like_fit(tmp_path: Path) -> None:
    table = write(tmp_path / "sym.csv", "N,D,loss\n1e6,1e8,3.1\n-1,1e8,3.0\n")
    result = run("data", "validate", table)
    assert result.exit_code == 1
    assert "column `N` (read as n_params) is not positive in 1 row (row 1; value -1.0)" in result.stdout
    assert "checking column 'N' as n_params (what fit reads for it)" in result.stderr
    described = run("data", "describe", table)
    assert described.exit_code == 0
    assert re.search(r"^N \(as n_params\)\s+-1\s+1e\+06\s+0$", described.stdout, re.MULTILINE)


def test_data_validate_and_describe_take_map(tmp_path: Path) -> None:
    table = write(tmp_path / "named.csv", "p,t,loss\n1e6,1e8,3.1\n2e6,0,3.0\n")
    result = run("data", "validate", table, "--map", "N=p", "--map", "D=t", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["columns_read_as"] == {"p": "n_params", "t": "n_tokens"}
    assert [p["column"] for p in document["problems"]] == ["t"]
    assert "(read as n_tokens) is not positive" in document["problems"][0]["message"]
    bad = run("data", "describe", table, "--map", "X=p")
    assert bad.exit_code == 2
    assert "maps ['X']; the schema knows the symbols" in flat(bad.stderr)


def test_parallel_demos_write_their_own_reports() -> None:
    first, second = run("demo", "--json"), run("demo", "--json")
    assert first.exit_code == 0, first.stderr
    assert second.exit_code == 0, second.stderr
    paths = [Path(json.loads(r.stdout)["report"]) for r in (first, second)]
    assert paths[0] != paths[1]
    assert all(p.name.startswith("scalinglaws-demo-") and p.stat().st_size > 0 for p in paths)
    for p in paths:
        p.unlink()


def test_an_isoflop_table_pooling_several_configurations(tmp_path: Path) -> None:
    law, truth = sl.get_law("chinchilla"), dict(sl.testing.PLANTED["chinchilla"])
    rows = []
    for config, scale in enumerate((1.0, 1.1, 1.2)):  # three configurations, one sweep each
        for c in (1e18, 1e19, 1e20):
            for f in (0.1, 0.3, 1, 3, 10, 30):
                n = c**0.5 / 60 * f
                value = float(law.predict(truth, {"N": [n], "D": [c / (6 * n)]})[0]) * scale
                rows.append({"config": config, "flops": c, "n_params": n, "loss": value})
    table = tmp_path / "pooled.csv"
    pl.DataFrame(rows).write_csv(table)
    result = run("isoflop", table, "--bootstrap", "0")
    assert result.exit_code == 0, result.stderr
    text = flat(result.stderr)
    assert "the IsoFLOP table looks like several sweeps pooled: 36 run(s) repeat a model size" in text
    assert "filter the table to one configuration" in text


# ------------------------------------------------------------------------ messages that name options


def test_plan_names_the_compute_option(files: dict[str, Path]) -> None:
    result = run("plan", files["fit"], "--compute", "-1")
    assert result.exit_code == 2
    text = flat(result.stderr)
    assert "Invalid value for '--compute': must be one or more positive finite budgets" in text
    assert "allocate" not in text
    assert "`flops`" not in text


@pytest.mark.parametrize("spelling", [["--spend", "-1"], ["--budget", "-1"]])
def test_suggest_names_the_spend_option(files: dict[str, Path], spelling: list[str]) -> None:
    result = run("suggest", files["fit"], "--compute", "1e24", *spelling)
    assert result.exit_code == 2
    text = flat(result.stderr)
    assert "Invalid value for '--spend': must be a positive number of FLOPs. Got -1.0 instead." in text
    assert "suggest_runs" not in text


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (["--at", "n_params=7e10"], "Invalid value for '--at': gives no value for ['n_tokens']"),
        (["--at", "n_params=7e10", "--at", "n_token=1e12"],
         "Invalid value for '--at': names ['n_token'], which the law does not read"),
    ],
)
def test_report_names_the_at_option_before_any_work(
    files: dict[str, Path], tmp_path: Path, at: list[str], message: str
) -> None:
    result = run("report", files["runs"], *at, "--out", tmp_path / "r.html", "--no-figures")
    assert result.exit_code == 2
    text = flat(result.stderr)
    assert message in text
    assert "render_report" not in text
    assert "`target`" not in text
    assert "fitting" not in text  # checked before the fit
    assert not (tmp_path / "r.html").exists()


def test_a_bad_cell_shows_the_bad_row(tmp_path: Path) -> None:
    frame = sl.testing.synthetic_runs("chinchilla", n_runs=20, seed=0)
    frame = frame.with_columns(frame["loss"].cast(pl.String).scatter(3, "abc"))
    table = tmp_path / "runs.csv"
    frame.write_csv(table)
    result = run("fit", table)
    assert result.exit_code == 2
    assert "column 'loss' (target) must be numeric; 1 row(s) are not numbers: 3 ('abc')" in flat(result.stderr)


def test_a_semicolon_separated_file_gets_a_hint_and_reads_with_separator(tmp_path: Path) -> None:
    frame = sl.testing.synthetic_runs("chinchilla", n_runs=20, seed=0).drop("is_outlier")
    table = tmp_path / "runs.csv"
    frame.write_csv(table, separator=";")
    result = run("fit", table)
    assert result.exit_code == 2
    text = flat(result.stderr)
    assert "reads as one column named 'n_params;n_tokens;loss': it looks ';'-separated" in text
    assert "--separator ';'" in text
    fixed = run("fit", table, "--separator", ";", "--json")
    assert fixed.exit_code == 0, fixed.stderr
    assert json.loads(fixed.stdout)["n_points"] == 20


def test_csv_gz_and_tsv_are_read(tmp_path: Path) -> None:
    frame = sl.testing.synthetic_runs("chinchilla", n_runs=20, seed=0).drop("is_outlier")
    plain, tsv, packed = tmp_path / "runs.csv", tmp_path / "runs.tsv", tmp_path / "runs.csv.gz"
    frame.write_csv(plain)
    frame.write_csv(tsv, separator="\t")
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    fits = []
    for table in (plain, tsv, packed):
        result = run("fit", table, "--json")
        assert result.exit_code == 0, (table, result.stderr)
        fits.append(json.loads(result.stdout)["params"])
    assert fits[0] == fits[1] == fits[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--law", "chinchila"], "Did you mean 'chinchilla'?"),
        (["--target", "los"], ("target column 'los' is missing. Available columns: ['is_outlier', 'loss', "
                              "'n_params', 'n_tokens']. Did you mean 'loss'?")),
        (["--map", "N=n_param"], "no column 'n_param' for input `N` of law 'chinchilla'"),
        (["--weights", "weight"], None),
    ],
)
def test_did_you_mean_for_laws_and_columns(files: dict[str, Path], args: list[str], message: str | None) -> None:
    result = run("fit", files["runs"], *args)
    assert result.exit_code == 2
    text = flat(result.stderr)
    if message is not None:
        assert message in text
    if "--map" in args:
        assert "Did you mean 'n_params'?" in text


# --------------------------------------------------------------------- one spelling, help, tables


@pytest.mark.parametrize(
    "line",
    [
        ["report", "{runs}", "--flops", "1e22", "--bootstrap", "0", "--no-backtest", "--no-figures", "--out",
         "{tmp}/r.html"],
        ["suggest", "{fit}", "--target-compute", "1e24", "--budget", "1e21"],
        ["isoflop", "{sweep}", "--flops-column", "budget", "--n-params-column", "size", "--loss-column", "l",
         "--bootstrap", "0"],
    ],
    ids=["report --flops", "suggest --target-compute --budget", "isoflop --flops-column"],
)
def test_old_spellings_still_work(files: dict[str, Path], tmp_path: Path, line: list[str]) -> None:
    law, truth = sl.get_law("chinchilla"), sl.testing.PLANTED["chinchilla"]
    rows = [{"budget": c, "size": n, "l": float(law.predict(truth, {"N": [n], "D": [c / (6 * n)]})[0])}
            for c in (1e18, 1e19, 1e20) for n in [c**0.5 / 60 * f for f in (0.1, 0.3, 1, 3, 10, 30)]]
    sweep = tmp_path / "sweep.csv"
    pl.DataFrame(rows).write_csv(sweep)
    result = run(*(w.format(tmp=tmp_path, sweep=sweep, **files) for w in line))
    assert result.exit_code == 0, result.stderr


def test_new_spellings_are_one_idea_one_name(files: dict[str, Path]) -> None:
    for command, flag in (("plan", "--compute"), ("report", "--compute"), ("suggest", "--compute"),
                          ("compare", "--compute"), ("isoflop", "--map"), ("predict", "--map"),
                          ("backtest", "--out"), ("select", "--out"), ("plan", "--out"), ("suggest", "--out"),
                          ("isoflop", "--out")):
        text = run(command, "--help").stdout
        assert flag in text, (command, flag)
    for command, old in (("report", "--flops"), ("suggest", "--target-compute"), ("suggest", "--budget"),
                         ("isoflop", "--flops-column"), ("compare", "--flops")):
        assert old not in run(command, "--help").stdout, (command, old)  # hidden aliases


def test_debug_works_anywhere_on_the_line(files: dict[str, Path]) -> None:
    for line in (["--debug", "fit", files["runs"], "--law", "E + A/(N - N)"],
                 ["fit", files["runs"], "--law", "E + A/(N - N)", "--debug"]):
        result = run(*line)
        assert result.exit_code == 2
        assert "Traceback (most recent call last)" in result.stderr
        assert "No such option" not in result.stderr


COMMANDS = ["demo", "laws", "fit", "predict", "backtest", "select", "report", "plot", "plan", "suggest",
            "isoflop", "observational", "compare", "data validate", "data describe", "data import tensorboard",
            "data import mlflow", "data import wandb"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_flags_without_a_type_and_lists_choices(command: str) -> None:
    result = run(*command.split(), "--help")
    assert result.exit_code == 0
    assert "<bool>" not in result.stdout
    if command in ("isoflop", "plot"):
        assert "<cubic|parabola|akima>" in result.stdout


def test_main_help_offers_shell_completion() -> None:
    text = run("--help").stdout
    assert "--install-completion" in text
    assert "--show-completion" in text


def test_tables_have_no_polars_banner_and_fit_100_columns(files: dict[str, Path]) -> None:
    outputs = [
        run("plan", files["fit"], "--compute", "1e22", "--compute", "1e24"),
        run("suggest", files["fit"], "--compute", "1e24", "--spend", "1e21"),
        run("backtest", files["runs"], "--bootstrap", "0"),
        run("select", files["runs"], "--laws", "chinchilla,kaplan_nd", "--bootstrap", "0"),
        run("laws"),
        run("laws", "chinchilla"),
    ]
    for result in outputs:
        assert result.exit_code == 0, result.stderr
        assert "shape:" not in result.stdout
        assert "┌" not in result.stdout
        assert "╞" not in result.stdout
        assert max(len(line) for line in result.stdout.splitlines()) <= 100, result.stdout


# ------------------------------------------------------------------------- report, summary, progress


def test_the_report_is_the_same_bytes_in_another_minute(files: dict[str, Path], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    line = ["report", files["runs"], "--bootstrap", "0", "--no-figures", "--out", tmp_path / "r.html"]
    assert run(*line).exit_code == 0
    first = (tmp_path / "r.html").read_bytes()
    monkeypatch.setattr("scalinglaws.cli.report.datetime", None)  # any use of the clock would fail
    assert run(*line).exit_code == 0
    assert (tmp_path / "r.html").read_bytes() == first
    assert b"<dt>created</dt>" not in first


def test_the_report_honours_source_date_epoch(files: dict[str, Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    line = ["report", files["runs"], "--bootstrap", "0", "--no-figures", "--out", tmp_path / "r.html"]
    assert run(*line).exit_code == 0
    assert "<dt>created</dt><dd>2023-11-14 22:13 UTC</dd>" in (tmp_path / "r.html").read_text()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = run(*line)
    assert result.exit_code == 2
    assert "must be a whole number of seconds since 1970-01-01 UTC. Got 'yesterday'" in flat(result.stderr)


def test_fit_bootstrap_shows_bootstrap_intervals_and_progress(files: dict[str, Path]) -> None:
    result = run("fit", files["runs"], "--bootstrap", "100")
    assert result.exit_code == 0, result.stderr
    assert "(95% intervals: bootstrap-pairs (100 draws), percentile)" in result.stdout
    assert re.search(r"^  alpha = \S+\s+± \S+\s+\[\S+, \S+\]$", result.stdout, re.MULTILINE)
    assert re.search(r"^fit: R² 0\.99\d\d \(log space\)   AIC -\d", result.stdout, re.MULTILINE)
    # Without a terminal, progress is a note at each tenth of the resamples, with the time left.
    assert "bootstrap: refitting on 100 resamples (pairs)" in result.stderr
    assert re.search(r"bootstrap: refitting on 100 resamples \(pairs\): 100/100, \d+ s so far, about 0 s left",
                     result.stderr)


def test_backtest_progress_counts_splits(files: dict[str, Path]) -> None:
    result = run("backtest", files["runs"], "--bootstrap", "0", "--train-fraction", "0.5",
                 "--train-fraction", "0.75")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"split by C: 1/2, \d+ s so far, about \d+ s left", result.stderr)
    assert re.search(r"split by C: 2/2", result.stderr)


@pytest.mark.parametrize(
    ("line", "flag"),
    [
        (["report", "{runs}", "--split-by", "width", "--no-figures"], "--split-by"),
        (["fit", "{runs}", "--bootstrap", "10", "--bootstrap-method", "cluster", "--cluster", "run"], "--cluster"),
        (["backtest", "{runs}", "--split-by", "width"], "--split-by"),
        (["select", "{runs}", "--laws", "chinchilla,kaplan_nd", "--split-by", "width"], "--split-by"),
    ],
)
def test_columns_are_checked_before_any_work(files: dict[str, Path], tmp_path: Path, line: list[str],
                                             flag: str) -> None:
    words = [w.format(**files) for w in line]
    if words[0] == "report":
        words += ["--out", str(tmp_path / "r.html")]
    result = run(*words)
    assert result.exit_code == 2, result.stderr
    text = flat(result.stderr)
    assert flag in text or "'width'" in text or "'run'" in text
    assert "fitting" not in text
    assert "refitting" not in text
    assert "backtesting" not in text
