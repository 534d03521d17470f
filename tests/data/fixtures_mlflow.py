"""A real MLflow tracking server for tests, reusable outside ``tests/data``.

``mlflow_tracking_uri`` is a session-scoped pytest fixture: it starts ``mlflow server`` on 127.0.0.1 at a
free port with a SQLite store in a temporary folder, waits (bounded) until ``/health`` answers, yields
the server's URI, and kills the server's whole process group at the end of the session.

The server needs 10-30 s to boot. ``tests/data/conftest.py`` therefore calls :func:`prestart` as soon as
collection shows that some test uses the fixture, so the server boots while other tests run, and
:func:`shutdown` when pytest exits. Both are optional: without them the fixture starts its own server.

To use the fixture from another test folder, import it into that folder's ``conftest.py`` (``tests/``
is on ``sys.path`` under pytest's default import mode, and ``tests/data`` is a package)::

    from data.fixtures_mlflow import mlflow_tracking_uri  # noqa: F401

and, to get the early boot too, call ``prestart()``/``shutdown()`` as ``tests/data/conftest.py`` does.

:func:`running_mlflow_server` is the same server as a plain context manager.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

STARTUP_TIMEOUT = 150.0
"""Seconds to wait for the server; it needs 10-30 s on 2 busy cores (imports, SQLite migrations)."""


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    uri: str
    workdir: Path

    @property
    def log(self) -> str:
        path = self.workdir / "mlflow-server.log"
        return path.read_text(errors="replace")[-3000:] if path.is_file() else ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _healthy(uri: str) -> bool:
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def start(workdir: Path) -> Server:
    """Spawn ``mlflow server`` on 127.0.0.1 at a free port, its store and log in ``workdir``."""
    port = _free_port()
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}",
        "--default-artifact-root", (workdir / "artifacts").as_uri(),
    ]
    with (workdir / "mlflow-server.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
                                   start_new_session=True)
    return Server(process, f"http://127.0.0.1:{port}", workdir)


def wait_until_healthy(server: Server, timeout: float = STARTUP_TIMEOUT) -> str:
    """Block until the server answers ``/health`` (bounded by ``timeout``); return its URI."""
    deadline = time.monotonic() + timeout
    while not _healthy(server.uri):
        if server.process.poll() is not None:
            raise RuntimeError(f"mlflow server exited with code {server.process.returncode}:\n{server.log}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"mlflow server did not answer within {timeout:.0f} s:\n{server.log}")
        time.sleep(0.25)
    return server.uri


def stop(server: Server) -> None:
    """Terminate the server's process group (SIGTERM, then SIGKILL after 15 s)."""
    if server.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=15)


@contextlib.contextmanager
def running_mlflow_server(workdir: Path, timeout: float = STARTUP_TIMEOUT) -> Iterator[str]:
    """Run ``mlflow server`` with its store in ``workdir``; yield its tracking URI; stop it."""
    server = start(workdir)
    try:
        yield wait_until_healthy(server, timeout)
    finally:
        stop(server)


_prestarted: list[Server] = []


def prestart() -> None:
    """Start the session's server now, without waiting for it (no-op without mlflow or if started)."""
    if _prestarted:
        return
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return
    _prestarted.append(start(Path(tempfile.mkdtemp(prefix="scalinglaws-mlflow-"))))


def shutdown() -> None:
    """Stop a prestarted server and remove its folder."""
    while _prestarted:
        server = _prestarted.pop()
        stop(server)
        shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def mlflow_tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URI of a live MLflow tracking server shared by the whole test session."""
    pytest.importorskip("mlflow", reason="the MLflow tests need `pip install 'scalinglaws[mlflow]'`")
    if _prestarted:
        try:
            yield wait_until_healthy(_prestarted[0])
        finally:
            shutdown()
        return
    with running_mlflow_server(tmp_path_factory.mktemp("mlflow")) as uri:
        yield uri
