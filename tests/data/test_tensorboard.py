"""read_tensorboard against real event files written by real writers.

Run ``small`` is written by tensorboardX's ``SummaryWriter`` (``simple_value`` summaries, as PyTorch
writes them); run ``big/seed1`` by TensorBoard's own ``EventFileWriter`` with scalar-plugin tensor
summaries (as TF2 writes them). Every value is compared with what was logged, rounded to float32 as
stored in the files. Hyper-parameters are written with tensorboardX's ``add_hparams`` (the same layout as
PyTorch's) and, TF2-style, with TensorBoard's HParams metadata in the run's own files.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app
from scalinglaws.data import validate_runs
from scalinglaws.data.adapters import read_tensorboard
from scalinglaws.errors import DataError

tensorboardX = pytest.importorskip("tensorboardX", reason="needs `pip install 'scalinglaws[test]'`")
pytest.importorskip("tensorboard", reason="needs `pip install 'scalinglaws[tensorboard]'`")

STEPS = list(range(0, 1000, 50))


def f32(x: float) -> float:
    return float(np.float32(x))


def write_tensorboardx_run(
    folder: Path, losses: dict[int, float], lrs: dict[int, float], suffix: str = ""
) -> None:
    writer = tensorboardX.SummaryWriter(str(folder), filename_suffix=suffix)
    for step in sorted(set(losses) | set(lrs)):
        if step in losses:
            writer.add_scalar("train/loss", losses[step], step)
        if step in lrs:
            writer.add_scalar("lr", lrs[step], step)
    writer.close()


def write_tensor_run(folder: Path, values: dict[str, dict[int, float]]) -> None:
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.scalar import metadata
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.util import tensor_util

    writer = EventFileWriter(str(folder))
    steps = sorted({s for series in values.values() for s in series})
    for step in steps:
        summary = summary_pb2.Summary(value=[
            summary_pb2.Summary.Value(
                tag=tag, tensor=tensor_util.make_tensor_proto(np.float32(series[step])),
                metadata=metadata.create_summary_metadata(display_name="", description=""),
            )
            for tag, series in values.items() if step in series
        ])
        writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))
    writer.close()


@pytest.fixture
def logdir(tmp_path: Path) -> tuple[Path, pl.DataFrame]:
    rng = np.random.default_rng(0)
    small_loss = {s: 4.0 / (1 + s / 100) + 0.01 * rng.standard_normal() for s in STEPS}
    small_lr = {s: 3e-4 * min(1.0, (s + 1) / 200) for s in STEPS[::2]}  # logged every other checkpoint
    big_train = {s: 3.5 / (1 + s / 80) for s in STEPS}
    big_eval = {s: 3.6 / (1 + s / 80) + 1e-7 for s in STEPS[::4]}
    write_tensorboardx_run(tmp_path / "small", small_loss, small_lr)
    write_tensor_run(tmp_path / "big" / "seed1", {"train/loss": big_train, "eval/loss": big_eval})

    rows = []
    for run, series in (("big/seed1", {"train/loss": big_train, "eval/loss": big_eval, "lr": {}}),
                        ("small", {"train/loss": small_loss, "eval/loss": {}, "lr": small_lr})):
        for step in sorted(set().union(*series.values())):
            rows.append({"run_id": run, "step": step,
                         **{k: (f32(v[step]) if step in v else None) for k, v in series.items()}})
    expected = pl.DataFrame(rows, schema={"run_id": pl.String, "step": pl.Int64, "train/loss": pl.Float64,
                                          "eval/loss": pl.Float64, "lr": pl.Float64})
    return tmp_path, expected


def test_round_trip_every_value(logdir: tuple[Path, pl.DataFrame]) -> None:
    root, expected = logdir
    df = read_tensorboard(root)
    assert df.columns[:2] == ["run_id", "step"]
    assert sorted(df.columns[2:]) == ["eval/loss", "lr", "train/loss"]
    assert_frame_equal(df.select(expected.columns), expected)  # exact: float32 values widened to float64


def test_tags_and_renames(logdir: tuple[Path, pl.DataFrame]) -> None:
    root, expected = logdir
    df = read_tensorboard(root, tags=["train/loss"], columns={"train/loss": "loss"})
    assert df.columns == ["run_id", "step", "loss"]
    assert_frame_equal(df, expected.select("run_id", "step", pl.col("train/loss").alias("loss")))
    assert validate_runs(df) is df


def test_single_run_folder_uses_its_name(logdir: tuple[Path, pl.DataFrame]) -> None:
    root, expected = logdir
    df = read_tensorboard(root / "small")
    assert df.get_column("run_id").unique().to_list() == ["small"]
    assert df.height == expected.filter(pl.col("run_id") == "small").height


def test_resumed_run_duplicates(tmp_path: Path) -> None:
    write_tensorboardx_run(tmp_path / "run", {0: 5.0, 100: 4.0, 200: 3.0}, {})
    # the resumed run writes a second, newer file that repeats step 200
    write_tensorboardx_run(tmp_path / "run", {200: 3.5, 300: 2.5}, {}, suffix=".resumed")
    with pytest.raises(DataError, match=r"read_tensorboard: 2 values of the event files are logged more than "
                                        r"once at the same step \(\('run', 'train/loss', step 200\)\).*"
                                        r"on_duplicate='last'"):
        read_tensorboard(tmp_path)
    df = read_tensorboard(tmp_path, on_duplicate="last")
    assert df.get_column("train/loss").to_list() == [5.0, 4.0, 3.5, 2.5]


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"`logdir` of read_tensorboard must be a directory"):
        read_tensorboard(tmp_path / "nope")
    with pytest.raises(DataError, match=r"no TensorBoard event files \(\*tfevents\*\) under"):
        read_tensorboard(tmp_path)
    write_tensorboardx_run(tmp_path / "r", {0: 1.0}, {})
    with pytest.raises(DataError, match=r"have no values for any of the tags \['acc'\]"):
        read_tensorboard(tmp_path, tags=["acc"])
    with pytest.raises(DataError, match=r"key 'train/loss' would become column `step`, which is reserved"):
        read_tensorboard(tmp_path, columns={"train/loss": "step"})
    with pytest.raises(DataError, match=r"`on_duplicate` of read_tensorboard must be 'error' or 'last'"):
        read_tensorboard(tmp_path, on_duplicate="first")  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"`columns` of read_tensorboard must map source names"):
        read_tensorboard(tmp_path, columns={"a": 1})  # type: ignore[dict-item]


def test_corrupt_event_file(tmp_path: Path) -> None:
    # TensorBoard stops at the first unreadable record of a file (as its UI does); a run with nothing
    # readable then ends in a clear DataError rather than an empty table.
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "events.out.tfevents.1.host").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(DataError, match=r"read_tensorboard: the runs under .* have no values for any scalar"):
        read_tensorboard(tmp_path)


def test_missing_extra_names_the_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "tensorboard.backend.event_processing.event_accumulator", None)
    with pytest.raises(ImportError, match=r"pip install 'scalinglaws\[tensorboard\]'"):
        read_tensorboard(tmp_path)


# ------------------------------------------------------------------- hparams and run-constant values
TRUTH = sl.testing.PLANTED["chinchilla"]
LADDER = np.geomspace(2e7, 1e9, 7)
CHECKPOINTS = (100, 200, 400, 800, 1600)


def write_ladder(root: Path) -> dict[str, dict[str, object]]:
    """Seven runs as a PyTorch user writes them with tensorboardX: ``n_params`` logged once at step 0,
    loss and tokens per checkpoint, and ``add_hparams`` at the end (which writes its own sub-folder)."""
    law = sl.get_law("chinchilla")
    rng = np.random.default_rng(3)
    expected: dict[str, dict[str, object]] = {}
    for k, n_params in enumerate(LADDER):
        name = f"n{k}"
        tokens = n_params * np.geomspace(2, 80, len(CHECKPOINTS))
        loss = law.predict(TRUTH, {"N": np.full(len(CHECKPOINTS), n_params), "D": tokens})
        loss = loss * np.exp(rng.normal(0, 0.003, len(CHECKPOINTS)))
        writer = tensorboardX.SummaryWriter(str(root / name))
        writer.add_scalar("n_params", n_params, 0)
        for step, value, seen in zip(CHECKPOINTS, loss, tokens, strict=True):
            writer.add_scalar("train/loss", value, step)
            writer.add_scalar("tokens", seen, step)
        hparams = {"lr": 3e-4 * (k + 1), "width": 64 * (k + 1), "optimizer": "adamw", "tied": k % 2 == 0}
        writer.add_hparams(hparams, {"hparam/final_loss": float(loss[-1])})
        writer.close()
        expected[name] = {"n_params": f32(n_params), "loss": [f32(v) for v in loss],
                          "tokens": [f32(t) for t in tokens], "final": f32(loss[-1]), **hparams}
    return expected


def test_add_hparams_sub_folders_are_part_of_their_run(tmp_path: Path) -> None:
    expected = write_ladder(tmp_path)
    assert len(list(tmp_path.rglob("*tfevents*"))) == 14  # a run folder and an hparams folder per run
    df = read_tensorboard(tmp_path, columns={"train/loss": "loss", "tokens": "n_tokens"})
    assert sorted(df.get_column("run_id").unique().to_list()) == sorted(expected)  # 7 runs, not 14
    assert df.height == 7 * len(CHECKPOINTS)  # the step-0 rows held only n_params: dropped
    for name, want in expected.items():
        part = df.filter(pl.col("run_id") == name).sort("step")
        assert part.get_column("step").to_list() == list(CHECKPOINTS)
        assert part.get_column("loss").to_list() == want["loss"]
        assert part.get_column("n_tokens").to_list() == want["tokens"]
        # logged once at step 0, and the add_hparams metric: on every row of the run
        assert part.get_column("n_params").to_list() == [want["n_params"]] * len(CHECKPOINTS)
        assert part.get_column("hparam/final_loss").unique().to_list() == [want["final"]]
        # hyper-parameters: run-constant, typed (numbers are the float64 values given)
        assert part.get_column("lr").unique().to_list() == [want["lr"]]
        assert part.get_column("width").unique().to_list() == [float(want["width"])]  # type: ignore[arg-type]
        assert part.get_column("optimizer").unique().to_list() == ["adamw"]
        assert part.get_column("tied").unique().to_list() == [want["tied"]]
    assert df.schema["tied"] == pl.Boolean
    assert df.schema["optimizer"] == pl.String
    assert validate_runs(df) is df


def test_a_tensorboard_ladder_fits(tmp_path: Path) -> None:
    write_ladder(tmp_path)
    runs = read_tensorboard(tmp_path, columns={"train/loss": "loss", "tokens": "n_tokens"})
    result = sl.fit(runs, "chinchilla")
    assert result.status is sl.FitStatus.CONVERGED
    # 0.3% noise (plus float32 storage, ~1e-7 relative) on 35 points over 1.7 decades in N: exponents
    # within 3%, E within 1%, as in the MLflow and W&B end-to-end tests.
    assert result.params["alpha"] == pytest.approx(TRUTH["alpha"], rel=0.03)
    assert result.params["beta"] == pytest.approx(TRUTH["beta"], rel=0.03)
    assert result.params["E"] == pytest.approx(TRUTH["E"], rel=0.01)


def test_cli_import_then_fit(tmp_path: Path) -> None:
    write_ladder(tmp_path / "logs")
    out = tmp_path / "runs.parquet"
    runner = CliRunner()
    result = runner.invoke(app, ["data", "import", "tensorboard", str(tmp_path / "logs"), "--out", str(out),
                                 "--rename", "train/loss=loss", "--rename", "tokens=n_tokens"])
    assert result.exit_code == 0, result.output
    assert "wrote 35 rows (7 runs)" in result.stdout
    fitted = runner.invoke(app, ["fit", str(out), "--law", "chinchilla", "--json"])
    assert fitted.exit_code == 0, fitted.output
    assert '"status": "converged"' in fitted.stdout
    bare = runner.invoke(app, ["data", "import", "tensorboard", str(tmp_path / "logs"), "--out",
                               str(tmp_path / "bare.csv"), "--no-hparams", "--no-auto-constants"])
    assert bare.exit_code == 0, bare.output
    table = pl.read_csv(tmp_path / "bare.csv")
    assert "lr" not in table.columns
    assert table.height == 7 * (len(CHECKPOINTS) + 1)  # the step-0 rows are kept
    assert table.filter(pl.col("step") == 100).get_column("n_params").null_count() == 7


def write_tf2_hparams_run(folder: Path, hparams: dict[str, object], losses: dict[int, float]) -> None:
    """A run as TF2's ``hp.hparams`` writes it: the session start in the run's own event file, written
    here with TensorBoard's own writer and HParams metadata (no TensorFlow needed)."""
    from google.protobuf import struct_pb2
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    info = plugin_data_pb2.SessionStartInfo()
    for name, value in hparams.items():
        if isinstance(value, bool):
            info.hparams[name].CopyFrom(struct_pb2.Value(bool_value=value))
        elif isinstance(value, str):
            info.hparams[name].CopyFrom(struct_pb2.Value(string_value=value))
        else:
            info.hparams[name].CopyFrom(struct_pb2.Value(number_value=float(value)))  # type: ignore[arg-type]
    content = plugin_data_pb2.HParamsPluginData(session_start_info=info, version=0)
    write_tensor_run(folder, {"loss": losses})
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(folder), filename_suffix=".hparams")
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(
        tag=metadata.SESSION_START_INFO_TAG, metadata=metadata.create_summary_metadata(content),
        tensor=metadata.NULL_TENSOR)])
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=0, summary=summary))
    writer.close()


