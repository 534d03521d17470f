"""Where the examples find the shared reference data: $SCALINGLAWS_DATA_DIR, else ../../shared/data."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def data_dir() -> Path:
    root = Path(os.environ.get("SCALINGLAWS_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
    if not root.is_dir():
        sys.exit(f"no reference data at {root}: set SCALINGLAWS_DATA_DIR to the folder that holds them")
    return root
