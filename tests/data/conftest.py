"""Fixtures of the data tests: the shared reference data folder and a live MLflow server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from . import fixtures_mlflow
from .fixtures_mlflow import mlflow_tracking_uri

__all__ = ["mlflow_tracking_uri"]

SHARED_DATA = Path(
    os.environ.get("SCALINGLAWS_DATA_DIR") or Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
)
"""The project's shared data folder (real data sets, unlicensed: read here, never copied into the repo)."""

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _uses_mlflow(item: pytest.Item) -> bool:
    return "mlflow_tracking_uri" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Boot the MLflow server early (it takes 10-30 s) when a collected test will use it, and run those
    tests last (stable order otherwise) so that the boot overlaps the rest of the session."""
    if any(_uses_mlflow(item) for item in items):
        items.sort(key=_uses_mlflow)
        fixtures_mlflow.prestart()


def pytest_unconfigure() -> None:
    fixtures_mlflow.shutdown()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder; the test is skipped when it is not there (e.g. outside the project)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent; these tests read the real data sets")
    return SHARED_DATA.resolve()


@pytest.fixture
def data_dir_env(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SCALINGLAWS_DATA_DIR pointing at the shared data folder."""
    monkeypatch.setenv("SCALINGLAWS_DATA_DIR", str(shared_data))
    return shared_data


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