def test_hparams_in_the_run_files(tmp_path: Path) -> None:
    write_tf2_hparams_run(tmp_path / "a", {"lr": 1e-3, "act": "gelu"}, {0: 3.0, 10: 2.0})
    write_tf2_hparams_run(tmp_path / "b", {"lr": 2e-3, "act": "relu", "dropout": 0.1}, {0: 3.5, 10: 2.5})
    df = read_tensorboard(tmp_path)
    assert df.get_column("run_id").to_list() == ["a", "a", "b", "b"]
    assert df.get_column("lr").to_list() == [1e-3, 1e-3, 2e-3, 2e-3]
    assert df.get_column("act").to_list() == ["gelu", "gelu", "relu", "relu"]
    assert df.get_column("dropout").to_list() == [None, None, 0.1, 0.1]
    assert read_tensorboard(tmp_path, hparams=False).columns == ["run_id", "step", "loss"]


def test_two_hparams_sessions_that_disagree(tmp_path: Path) -> None:
    writer = tensorboardX.SummaryWriter(str(tmp_path / "run"))
    for step in (0, 10, 20):
        writer.add_scalar("loss", 3.0 - step / 10, step)
    writer.add_hparams({"lr": 1e-3}, {"hparam/acc": 0.5}, name="first")
    writer.add_hparams({"lr": 2e-3}, {"hparam/acc": 0.5}, name="second")
    writer.close()
    with pytest.raises(DataError, match=r"run 'run' gives hyper-parameter 'lr' two values: 0\.001 \(in "
                                        r".*first'\) and 0\.002 \(in .*second'\).*on_duplicate='last'"):
        read_tensorboard(tmp_path)
    df = read_tensorboard(tmp_path, on_duplicate="last")
    assert df.get_column("run_id").unique().to_list() == ["run"]
    assert df.get_column("lr").unique().to_list() == [2e-3]
    assert df.get_column("hparam/acc").to_list() == [0.5] * 3


