"""A second process that draws report figures while this one draws the others.

Start it early (:func:`figure_pool`): it imports matplotlib and loads the fonts while this process
fits, and compiles the law once it is known (:func:`compile_law`), so by the time the figures are
drawn it is ready, and the figures take about half the time on two cores. Pass it to
:func:`scalinglaws.report.render_report` as ``pool``; the page is the same byte for byte.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import TYPE_CHECKING

from scalinglaws.report.figures.panels import figure_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from scalinglaws.laws import Law


@contextmanager
def figure_pool() -> Iterator[Executor | None]:
    """A one-process pool (started with ``spawn``: no state of this process is copied) warming up
    as soon as it is entered; None on a single core or where no process can be started. It is
    shut down, and its process ended, when the block ends, also on an error."""
    if (os.cpu_count() or 1) < 2:
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        try:
            pool.submit(warm_up)
        except (OSError, RuntimeError):  # no process here (a sandbox, a closing interpreter)
            yield None
            return
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def warm_up() -> None:
    """Import what figures need and draw a small one (fonts, mathtext, log axes)."""
    figure_bytes(_sample, (2.0, 1.6), "png")


def compile_law(law: Law) -> None:
    """Compile ``law``'s evaluators in the worker (once per process, then shared by its figures)."""
    _ = law.compiled.value, law.compiled.with_gradient


def _sample(figure: Figure) -> None:
    ax = figure.add_subplot()
    ax.loglog([1e6, 1e9], [3.0, 2.0], marker="o", label=r"$L = E + A N^{-\alpha}$")
    ax.set_xlabel("N")
    ax.legend()
