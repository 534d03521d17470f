"""The CLI's two streams: results go to stdout, everything else to one stderr console.

stdout carries results only (a table, CSV or one JSON document) and is written with ``typer.echo``, so
nothing in it is styled or wrapped. Progress, notes, warnings and errors go through :func:`stderr`, a single
``rich`` console; rich turns colour off by itself when stderr is not a terminal (and honours ``NO_COLOR``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, TextIO

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from scalinglaws.errors import ToolkitWarning

if TYPE_CHECKING:
    from scalinglaws.fit import FitResult


@cache
def stderr() -> Console:
    """The one console for diagnostics. It writes to whatever ``sys.stderr`` is at print time."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def result(text: str) -> None:
    """Write a result to stdout, unstyled."""
    typer.echo(text)


def note(message: str) -> None:
    """A progress or information line on stderr."""
    stderr().print(Text(message, style="dim"))


def warn(message: str) -> None:
    stderr().print(Text.assemble(("warning: ", "bold yellow"), message))


def error(message: str) -> None:
    stderr().print(Text.assemble(("error: ", "bold red"), message))


def fit_summary(fit: FitResult) -> None:
    """The fit's summary table to stdout, and its diagnostics as warnings on stderr."""
    result(replace(fit, diagnostics=()).summary())
    diagnostics(fit)


def diagnostics(fit: FitResult) -> None:
    """Each finding of the fit's checks (bounds, identifiability, coverage...) as a warning on stderr."""
    for diagnostic in fit.diagnostics:
        warn(f"({diagnostic.kind}) {diagnostic.message}")


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    warn(f"{message} ({category.__name__})")


@contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """While a command runs, show warnings as one ``warning:`` line each on the stderr console.

    scalinglaws' own warnings are always shown (never turned into errors or silenced by an outer
    filter); other warnings keep the filters in force. Everything is restored on exit.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("default", ToolkitWarning)
        warnings.showwarning = _show_warning
        yield


class Steps:
    """What :func:`progress` yields: call it when a step is done, naming the next; ``chunks`` counts the
    finished chunks of work an executor runs (here or across a cluster) as a bar of their own."""

    def __init__(self, step: Callable[[str], None], chunks: Callable[[int, int, str], None]) -> None:
        self._step = step
        self._chunks = chunks

    def __call__(self, description: str) -> None:
        self._step(description)

    def chunks(self, finished: int, total: int, label: str) -> None:
        """``finished`` of ``total`` chunks of ``label`` are done (an executor's ``progress``)."""
        self._chunks(finished, total, label)


@contextmanager
def progress(total: int, first: str) -> Iterator[Steps]:
    """A progress bar on stderr over ``total`` steps; yields ``advance(next_step_description)``.

    Call ``advance`` when a step is done, naming the step that starts next (``""`` after the last);
    pass ``advance.chunks`` as an executor's ``progress`` to count its chunks too. The bar shows only
    when stderr is a terminal (and disappears when done); otherwise each step is one ``note`` line, and
    chunks a line at the start, at every tenth and at the end, so logs stay plain and short.
    """
    console = stderr()
    if not console.is_terminal:
        shown: dict[str, int] = {}

        def step(description: str) -> None:
            if description:
                note(description)

        def chunks(finished: int, total: int, label: str) -> None:
            tenth = finished * 10 // max(total, 1)
            if finished in (0, total) or tenth > shown.get(label, 0):
                shown[label] = tenth
                note(f"{label}: {finished} of {total} chunks done")

        step(first)
        yield Steps(step, chunks)
        return
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(first, total=total)
        chunk_tasks: dict[str, TaskID] = {}

        def advance(description: str) -> None:
            bar.update(task, advance=1, description=description)

        def chunks(finished: int, total: int, label: str) -> None:
            if label not in chunk_tasks:
                chunk_tasks[label] = bar.add_task(f"  {label} (chunks)", total=total)
            bar.update(chunk_tasks[label], completed=finished, total=total)

        yield Steps(advance, chunks)