def test_two_sessions_with_different_metrics(tmp_path: Path) -> None:
    writer = tensorboardX.SummaryWriter(str(tmp_path / "run"))
    writer.add_scalar("loss", 3.0, 5)
    writer.add_hparams({"lr": 1e-3}, {"hparam/acc": 0.5}, name="first")
    writer.add_hparams({"lr": 1e-3}, {"hparam/acc": 0.75}, name="second")
    writer.close()
    with pytest.raises(DataError, match=r"run 'run' has several add_hparams sessions that give metric "
                                        r"'hparam/acc' different values \(0\.5 and 0\.75\)"):
        read_tensorboard(tmp_path)
    assert read_tensorboard(tmp_path, on_duplicate="last").get_column("hparam/acc").to_list() == [0.75]


def test_explicit_constants(tmp_path: Path) -> None:
    write_tensorboardx_run(tmp_path / "r", {0: 5.0, 100: 4.0, 200: 3.0}, {200: 1e-4})
    df = read_tensorboard(tmp_path, constants=["lr"])
    assert df.get_column("lr").to_list() == [f32(1e-4)] * 3
    with pytest.raises(DataError, match=r"`constants` of read_tensorboard: key 'train/loss' has 3 different "
                                        r"values in run 'r' \(\[5\.0, 4\.0, 3\.0\] at steps \[0, 100, 200\]\)"):
        read_tensorboard(tmp_path, constants=["train/loss"])
    with pytest.raises(DataError, match=r"`constants` of read_tensorboard: \['n_params'\] is not logged in "
                                        r"the event files"):
        read_tensorboard(tmp_path, constants=["n_params"])


def test_a_constant_logged_again_by_a_resumed_run(tmp_path: Path) -> None:
    first = tensorboardX.SummaryWriter(str(tmp_path / "run"))
    first.add_scalar("n_params", 1.25e8, 0)
    for step in (100, 200):
        first.add_scalar("loss", 4.0 - step / 100, step)
    first.close()
    resumed = tensorboardX.SummaryWriter(str(tmp_path / "run"), filename_suffix=".resumed")
    resumed.add_scalar("n_params", 1.25e8, 200)  # the training script logs it again when it restarts
    resumed.add_scalar("loss", 1.5, 300)
    resumed.close()
    df = read_tensorboard(tmp_path)
    assert df.get_column("step").to_list() == [100, 200, 300]
    assert df.get_column("n_params").to_list() == [1.25e8] * 3
    assert df.get_column("loss").to_list() == [3.0, 2.0, 1.5]
