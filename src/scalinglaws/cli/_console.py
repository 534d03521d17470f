"""The CLI's two streams: results go to stdout, everything else to one stderr console.

stdout carries results only (a table, CSV or one JSON document) and is written with ``typer.echo``, so
nothing in it is styled or wrapped. Progress, notes, warnings and errors go through :func:`stderr`, a single
``rich`` console; rich turns colour off by itself when stderr is not a terminal (and honours ``NO_COLOR``).
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any, TextIO

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
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


def result_json(document: Any, *, indent: int | None = None) -> None:
    """Write one strict JSON document to stdout: the one encoding of every ``--json`` output (a
    non-finite number is ``{"$float": "inf"}``; see :mod:`scalinglaws.data.strict_json`)."""
    from scalinglaws.data import strict_json

    typer.echo(strict_json.dumps(document, indent=indent))


TABLE_WIDTH = 100
"""Columns a result table may use: tables wrap their cells to fit, whatever the terminal."""


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else ("nan" if math.isnan(value) else f"{value}")
    if isinstance(value, int):
        return f"{value:.4g}" if abs(value) >= 1e6 else str(value)
    return str(value)


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    wrap: Sequence[str] = (),
    width: int = TABLE_WIDTH,
    keep: int = 0,
) -> str:
    """Rows as a plain-text table that fits ``width`` columns: numbers with four significant digits
    and right-aligned, text left-aligned; columns named in ``wrap`` wrap their text to fit (a cell of
    up to ``keep`` characters stays on one line), the others keep each cell on one line. Rendered by
    rich with no colour, so it reads the same in a pipe."""
    from rich import box
    from rich.table import Table

    raw = [list(row) for row in rows]
    materialised = [[_cell(v) for v in row] for row in raw]
    numeric = [
        bool(raw) and all(r[i] is None or (isinstance(r[i], int | float) and not isinstance(r[i], bool)) for r in raw)
        for i in range(len(header))
    ]
    grid = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", show_edge=False, pad_edge=False,
                 expand=False)
    for i, name in enumerate(header):
        # Cells keep their whole value (numbers never break); a long header folds over two lines.
        longest = max((len(row[i]) for row in materialised), default=1)
        grid.add_column(name, justify="right" if numeric[i] else "left", overflow="fold",
                        min_width=min(longest, keep) or None if name in wrap else longest)
    for row in materialised:
        grid.add_row(*row)
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False,
            emoji=False).print(grid, crop=False)  # a line too long for `width` is kept whole
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip("\n").splitlines())


def frame_table(frame: Any, *, title: str | None = None, wrap: Sequence[str] = (),
                columns: Sequence[str] | None = None) -> str:
    """A polars DataFrame as :func:`table` (no ``shape:`` banner, no dtypes, widths within 100)."""
    chosen = list(columns) if columns is not None else list(frame.columns)
    rows = [[row[c] for c in chosen] for row in frame.select(chosen).to_dicts()]
    return table(chosen, rows, title=title, wrap=wrap)


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


STEP_NOTES = 10
"""Without a terminal, per-item progress is a note at every tenth of the work (not one per item)."""


@contextmanager
def counted(description: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """Progress over ``total`` items (bootstrap resamples, backtest splits, laws) with the time left;
    yields ``update(done, total)``, the callback the library's ``progress=`` arguments take.

    On a terminal: a bar with the count, elapsed time and an estimate of the time remaining. Otherwise
    a note at each tenth of the work with the same estimate, so logs show that a long run moves.
    """
    import time

    console = stderr()
    if not console.is_terminal:
        start = time.monotonic()
        shown = [0]
        note(description)

        def note_step(done: int, of: int) -> None:
            tenth = (STEP_NOTES * done) // max(of, 1)
            if tenth <= shown[0] or done == 0:
                return
            shown[0] = tenth
            elapsed = time.monotonic() - start
            left = elapsed * (of - done) / done
            note(f"{description}: {done}/{of}, {_duration(elapsed)} so far, about {_duration(left)} left")

        yield note_step
        return
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)

        def update(done: int, of: int) -> None:
            bar.update(task, completed=done, total=of)

        yield update


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
