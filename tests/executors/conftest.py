"""A real Ray cluster for the executor tests: ``ray start --head`` on this machine, 2 CPUs.

The cluster runs in a process group of its own, started here and ended here (SIGTERM, then SIGKILL for
whatever is left of that group) when the session ends, also when tests fail. Its workers import the
scalinglaws under test (its folder goes on their ``PYTHONPATH``). The test process connects to it as a
driver, so every ``RayExecutor()`` in the tests uses this cluster and never starts one of its own.

Ray's token authentication is on with a token made for this session (``RAY_AUTH_MODE=token``,
``RAY_AUTH_TOKEN``), in the cluster's environment and in the drivers': a cluster and a driver that
decide the mode each by themselves disagree when ``~/.ray/auth_token`` exists (Ray 2.60).
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import scalinglaws

START_TIMEOUT = 240.0
"""Seconds to wait for the cluster to come up (about 15 s on an idle 2-core machine, much more loaded)."""


@dataclass(frozen=True)
class Cluster:
    address: str
    """The GCS address, ``HOST:PORT`` (what ``RAY_ADDRESS`` and ``ray.init(address=...)`` take)."""
    client: str
    """The Ray Client address, ``ray://HOST:PORT``."""
    env: dict[str, str]
    """The environment for a subprocess that should see the scalinglaws under test."""
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the cluster: its whole process group, which it never leaves."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                process.wait()
                return
            process.poll()
            time.sleep(0.2)
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Cluster]:
    if importlib.util.find_spec("ray") is None:
        pytest.skip('the Ray executor tests need Ray: pip install "scalinglaws[ray]"')
    if "ray" in sys.modules:  # Ray reads its authentication mode once, when it is imported
        pytest.fail("ray was imported before the cluster fixture; import it inside tests or fixtures only")
    source = str(Path(scalinglaws.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([source, *filter(None, [os.environ.get("PYTHONPATH")])]),
        "RAY_USAGE_STATS_ENABLED": "0",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
    }
    env.pop("RAY_ADDRESS", None)
    temp = Path(tempfile.mkdtemp(prefix="slray", dir="/tmp"))  # short: Ray's socket paths are limited
    log = temp.with_suffix(".log")
    port, client_port = _free_port(), _free_port()
    command = [
        sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block", f"--port={port}",
        "--node-ip-address=127.0.0.1", "--num-cpus=2", "--include-dashboard=false",
        f"--ray-client-server-port={client_port}", f"--temp-dir={temp}", "--disable-usage-stats",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        text = ""
        while "will now block forever" not in text:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`ray start` did not come up (exit code {process.poll()}):\n{log.read_text()}")
            time.sleep(0.5)
            text = log.read_text(errors="replace")
        found = re.search(r"Local node IP: (\S+)", text)
        host = found.group(1) if found else "127.0.0.1"
        cluster = Cluster(f"{host}:{port}", f"ray://{host}:{client_port}", env, log)
        with pytest.MonkeyPatch.context() as patch:
            for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN"):
                patch.setenv(name, env[name])
            import ray

            ray.init(address=cluster.address, log_to_driver=False)
            try:
                yield cluster
            finally:
                ray.shutdown()
    finally:
        _stop(process)
        shutil.rmtree(temp, ignore_errors=True)
        log.unlink(missing_ok=True)
