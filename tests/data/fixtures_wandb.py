"""The real W&B client, offline, for tests: an environment that keeps it off the network and out of the
home folder, and a helper that writes runs with it.

``offline_wandb(root)`` sets the environment (``WANDB_MODE=offline``, every W&B folder under ``root``, no
API key, a base URL on a closed local port so that any attempt to reach a server fails at once) and
restores it afterwards. ``write_runs`` logs runs with ``wandb.init``/``run.log`` in that environment.
``inspect_summary`` reads a run file back with W&B's own tool (``wandb leet inspect --summary --json``).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest


def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def wandb_environment(root: Path) -> dict[str, str | None]:
    """Environment for an offline W&B client whose every file goes under ``root``."""
    return {
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(root),
        "WANDB_CONFIG_DIR": str(root / ".config"),
        "WANDB_CACHE_DIR": str(root / ".cache"),
        "WANDB_DATA_DIR": str(root / ".data"),
        "WANDB_ARTIFACT_DIR": str(root / ".artifacts"),
        "WANDB_BASE_URL": f"http://127.0.0.1:{closed_port()}",
        "WANDB_API_KEY": None,
        "WANDB_ENTITY": None,
        "WANDB_PROJECT": None,
        "WANDB_RUN_ID": None,
        "WANDB_SILENT": "true",
        "WANDB_CONSOLE": "off",
        "WANDB_DISABLE_GIT": "true",
        "WANDB_DISABLE_CODE": "true",
        "WANDB_ERROR_REPORTING": "false",
        "WANDB_X_DISABLE_STATS": "true",
        "WANDB_X_DISABLE_META": "true",
        "WANDB_X_DISABLE_MACHINE_INFO": "true",
        "NETRC": str(root / ".netrc"),
    }


@contextlib.contextmanager
def offline_wandb(root: Path) -> Iterator[Path]:
    """Set the offline W&B environment for the duration; yield the ``wandb/`` folder runs go to.

    W&B reads its settings from the environment once per process (in ``wandb.setup``) and keeps a
    service process; both are torn down on entry and exit so that each use starts from this
    environment and leaves nothing running.
    """
    wandb = pytest.importorskip("wandb", reason="the W&B tests need `pip install 'scalinglaws[test]'`")
    root.mkdir(parents=True, exist_ok=True)
    wandb.teardown()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in wandb_environment(root).items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        try:
            yield root / "wandb"
        finally:
            wandb.teardown()


@dataclass
class LoggedRun:
    """What a test logged to one run, to compare with what is read back."""

    run_id: str
    name: str
    config: dict[str, Any]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = None


def write_runs(project: str, runs: Sequence[Mapping[str, Any]]) -> list[LoggedRun]:
    """Log each run (``name``, ``config``, ``rows``: a list of ``(step, values)``, ``summary``, ``group``)
    with the real client, offline; return what was logged, with the run ids and folders W&B chose."""
    import wandb

    out = []
    for spec in runs:
        run = wandb.init(project=project, name=spec["name"], group=spec.get("group"),
                         config=dict(spec.get("config", {})), settings=wandb.Settings(silent=True))
        for step, values in spec.get("rows", ()):
            run.log(dict(values), step=step)
        for key, value in dict(spec.get("summary", {})).items():
            run.summary[key] = value
        logged = LoggedRun(run.id, spec["name"], dict(spec.get("config", {})), list(spec.get("rows", ())),
                           dict(spec.get("summary", {})), Path(run.dir).parent)
        run.finish()
        out.append(logged)
    flush()
    return out


def flush() -> None:
    """Stop W&B's service, which finishes writing the run files: ``run.finish()`` returns before the
    service has written a run's last records (in a training script the process exits long before the
    files are read; a test reads them at once)."""
    import wandb

    wandb.teardown()


def inspect_summary(run_file: Path) -> dict[str, Any]:
    """A run file's final state (config, summary, name, project) by W&B's own reader:
    ``wandb leet inspect --summary --json`` (wandb >= 0.31)."""
    from wandb.util import get_core_path

    done = subprocess.run(
        [get_core_path(), "leet", "inspect", "--summary", "--json", "--no-observability", "--run-file",
         str(run_file), str(run_file.parent)],
        capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ),
    )
    if done.returncode != 0:
        pytest.skip(f"this wandb cannot print run files as JSON (needs >= 0.31): {done.stderr.strip()}")
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def inspect_records(run_file: Path) -> list[dict[str, Any]]:
    """A run file's records by ``wandb leet inspect --json`` (wandb >= 0.31)."""
    from wandb.util import get_core_path

    done = subprocess.run(
        [get_core_path(), "leet", "inspect", "--json", "--no-observability", "--run-file", str(run_file),
         str(run_file.parent)],
        capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ),
    )
    if done.returncode != 0:
        pytest.skip(f"this wandb cannot print run files as JSON (needs >= 0.31): {done.stderr.strip()}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
