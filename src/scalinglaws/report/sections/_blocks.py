"""Blocks several sections share: an embedded figure and a visible warning."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal

from scalinglaws.report import _html as h
from scalinglaws.report.figures.panels import figure_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from scalinglaws.report.checks import Finding


def figure(
    draw: Callable[[Figure], object], size: tuple[float, float], alt: str, caption: str, key: str,
    layout: Literal["constrained"] | None = "constrained",
) -> str:
    """A ``<figure>`` holding the drawing as an inline PNG, shown at its size in CSS pixels."""
    data = base64.b64encode(figure_bytes(draw, size, "png", layout=layout)).decode("ascii")
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
