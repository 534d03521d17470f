"""Notebook views of results, registered by the report layer: results never import the renderer.

A result's ``_repr_html_`` asks :func:`html`; the renderers are registered by
``scalinglaws.report.notebook`` when it is imported, which the package root arranges on the first
request (:func:`set_loader`). So ``fit`` and ``trust`` stay free of any arrow to ``report``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_RENDERERS: dict[type, Callable[[Any], str]] = {}
_LOADER: list[Callable[[], None]] = []


def register(kind: type, render: Callable[[Any], str]) -> None:
    """Draw instances of ``kind`` in notebooks with ``render`` (HTML)."""
    _RENDERERS[kind] = render


def set_loader(load: Callable[[], None]) -> None:
    """Call ``load`` (once) the first time a view is asked for, to register the renderers."""
    _LOADER[:] = [load]


def html(result: Any) -> str | None:
    """The HTML view of ``result``, or None (IPython then shows its plain ``repr``)."""
    if type(result) not in _RENDERERS and _LOADER:
        _LOADER.pop()()
    render = _RENDERERS.get(type(result))
    return None if render is None else render(result)
