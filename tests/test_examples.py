"""The scripts in ``examples/`` run on the shared data and print what their docstrings promise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    ("script", "data", "expected"),
    [
        ("fit_chinchilla_epoch.py", "chinchilla_epoch/chinchilla_approach3.csv", "at 1e24 FLOP: N* = "),
        ("backtest_muennighoff.py", "datablations_muennighoff_trainregion/datablations_contour_losses.csv",
         "best: muennighoff"),
    ],
)
def test_example_runs(script: str, data: str, expected: str, shared_data: Any) -> None:
    path = shared_data(data)  # skips, with the reason, when the shared data are absent
    root = path.parents[1]
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, timeout=600,
        env={**os.environ, "SCALINGLAWS_DATA_DIR": str(root)}, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
