"""scalinglaws.datasets: tidy tables of the shared reference data, the download cache and checksums.

The real files are read from the shared data folder (the tests skip when it is absent); nothing is
copied into the repository. There is no network here, so downloads are exercised with file:// URLs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scalinglaws import datasets
from scalinglaws.data import check_runs
from scalinglaws.errors import DataError

EXPECTED = {  # name: (rows, first columns)
    "chinchilla_epoch": (245, ["N", "D", "C", "loss"]),
    "mpl_lr_schedules": (6265, ["run_id", "group", "n_params", "step", "lr", "loss"]),
    "obsscaling_base": (148, ["run_id", "group", "n_params", "n_tokens", "flops", "mmlu"]),
    "gpt3_curves": (12097, ["run_id", "n_params", "n_params_convention", "n_tokens", "train_loss", "val_loss"]),
    "datablations_curves": (6782, ["run_id", "group", "n_params", "n_tokens", "n_unique_tokens"]),
    "datablations_final": (199, ["run_id", "group", "n_params", "n_tokens", "n_unique_tokens", "epochs"]),
    "overtrain": (104, ["run_id", "group", "model_config", "n_params", "n_params_convention"]),
    "porian_isoflop": (1745, ["group", "dataset", "hparams", "warmup", "decay", "param_count", "val", "flops"]),
}


def test_registry_lists_every_dataset() -> None:
    assert set(datasets.list_datasets()) == set(EXPECTED)
    info = datasets.dataset_info("chinchilla_epoch")
    assert "arXiv:2404.10102" in info.citation
    assert info.files[0].url is not None
    assert "92258837425e1b5f2851d624287f0120583a3d0e" in info.files[0].url


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_from_data_dir(name: str, data_dir_env: Path) -> None:
    rows, first = EXPECTED[name]
    df = datasets.load(name)
    assert df.height == rows
    assert df.columns[: len(first)] == first


def test_chinchilla_matches_the_derived_csv(shared_data: Path) -> None:
    df = datasets.load("chinchilla_epoch", data_dir=shared_data)
    reference = pl.read_csv(shared_data / "chinchilla_epoch" / "chinchilla_approach3.csv",
                            schema_overrides={"N": pl.Float64})
    assert df.columns == reference.columns
    # the derived CSV rounds N to an integer and D, C to ~10 significant digits
    np.testing.assert_allclose(df.to_numpy(), reference.to_numpy(), rtol=1e-9, atol=0.0)
    assert check_runs(df, require=["N", "D", "C"]) == ()


@pytest.mark.parametrize(
    ("name", "target"),
    [("mpl_lr_schedules", "loss"), ("datablations_final", "loss"), ("datablations_curves", "loss"),
     ("overtrain", "loss_c4_val"), ("porian_isoflop", "loss")],
)
def test_tidy_tables_are_valid_runs_tables(name: str, target: str, data_dir_env: Path) -> None:
    assert check_runs(datasets.load(name), target=target) == ()


def test_known_gaps_are_reported_not_hidden(data_dir_env: Path) -> None:
    obs = check_runs(datasets.load("obsscaling_base"), target="mmlu")
    assert {(p.column, p.rule, p.n_rows) for p in obs} == {("n_tokens", "null", 25), ("flops", "null", 25)}
    gpt3 = check_runs(datasets.load("gpt3_curves"), target="val_loss")
    # digitised train and val curves live on different rows, and digitising gives several points per x
    assert [p.rule for p in gpt3] == ["null", "duplicate_key"]


# ------------------------------------------------------------------------------------------- download
@pytest.fixture
def file_url_registry(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The chinchilla entry with its URL pointing at a file:// copy of the upstream file."""
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    shutil.copy(shared_data / "chinchilla_epoch" / "svg_extracted_data.csv", upstream)
    info = datasets.dataset_info("chinchilla_epoch")
    (source,) = info.files
    local = dataclasses.replace(source, url=(upstream / "svg_extracted_data.csv").as_uri())
    monkeypatch.setitem(datasets._REGISTRY, "chinchilla_epoch", dataclasses.replace(info, files=(local,)))
    monkeypatch.delenv("SCALINGLAWS_DATA_DIR", raising=False)
    return upstream


def test_download_verifies_the_real_checksum_and_caches(
    file_url_registry: Path, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SCALINGLAWS_CACHE_DIR", str(cache))
    df = datasets.load("chinchilla_epoch")
    cached = cache / "chinchilla_epoch" / "svg_extracted_data.csv"
    assert cached.is_file()
    assert_frame_equal(df, datasets.load("chinchilla_epoch", data_dir=shared_data))

    def no_network(url: str) -> bytes:
        raise AssertionError(f"unexpected download of {url}")

    monkeypatch.setattr(datasets, "_fetch", no_network)
    assert_frame_equal(datasets.load("chinchilla_epoch"), df)  # served from the cache


def test_checksum_mismatch_caches_nothing(file_url_registry: Path, tmp_path: Path) -> None:
    upstream = file_url_registry / "svg_extracted_data.csv"
    upstream.write_bytes(upstream.read_bytes() + b"tampered\n")
    digest = hashlib.sha256(upstream.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=rf"has sha256 {digest}, expected 1934.*Nothing was cached"):
        datasets.load("chinchilla_epoch", cache_dir=cache)
    assert not list(cache.rglob("*.csv"))


def test_corrupted_cache_is_refused(file_url_registry: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    datasets.load("chinchilla_epoch", cache_dir=cache)
    cached = cache / "chinchilla_epoch" / "svg_extracted_data.csv"
    cached.write_text("x\n")
    with pytest.raises(DataError, match=r"cached file .* has sha256 .*; delete it to download it again"):
        datasets.load("chinchilla_epoch", cache_dir=cache)


def test_download_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCALINGLAWS_DATA_DIR", raising=False)

    def offline(url: str) -> bytes:
        raise OSError("network is unreachable")

    monkeypatch.setattr(datasets, "_fetch", offline)
    with pytest.raises(DataError, match=r"could not download https://raw.githubusercontent.com/.*network is "
                                        r"unreachable.*SCALINGLAWS_DATA_DIR"):
        datasets.load("obsscaling_base", cache_dir=tmp_path)
    with pytest.raises(DataError, match=r"is not cached and `download=False`"):
        datasets.load("obsscaling_base", cache_dir=tmp_path, download=False)


def test_local_only_datasets_need_a_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCALINGLAWS_DATA_DIR", raising=False)
    with pytest.raises(DataError, match=r"datasets.load\('overtrain'\) is available only from a local copy"):
        datasets.load("overtrain", cache_dir=tmp_path)


def test_data_dir_errors(shared_data: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"`name` of datasets.load must be one of \[.*\]. Got 'chinchilla'"):
        datasets.load("chinchilla")
    with pytest.raises(DataError, match=r"no file 'svg_extracted_data.csv' in .*chinchilla_epoch"):
        datasets.load("chinchilla_epoch", data_dir=tmp_path)
    (tmp_path / "chinchilla_epoch").mkdir()
    (tmp_path / "chinchilla_epoch" / "svg_extracted_data.csv").write_text("x\n1\n")
    with pytest.raises(DataError, match=r"local file .* has sha256 .*differs from the published file"):
        datasets.load("chinchilla_epoch", data_dir=tmp_path)


def test_bad_local_file_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "overtrain_gadre2024").mkdir()
    (tmp_path / "overtrain_gadre2024" / "overtrain_models.csv").write_text("name,N\nx,1\n")
    with pytest.raises(DataError, match=r"datasets.load\('overtrain'\): could not build the table"):
        datasets.load("overtrain", data_dir=tmp_path)
