"""Blocks several sections share: an embedded figure and a visible warning.

Figures can be drawn by a second process while this one draws others (:func:`rendering`): the page
then holds a placeholder for each figure sent away, filled in once the page is composed. The bytes
are the same either way (same matplotlib, same drawing, no timestamps).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from warnings import catch_warnings, simplefilter, warn

from scalinglaws.report import _html as h
from scalinglaws.report.figures.panels import figure_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from scalinglaws.report.checks import Finding

Layout = Literal["constrained"] | None


@dataclass
class _Sent:
    """Figures handed to a worker: their futures, and how to draw each here if the worker fails."""

    pool: Executor
    jobs: list[tuple[Future[tuple[bytes, list[Warning]]], Callable[[Figure], object], tuple[float, float], Layout]] = field(
        default_factory=list
    )

    def waiting(self) -> int:
        """Figures sent and not drawn yet."""
        return sum(not future.done() for future, *_ in self.jobs)

    def fill(self, page: str) -> str:
        """``page`` with each placeholder replaced by its figure (drawn here when the worker failed)."""
        for i, (future, draw, size, layout) in enumerate(self.jobs):
            try:
                png, raised = future.result()
            except Exception:  # noqa: BLE001  (a broken worker, an argument it could not take: draw it here)
                png, raised = figure_bytes(draw, size, "png", layout=layout), []
            for warning in raised:  # what drawing it warned, raised here as if drawn here
                warn(warning, stacklevel=1)
            page = page.replace(_placeholder(i), _encoded(png), 1)
        return page


QUEUED = 2
"""A figure goes to the worker while fewer than this many sent ones wait; else it is drawn here. So the
worker (warm before the figures start) takes more of them while this process still imports matplotlib,
and which process draws which figure never changes the page."""

_SENT: ContextVar[_Sent | None] = ContextVar("scalinglaws_report_figures", default=None)


@contextmanager
def rendering(pool: Executor | None) -> Iterator[Callable[[str], str]]:
    """Within the block, figures are drawn on ``pool`` (when given) while it keeps up (``QUEUED``), the
    others here; the function yielded fills the placeholders of a page composed in the block."""
    if pool is None:
        yield lambda page: page
        return
    sent = _Sent(pool)
    token = _SENT.set(sent)
    try:
        yield sent.fill
    finally:
        _SENT.reset(token)
        for future, *_ in sent.jobs:
            future.cancel()


def _drawn(draw: Callable[[Figure], object], size: tuple[float, float], layout: Layout) -> tuple[bytes, list[Warning]]:
    """The figure's PNG and the warnings drawing it raised (in the worker; they are raised again here)."""
    with catch_warnings(record=True) as caught:
        simplefilter("always")
        png = figure_bytes(draw, size, "png", layout=layout)
    return png, [item.message for item in caught if isinstance(item.message, Warning)]


def _placeholder(i: int) -> str:
    return f"\x00figure {i}\x00"


def _encoded(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def figure(
    draw: Callable[[Figure], object], size: tuple[float, float], alt: str, caption: str, key: str,
    layout: Layout = "constrained",
) -> str:
    """A ``<figure>`` holding the drawing as an inline PNG, shown at its size in CSS pixels.

    ``draw`` is called with a new figure; within :func:`rendering` it may run in another process, so
    give a picklable callable (``functools.partial`` of a module-level function).
    """
    sent = _SENT.get()
    if sent is not None and sent.waiting() < QUEUED:
        sent.jobs.append((sent.pool.submit(_drawn, draw, size, layout), draw, size, layout))
        data = _placeholder(len(sent.jobs) - 1)
    else:
        data = _encoded(figure_bytes(draw, size, "png", layout=layout))
    return (
        f'<figure id="fig-{h.esc(key)}"><img src="data:image/png;base64,{data}" '
        f'width="{round(size[0] * 96)}" alt="{h.esc(alt)}"><figcaption>{caption}</figcaption></figure>'
    )


def warnings(findings: Iterable[Finding]) -> str:
    """Each finding as a yellow warning box naming its kind."""
    return "".join(
        f"<div class='sl-warn' data-kind='{h.esc(f.kind)}'><b>{h.esc(f.kind)}</b>: "
        f"{h.esc(f.message)}</div>"
        for f in findings
    )
