"""Figures drawn by a second process: the same page byte for byte, and a failing worker costs nothing."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import polars as pl
import pytest

import scalinglaws as sl
from scalinglaws.report import figure_pool, render_report
from scalinglaws.report.pool import compile_law
from scalinglaws.report.sections._blocks import QUEUED, figure, rendering


class _Broken(Executor):
    """An executor whose every job fails as a dead worker's would."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        future: Future[Any] = Future()
        future.set_exception(BrokenProcessPool("the worker died"))
        return future


def _page(fitted: sl.FitResult, runs: pl.DataFrame, scores: sl.BacktestResult, pool: Executor | None) -> str:
    return render_report(fitted, runs, backtest=scores, title="pool", pool=pool)


def test_a_fit_and_its_draws_pickle(fitted: sl.FitResult, runs: pl.DataFrame) -> None:
    copy = pickle.loads(pickle.dumps(fitted))
    assert copy.params == fitted.params
    assert copy.predict(runs).tolist() == fitted.predict(runs).tolist()
    assert copy.bootstrap is not None
    assert copy.bootstrap.n_boot == 100
    with pytest.raises(TypeError):  # an unpickled fit's parameters stay read-only
        copy.params["E"] = 0.0  # type: ignore[index]


def test_the_page_is_the_same_with_figures_drawn_by_a_worker(
    fitted: sl.FitResult, runs: pl.DataFrame, scores: sl.BacktestResult
) -> None:
    alone = _page(fitted, runs, scores, None)
    with figure_pool() as pool:
        assert pool is not None  # the test machines have two cores
        pool.submit(compile_law, fitted.law).result()
        shared = _page(fitted, runs, scores, pool)
    assert "\x00" not in shared
    assert shared == alone


def test_figures_a_broken_worker_did_not_draw_are_drawn_here(
    fitted: sl.FitResult, runs: pl.DataFrame, scores: sl.BacktestResult
) -> None:
    broken = _Broken()
    page = _page(fitted, runs, scores, broken)
    assert broken.submitted >= 3  # every other figure was sent
    assert page == _page(fitted, runs, scores, None)


def _warning_figure(figure: Any) -> None:
    figure.add_subplot().plot([1, 2], [3, 4])
    warnings.warn("drawn with a caveat", sl.ExtrapolationWarning, stacklevel=1)


class _Held(Executor):
    """An executor that holds each job (pickled, as a worker would receive it) until ``release``."""

    def __init__(self) -> None:
        self.held: list[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        fn, args = pickle.loads(pickle.dumps((fn, args)))
        self.held.append((future, fn, args))
        return future

    def release(self) -> None:
        for future, fn, args in self.held:
            future.set_result(fn(*args))


def _four_figures() -> str:
    return "".join(figure(_warning_figure, (2.0, 1.5), "a", "b", f"f{i}") for i in range(4))


def test_figures_go_to_the_worker_while_it_keeps_up_and_are_drawn_here_otherwise() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        alone = _four_figures()
        assert len(caught) == 4
        held = _Held()
        with rendering(held) as fill:
            composed = _four_figures()
            assert len(held.held) == QUEUED  # the rest were drawn here, their warnings raised now
            assert len(caught) == 4 + 4 - QUEUED
            held.release()
            page = fill(composed)
    assert page == alone
    # the worker's warnings are raised again here, when its figures are filled in
    assert [(w.category, str(w.message)) for w in caught] == [(sl.ExtrapolationWarning, "drawn with a caveat")] * 8
