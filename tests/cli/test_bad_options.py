"""Every command, one bad value of each kind of option: exit code 2 and a message naming the option.

A user's mistake is never an internal error (exit 101). The table below has one row per command and
option kind: numbers out of range, unknown choices, malformed NAME=VALUE pairs, non-numbers, missing
columns, unknown laws and unwritable outputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("bad-options")
    runs = root / "runs.csv"
    sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=0).write_csv(runs)
    fit = root / "fit.json"
    sl.fit(runs, "chinchilla").save(fit)
    return {"runs": str(runs), "fit": str(fit), "missing_dir": str(root / "no" / "such" / "out.json")}


FIT_OPTIONS: list[tuple[list[str], str]] = [
    (["--delta", "0"], "--delta"),
    (["--delta", "abc"], "--delta"),
    (["--asymmetry", "-1"], "--asymmetry"),
    (["--n-grid", "0"], "--n-grid"),
    (["--n-polish", "0"], "--n-polish"),
    (["--max-iter", "0"], "--max-iter"),
    (["--seed", "abc"], "--seed"),
    (["--loss", "cauchy"], "--loss"),
    (["--space", "sqrt"], "--space"),
    (["--map", "N"], "--map"),
    (["--map", "N=n_params", "--map", "N=n_tokens"], "--map"),
    (["--param", "alpha=1:0"], "--param"),
    (["--param", "alpha=x:1"], "--param"),
    (["--init", "alpha=1:0"], "--init"),
    (["--init", "alpha"], "--init"),
    (["--fix", "E=abc"], "--fix"),
    (["--fix", "E=inf"], "--fix"),
    (["--fix", "E=1", "--init", "E=1:2"], "--fix"),
    (["--shared", "alpha"], "--shared"),
    (["--target", "val_loss"], "val_loss"),
    (["--weights", "w"], "'w'"),
    (["--group", "arch"], "'arch'"),
    (["--law", "chinchila"], "chinchilla"),
]
"""Options every command that fits a law takes, with a bad value and what the message must name."""


def cases() -> list[tuple[str, list[str], str]]:
    out: list[tuple[str, list[str], str]] = []
    for command in ("fit", "backtest", "select", "report"):
        for args, named in FIT_OPTIONS:
            given = ["--laws", "chinchila,power"] if command == "select" and args[0] == "--law" else args
            out.append((command, given, named))
    out += [
        ("fit", ["--bootstrap", "-1"], "--bootstrap"),
        ("fit", ["--bootstrap-method", "jackknife"], "--bootstrap-method"),
        ("fit", ["--bootstrap", "4", "--bootstrap-method", "cluster"], "--cluster"),
        ("fit", ["--out", "{missing_dir}"], "--out"),
        ("backtest", ["--train-fraction", "1.5"], "--train-fraction"),
        ("backtest", ["--train-fraction", "0"], "--train-fraction"),
        ("backtest", ["--interval", "2"], "--interval"),
        ("backtest", ["--bootstrap", "-3"], "--bootstrap"),
        ("backtest", ["--split-by", "nosuch"], "nosuch"),
        ("select", ["--train-fraction", "1.5"], "--train-fraction"),
        ("select", ["--interval", "0"], "--interval"),
        ("report", ["--train-fraction", "1.5"], "--train-fraction"),
        ("report", ["--interval", "1.5"], "--interval"),
        ("report", ["--at", "n_params"], "--at"),
        ("report", ["--at", "n_params=-5"], "--at"),
        ("report", ["--compute", "-1"], "--compute"),
        ("report", ["--flops", "-1"], "--compute"),  # the old spelling still works, named by the new one
        ("report", ["--out", "{missing_dir}"], "--out"),
        ("predict", ["--interval", "1.5"], "--interval"),
        ("predict", ["--kind", "credible"], "--kind"),
        ("predict", ["--out", "{missing_dir}"], "--out"),
        ("plan", ["--compute", "-1"], "--compute"),
        ("plan", ["--compute", "abc"], "--compute"),
        ("plan", ["--compute", "1e24", "--interval", "1"], "--interval"),
        ("plan", ["--compute", "1e24", "--cost", "6*N*T"], "cost"),
        ("suggest", ["--compute", "1e24", "--spend", "-1"], "--spend"),
        ("suggest", ["--compute", "-1e24", "--spend", "1e21"], "--compute"),
        ("suggest", ["--compute", "1e24", "--spend", "1e21", "--max-runs", "0"], "--max-runs"),
        ("suggest", ["--compute", "1e24"], "--spend"),
        ("suggest", ["--target-compute", "1e24", "--budget", "-1"], "--spend"),  # old spellings
        ("suggest", ["--target-compute", "-1e24", "--budget", "1e21"], "--compute"),
        ("isoflop", ["--method", "spline"], "--method"),
        ("isoflop", ["--bootstrap", "-1"], "--bootstrap"),
        ("isoflop", ["--interval", "1.5"], "--interval"),
        ("isoflop", ["--flops-column", "nosuch"], "nosuch"),
        ("isoflop", ["--map", "C=nosuch"], "nosuch"),
        ("isoflop", ["--map", "X=flops"], "--map"),
        ("isoflop", ["--target", "nosuch"], "--target"),
        ("compare", ["--compute", "-1"], "--compute"),
        ("compare", [], "--compute"),
        ("demo", ["--seed", "abc"], "--seed"),
        ("demo", ["--out", "{missing_dir}"], "--out"),
        ("laws", ["chinchila"], "chinchilla"),
        ("data validate", ["--json", "--metric", "x", "--require"], "--require"),
        ("data import tensorboard", ["--out", "{missing_dir}", "--on-duplicate", "first"], "--on-duplicate"),
    ]
    return out


def positional(command: str, files: dict[str, str]) -> list[str]:
    return {
        "fit": [files["runs"]],
        "backtest": [files["runs"]],
        "select": [files["runs"], "--laws", "chinchilla,kaplan_nd"],
        "report": [files["runs"], "--bootstrap", "0", "--no-figures", "--out", files["fit"] + ".html"],
        "predict": [files["fit"], files["runs"]],
        "plan": [files["fit"]],
        "suggest": [files["fit"]],
        "isoflop": [files["runs"]],
        "compare": [files["fit"], files["fit"]],
        "demo": [],
        "laws": [],
        "data validate": [files["runs"]],
        "data import tensorboard": [str(Path(files["runs"]).parent)],
    }[command]


@pytest.mark.parametrize(("command", "args", "named"), cases(), ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_bad_value_exits_2_naming_the_option(
    files: dict[str, str], command: str, args: list[str], named: str
) -> None:
    words = [*command.split(), *positional(command, files), *(a.format(**files) for a in args)]
    if command == "report" and "--out" in args:
        # the last --out wins; drop the default one given in `positional`
        i = words.index("--out")
        del words[i : i + 2]
    result = runner.invoke(app, words)
    assert result.exit_code == 2, (words, result.exit_code, result.stderr, result.stdout)
    text = " ".join(result.stderr.split())
    assert named in text, (words, text)
    assert "internal error" not in text
