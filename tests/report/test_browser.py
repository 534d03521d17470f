"""The report in a real headless browser: no failed resource, no network request, every image decoded
and drawn (not blank), no console error; a full-page screenshot is kept in
``artifacts/report-screenshot.png`` and, for the report of the Epoch runs, one screenshot per figure in
``artifacts/figures/<figure>.png``.

Chromium is driven over the Chrome DevTools Protocol on a pipe (``--remote-debugging-pipe``: JSON messages
ending in a NUL byte, commands on fd 3, replies and events on fd 4), so no Python driver and no browser
download is needed. Debian's ``chromium`` is installed by ``.ci/run``; without it the test is skipped,
except in CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"
TIMEOUT = 60.0
"""Seconds for the whole page load (it takes about 2 s; a loaded CI machine may be much slower)."""

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
    "--disable-default-apps", "--mute-audio", "--hide-scrollbars", "--remote-debugging-pipe",
)

TRAMPOLINE = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)

IMAGES = """(async () => {
  const out = [];
  for (const img of Array.from(document.images)) {
    let decoded = true;
    try { await img.decode(); } catch (e) { decoded = false; }
    const box = img.getBoundingClientRect();
    // Share of pixels that are not white: a blank or failed figure has none.
    let inked = 0;
    if (decoded && img.naturalWidth > 0) {
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
      const context = canvas.getContext('2d');
      context.drawImage(img, 0, 0);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3] > 0 && (pixels[i] < 240 || pixels[i + 1] < 240 || pixels[i + 2] < 240)) count++;
      }
      inked = count / (canvas.width * canvas.height);
    }
    const figure = img.closest('figure');
    out.push({alt: img.alt, decoded, complete: img.complete, natural: [img.naturalWidth, img.naturalHeight],
              shown: [box.width, box.height], scheme: img.src.split(':')[0], inked,
              figure: figure ? figure.id : null,
              box: [box.left + window.scrollX, box.top + window.scrollY, box.width, box.height]});
  }
  return JSON.stringify({images: out, height: document.documentElement.scrollHeight,
                         headings: Array.from(document.querySelectorAll('h2')).map(h => h.id)});
})()"""


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it and runs this test")
    return path


class DevTools:
    """A minimal CDP client over Chromium's debugging pipe."""

    def __init__(self, executable: str, profile: Path, log: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # A Python trampoline puts the pipe ends on fds 3 and 4, where --remote-debugging-pipe expects
        # them, and becomes chromium (exec keeps the process id, so closing it ends the browser).
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", TRAMPOLINE, str(to_browser_r), str(from_browser_w), executable, *FLAGS,
             f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(to_browser_r, from_browser_w), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        with contextlib.suppress(TimeoutError, OSError, RuntimeError):  # already gone
            self.send("Browser.close", timeout=5.0)
        try:
            self.process.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            self.process.kill()  # our own child, by its handle
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._log.close()

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from chromium in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed its debugging pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = TIMEOUT) -> dict[str, Any]:
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            command["sessionId"] = session
        os.write(self._to_browser, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            self.events.append(message)
            if message.get("method") == method:
                return message

    def of(self, method: str) -> list[dict[str, Any]]:
        return [e.get("params", {}) for e in self.events if e.get("method") == method]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    tools = DevTools(chromium(), tmp_path / "profile", tmp_path / "chromium.log")
    try:
        yield tools
    finally:
        tools.close()


def load(browser: DevTools, page: Path) -> tuple[str, dict[str, Any]]:
    """Open ``page`` in a new tab; its session and the state of its images and headings."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Network", "Runtime", "Log"):
        browser.send(f"{domain}.enable", session=session)
    browser.events.clear()
    browser.send("Emulation.setDeviceMetricsOverride", {
        "width": 1100, "height": 900, "deviceScaleFactor": 1, "mobile": False,
    }, session=session)
    browser.send("Page.navigate", {"url": page.as_uri()}, session=session)
    browser.wait_for("Page.loadEventFired")
    state = json.loads(browser.send(
        "Runtime.evaluate", {"expression": IMAGES, "awaitPromise": True, "returnByValue": True}, session=session,
    )["result"]["value"])
    return session, state


def assert_clean(browser: DevTools, page: Path) -> None:
    """Nothing but the page itself was requested, nothing failed, and the console has no error."""
    requested = [p["request"]["url"] for p in browser.of("Network.requestWillBeSent")]
    assert requested, "the browser reported no request at all: the Network domain is not observed"
    assert [u for u in requested if not u.startswith("data:")] == [page.as_uri()]  # nothing from the network
    assert browser.of("Network.loadingFailed") == []
    errors = [p for p in browser.of("Runtime.consoleAPICalled") if p.get("type") in ("error", "assert")]
    errors += browser.of("Runtime.exceptionThrown")
    errors += [p for p in browser.of("Log.entryAdded") if p["entry"]["level"] == "error"]
    assert errors == []


def assert_rendered(image: dict[str, Any]) -> None:
    assert image["scheme"] == "data"
    assert image["decoded"], image["alt"]
    assert image["complete"], image["alt"]
    assert min(image["natural"]) > 0, image["alt"]
    assert min(image["shown"]) > 0, image["alt"]
    # Drawn: axes, labels and data cover well over 2% of a figure (a blank PNG has 0).
    assert image["inked"] > 0.02, (image["alt"], image["inked"])


def screenshot(browser: DevTools, session: str, clip: list[float] | None = None, height: int = 0) -> bytes:
    if clip is None:
        browser.send("Emulation.setDeviceMetricsOverride", {
            "width": 1100, "height": min(height, 16000), "deviceScaleFactor": 1, "mobile": False,
        }, session=session)
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
    else:
        x, y, width, tall = clip
        params = {"format": "png", "captureBeyondViewport": True,
                  "clip": {"x": x, "y": y, "width": width, "height": tall, "scale": 1.5}}
    shot = base64.b64decode(browser.send("Page.captureScreenshot", params, session=session)["data"])
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    return shot


def test_report_loads_in_a_headless_browser(browser: DevTools, tmp_path: Path) -> None:
    runs = tmp_path / "runs.csv"
    sl.testing.synthetic_runs("chinchilla", seed=0).write_csv(runs)
    page = tmp_path / "report.html"
    made = CliRunner().invoke(app, [
        "report", str(runs), "--at", "n_params=7e10", "--at", "n_tokens=1.4e12", "--flops", "1e23",
        "--bootstrap", "100", "--out", str(page),
    ])
    assert made.exit_code == 0, made.stderr
    session, state = load(browser, page)
    assert_clean(browser, page)
    images = state["images"]
    # The law and eight figures: fit, predicted, residuals, bootstrap, backtest, compute, contours,
    # allocation (the synthetic runs form no IsoFLOP sweeps).
    assert len(images) == 9
    for image in images:
        assert image["scheme"] == "data"
        assert image["decoded"], image["alt"]
        assert min(image["natural"]) > 0, image["alt"]
    for image in images[1:]:
        assert_rendered(image)
    assert state["headings"][:2] == ["law", "parameters"]
    assert "provenance" in state["headings"]
    shot = screenshot(browser, session, height=int(state["height"]))
    assert len(shot) > 50_000  # a real page with figures, not a blank one
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report-screenshot.png").write_bytes(shot)


FIGURES = ("fit", "predicted", "residuals", "bootstrap", "backtest", "compute", "contours", "allocation",
           "isoflop")
"""Every figure kind of a report on runs that form IsoFLOP sweeps."""


def test_every_figure_of_the_epoch_report_renders(browser: DevTools, tmp_path: Path, shared_data: Any) -> None:
    # The report on Chinchilla's runs (Epoch's reconstruction) has every figure kind, the frontier,
    # iso-loss and IsoFLOP figures among them; each must render in the browser, not blank.
    page = tmp_path / "epoch.html"
    made = CliRunner().invoke(app, [
        "report", str(shared_data("chinchilla_epoch/chinchilla_approach3.csv")), "--at", "N=7e10",
        "--at", "D=1.4e12", "--bootstrap", "100", "--out", str(page),
    ])
    assert made.exit_code == 0, made.stderr
    session, state = load(browser, page)
    assert_clean(browser, page)
    figures = {image["figure"]: image for image in state["images"] if image["figure"]}
    assert sorted(figures) == sorted(f"fig-{key}" for key in FIGURES)
    for image in figures.values():
        assert_rendered(image)
    for heading in ("frontier", "isoflop", "backtest", "figures", "diagnostics"):
        assert heading in state["headings"]
    folder = ARTIFACTS / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    for key in FIGURES:
        shot = screenshot(browser, session, clip=figures[f"fig-{key}"]["box"])
        assert len(shot) > 10_000, key
        (folder / f"{key}.png").write_bytes(shot)
    (ARTIFACTS / "epoch-report-screenshot.png").write_bytes(
        screenshot(browser, session, height=int(state["height"]))
    )
