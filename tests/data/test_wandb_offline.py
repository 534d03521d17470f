"""W&B run files written by the real client, offline (WANDB_MODE=offline), in the test: read back with
read_wandb_offline and `scalinglaws data import wandb`, compared value by value, and fitted.

No network: the environment (fixtures_wandb.offline_wandb) removes any API key and points W&B at a closed
local port.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app
from scalinglaws.data import validate_runs
from scalinglaws.data.adapters import (
    read_wandb,
    read_wandb_export,
    read_wandb_offline,
    wandb_run_files,
)
from scalinglaws.errors import DataError, ToolkitWarning

from .fixtures_wandb import LoggedRun, flush, offline_wandb, write_runs

pytest.importorskip("wandb", reason="the W&B tests need `pip install 'scalinglaws[test]'`")

TRUTH = sl.testing.PLANTED["chinchilla"]
SIZES = np.geomspace(2e7, 1e9, 6)
STEPS = (100, 200, 400, 800, 1600)


def ladder() -> list[dict[str, object]]:
    """Six model sizes, five checkpoints each, on the planted Chinchilla surface with 0.3% noise."""
    law = sl.get_law("chinchilla")
    rng = np.random.default_rng(7)
    runs = []
    for k, n_params in enumerate(SIZES):
        tokens = n_params * np.geomspace(2, 80, len(STEPS))
        loss = law.predict(TRUTH, {"N": np.full(len(STEPS), n_params), "D": tokens})
        loss = loss * np.exp(rng.normal(0, 0.003, len(STEPS)))
        rows = [(step, {"train/loss": float(v), "tokens": float(t), "lr": 3e-4 / (1 + step / 1000)})
                for step, v, t in zip(STEPS, loss, tokens, strict=True)]
        runs.append({
            "name": f"n{n_params:.3g}", "group": "ladder" if k < 3 else "ladder-b",
            "config": {"n_params": float(n_params), "model": {"n_layers": 4 + k, "act": "gelu"}, "seed": k},
            "rows": rows, "summary": {"best_loss": float(min(loss))},
        })
    return runs


@pytest.fixture(scope="module")
def offline_ladder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[LoggedRun]]]:
    root = tmp_path_factory.mktemp("wandb-ladder")
    with offline_wandb(root) as folder:
        logged = write_runs("scaling-ladder", ladder())
        yield folder, logged


@pytest.fixture
def wandb_env(tmp_path: Path) -> Iterator[Path]:
    with offline_wandb(tmp_path) as folder:
        yield folder


COLUMNS = {"train/loss": "loss", "tokens": "n_tokens"}


def test_offline_folder_round_trips_every_value(offline_ladder: tuple[Path, list[LoggedRun]]) -> None:
    folder, logged = offline_ladder
    assert len(wandb_run_files(folder)) == len(logged)  # `latest-run` (a link) is not read twice
    df = read_wandb_offline(folder, columns=COLUMNS)
    assert df.get_column("run_id").n_unique() == len(SIZES)
    assert df.height == len(SIZES) * len(STEPS)
    for run in logged:
        part = df.filter(pl.col("run_id") == run.run_id).sort("step")
        assert part.get_column("step").to_list() == [step for step, _ in run.rows]
        assert part.get_column("loss").to_list() == [v["train/loss"] for _, v in run.rows]  # exact float64
        assert part.get_column("n_tokens").to_list() == [v["tokens"] for _, v in run.rows]
        assert part.get_column("lr").to_list() == [v["lr"] for _, v in run.rows]
        assert part.get_column("run_name").unique().to_list() == [run.name]
        assert part.get_column("project").unique().to_list() == ["scaling-ladder"]
        # config is run-constant: every row carries it (nested keys flattened with dots)
        assert part.get_column("n_params").to_list() == [run.config["n_params"]] * len(STEPS)
        assert part.get_column("model.n_layers").unique().to_list() == [run.config["model"]["n_layers"]]
        assert part.get_column("model.act").unique().to_list() == ["gelu"]
        # a summary value that is not a history key is a run-constant column too
        assert part.get_column("best_loss").unique().to_list() == [run.summary["best_loss"]]
    assert set(df.get_column("group").unique().to_list()) == {"ladder", "ladder-b"}
    assert validate_runs(df) is df


def test_offline_runs_fit_the_planted_law(offline_ladder: tuple[Path, list[LoggedRun]]) -> None:
    folder, _ = offline_ladder
    runs = read_wandb_offline(folder, columns=COLUMNS)
    result = sl.fit(runs, "chinchilla")
    assert result.status is sl.FitStatus.CONVERGED
    # 0.3% noise on 30 points spanning 1.7 decades in N: exponents within 3%, E within 1% (the same
    # tolerances as the MLflow end-to-end test on the same design).
    assert result.params["alpha"] == pytest.approx(TRUTH["alpha"], rel=0.03)
    assert result.params["beta"] == pytest.approx(TRUTH["beta"], rel=0.03)
    assert result.params["E"] == pytest.approx(TRUTH["E"], rel=0.01)


def test_a_bare_run_file(offline_ladder: tuple[Path, list[LoggedRun]]) -> None:
    _, logged = offline_ladder
    run = logged[2]
    assert run.folder is not None
    (file,) = run.folder.glob("run-*.wandb")
    df = read_wandb_offline(file, keys=["train/loss"], columns=COLUMNS, config=False, summary=False)
    assert df.columns == ["run_id", "step", "loss", "run_name", "project", "group"]
    assert df.get_column("loss").to_list() == [v["train/loss"] for _, v in run.rows]
    with pytest.raises(DataError, match=r"is a W&B run file, not an export; read it .* `read_wandb_offline`"):
        read_wandb_export(file)


def test_cli_imports_a_folder_and_a_file_then_fits(
    offline_ladder: tuple[Path, list[LoggedRun]], tmp_path: Path
) -> None:
    folder, logged = offline_ladder
    runner = CliRunner()
    out = tmp_path / "runs.parquet"
    result = runner.invoke(app, ["data", "import", "wandb", str(folder), "--out", str(out),
                                 "--rename", "train/loss=loss", "--rename", "tokens=n_tokens"])
    assert result.exit_code == 0, result.output
    assert f"wrote 30 rows ({len(SIZES)} runs)" in result.stdout
    assert pl.read_parquet(out).equals(read_wandb_offline(folder, columns=COLUMNS))
    fitted = runner.invoke(app, ["fit", str(out), "--law", "chinchilla", "--json"])
    assert fitted.exit_code == 0, fitted.output
    assert '"status": "converged"' in fitted.stdout

    assert logged[0].folder is not None
    (file,) = logged[0].folder.glob("run-*.wandb")
    single = tmp_path / "one.csv"
    result = runner.invoke(app, ["data", "import", "wandb", str(file), "--out", str(single), "--no-config"])
    assert result.exit_code == 0, result.output
    assert pl.read_csv(single).get_column("run_id").unique().to_list() == [logged[0].run_id]


def test_values_logged_once_and_what_is_skipped(wandb_env: Path) -> None:
    import wandb

    image = wandb.Image(np.zeros((4, 4, 3), dtype=np.uint8))
    rows = [(0, {"n_params": 1.5e8, "init_loss": 11.0}),
            (10, {"loss": 3.25, "val": {"loss": 3.5}, "note": "text", "sample": image}),
            (20, {"loss": float("nan"), "grad_norm": float("inf")}),
            (30, {"loss": 2.75, "final_eval": 2.5})]
    (run,) = write_runs("kinds", [{"name": "r", "config": {}, "rows": rows}])
    df = read_wandb_offline(wandb_env)
    # logged once at the first step: attached to every row, and the step-0 row (nothing else) dropped
    assert df.get_column("step").to_list() == [10, 20, 30]
    assert df.get_column("n_params").to_list() == [1.5e8] * 3
    assert df.get_column("init_loss").to_list() == [11.0] * 3
    # logged once at a later step (a final evaluation): stays at its step
    assert df.get_column("final_eval").to_list() == [None, None, 2.5]
    loss = df.get_column("loss").to_list()
    assert loss[0] == 3.25  # W&B's "NaN" is a real value, read as NaN
    assert math.isnan(loss[1])
    assert loss[2] == 2.75
    assert df.get_column("grad_norm").to_list() == [None, math.inf, None]
    assert df.get_column("val.loss").to_list() == [3.5, None, None]  # nested values, dotted
    assert not any(c.startswith(("sample", "note", "_")) for c in df.columns)  # media, text, internals
    assert df.get_column("run_id").unique().to_list() == [run.run_id]

    kept = read_wandb_offline(wandb_env, auto_constants=False)
    assert kept.get_column("step").to_list() == [0, 10, 20, 30]
    assert kept.get_column("n_params").to_list() == [1.5e8, None, None, None]
    forced = read_wandb_offline(wandb_env, constants=["final_eval"])
    assert forced.get_column("final_eval").to_list() == [2.5] * 3
    with pytest.raises(DataError, match=r"`constants` of read_wandb_offline: key 'loss' has 3 different "
                                        r"values in run"):
        read_wandb_offline(wandb_env, constants=["loss"])
    with pytest.raises(DataError, match=r"`constants` of read_wandb_offline: \['lr'\] is not logged"):
        read_wandb_offline(wandb_env, constants=["lr"])


def test_resumed_run_files_are_one_run(wandb_env: Path) -> None:
    import wandb

    first = wandb.init(project="resume", name="long", config={"n_params": 3e7})
    run_id = first.id
    for step in (0, 1, 2):
        first.log({"loss": 4.0 - step}, step=step)
    first.finish()
    time.sleep(1.1)  # run folders are named by the second they start
    again = wandb.init(project="resume", id=run_id, resume="allow")
    for step in (2, 3):
        again.log({"loss": 1.5 - step / 10}, step=step)
    again.finish()
    flush()
    assert len(wandb_run_files(wandb_env)) == 2
    with pytest.raises(DataError, match=r"logged more than once at the same step \(\('" + run_id + r"', 'loss', "
                                        r"step 2\)\).*on_duplicate='last'"):
        read_wandb_offline(wandb_env)
    df = read_wandb_offline(wandb_env, on_duplicate="last")
    assert df.get_column("step").to_list() == [0, 1, 2, 3]
    assert df.get_column("loss").to_list() == [4.0, 3.0, 1.3, 1.2]
    assert df.get_column("n_params").unique().to_list() == [3e7]


def test_config_and_summary_with_one_name(wandb_env: Path) -> None:
    write_runs("clash", [{"name": "r", "config": {"width": 64}, "rows": [(0, {"loss": 2.0}), (1, {"loss": 1.0})],
                          "summary": {"width": 128}}])
    with pytest.raises(DataError, match=r"run '\w+' has 'width' in its config and in its summary\. Pass "
                                        r"`summary=False` \(--no-summary\)"):
        read_wandb_offline(wandb_env)
    assert read_wandb_offline(wandb_env, summary=False).get_column("width").to_list() == [64, 64]


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no W&B run files \(\*\.wandb\) under .*pass that folder"):
        read_wandb_offline(tmp_path)
    with pytest.raises(DataError, match=r"`path` of read_wandb_offline: no file or directory at"):
        read_wandb_offline(tmp_path / "nope")
    text = tmp_path / "history.jsonl"
    text.write_text('{"_step": 0, "loss": 1.0}\n')
    with pytest.raises(DataError, match=r"must be a W&B run file \(run-<id>\.wandb\) or a directory"):
        read_wandb_offline(text)
    garbage = tmp_path / "run-x.wandb"
    garbage.write_bytes(b"garbage, not a transaction log" * 10)
    with pytest.raises(DataError, match=r"W&B \(wandb [\d.]+\) could not read .*run-x\.wandb.*Is it a W&B run "
                                        r"file"):
        read_wandb_offline(garbage)
    with pytest.raises(DataError, match=r"`constants` of read_wandb_offline must be a list of logged keys"):
        read_wandb_offline(garbage, constants="loss")  # type: ignore[arg-type]


def test_run_without_history_is_left_out_with_a_warning(wandb_env: Path) -> None:
    write_runs("mixed", [{"name": "a", "rows": [(0, {"loss": 2.0})]},
                         {"name": "b", "summary": {"loss_final": 1.0}}])
    with pytest.warns(ToolkitWarning, match=r"1 run\(s\) logged no numeric history value and are left out"):
        df = read_wandb_offline(wandb_env)
    assert df.get_column("run_name").to_list() == ["a"]


def test_no_login_is_a_usage_error_with_the_fix(wandb_env: Path, tmp_path: Path) -> None:
    # The W&B API without an API key: wandb raises its UsageError; this is the user's set-up, not a bug.
    with pytest.raises(DataError, match=r"read_wandb: W&B could not list the runs of 'acme/scaling': "
                                        r"UsageError: .*`wandb login`.*`wandb sync \./wandb`"):
        read_wandb("acme/scaling")
    result = CliRunner().invoke(app, ["data", "import", "wandb", "acme/scaling", "--out",
                                      str(tmp_path / "x.parquet")])
    assert result.exit_code == 2, result.output
    assert "wandb login" in result.output
    assert "wandb sync" in result.output
    assert "bug" not in result.output
    missing = CliRunner().invoke(app, ["data", "import", "wandb", "./no-such-dir/wandb", "--out",
                                       str(tmp_path / "x.parquet")])
    assert missing.exit_code == 2, missing.output
    assert "No file or folder './no-such-dir/wandb' exists here" in missing.output


def test_only_fits_and_no_history(wandb_env: Path) -> None:
    from scalinglaws.data.adapters import log_fit

    frame = pl.DataFrame({"n_params": SIZES, "n_tokens": SIZES * 20,
                          "loss": sl.get_law("chinchilla").predict(TRUTH, {"N": SIZES, "D": SIZES * 20})})
    log_fit(sl.fit(frame, "chinchilla"), "wandb", experiment="fits-only")
    flush()
    with pytest.raises(DataError, match=r"hold only fits written by log_fit \(job type 'scaling-law-fit'\), no "
                                        r"training runs"):
        read_wandb_offline(wandb_env)
    write_runs("text-only", [{"name": "t", "rows": [(0, {"note": "hello"})]}])
    with pytest.raises(DataError, match=r"the runs in .* \(2 run file\(s\)\) logged no numeric history values"):
        read_wandb_offline(wandb_env)


def test_wandb_0_30_cannot_read_run_files(
    offline_ladder: tuple[Path, list[LoggedRun]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    import wandb

    if importlib.util.find_spec("wandb.sdk.internal.datastore") is not None:
        pytest.skip("this wandb (<= 0.29) reads run files with its Python DataStore")
    folder, _ = offline_ladder
    monkeypatch.setattr(wandb, "__version__", "0.30.2")  # 0.30 has neither reader
    with pytest.raises(DataError, match=r"wandb 0\.30\.2 has no reader of run files\. Install wandb >= "
                                        r"0\.31 \(`pip install -U 'wandb>=0\.31'`\), or upload the runs "
                                        r"with `wandb sync"):
        read_wandb_offline(folder)
