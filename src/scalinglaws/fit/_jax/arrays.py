"""A problem's data as JAX arrays, the static description its kernels are compiled for, and buckets.

Kernels are compiled once per :class:`Spec` and array shape. To keep the shapes few, batch rows and
data points are padded up to a power of two (:func:`bucket`): padded rows repeat a real row and are
dropped from the output; padded points copy a real point with weight 0, so they add exactly nothing to
the objective or its derivatives. A backtest's splits, or the chunks of a grid, then share kernels.

The data of every batch row is one row of a table: a plain problem has one row (its data set), a stack
of groups one row per group, and per-row weights or targets (a bootstrap's resamples) one row per batch
row; :class:`Rows` says which table row each batch row reads.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from scalinglaws.fit._problem import Problem
from scalinglaws.laws._jax import JaxFormula, jax_formula, require_jax

LEAST_ROWS = 8
"""Batches of fewer rows are padded to this many (one kernel for every small batch)."""
LEAST_POINTS = 8
"""Data sets of fewer points are padded to this many."""


def bucket(size: int, least: int) -> int:
    """The padded size of ``size`` rows or points: the next power of two, at least ``least``."""
    return max(least, 1 << max(size - 1, 0).bit_length())


@contextmanager
def float64() -> Iterator[None]:
    """Run JAX in float64 inside the block only (``jax.enable_x64`` is thread-local; the global
    ``jax_enable_x64`` setting of the process is left alone)."""
    jax = require_jax()
    with jax.enable_x64(True):
        yield


@dataclass(frozen=True)
class Spec:
    """What a kernel is compiled for; hashable, it is jit's static argument.

    ``single``: the problem has one block of points (ungrouped, or a stack of groups), so every point
    reads the same law parameters; otherwise each point reads its block's copies.
    """

    formula: JaxFormula
    loss: str
    space: str
    n_law: int
    pairs: tuple[tuple[int, int], ...]
    single: bool
    n_blocks: int


class Tables(NamedTuple):
    """The data of a call, as device arrays (a pytree: jit's traced argument).

    ``x`` holds one table per law input, ``(R, n)`` or ``(R, n, H)`` for a history input; ``y`` and
    ``w`` are ``(R, n)``; ``block_of_point`` ``(n,)`` and ``block_index`` ``(n_blocks, n_law)`` map each
    point to its block and each block's law parameters to positions in the expanded vector.
    """

    x: tuple[Any, ...]
    y: Any
    w: Any
    block_of_point: Any
    block_index: Any
    delta: Any
    asymmetry: Any
    prior_index: Any
    prior_mean: Any
    prior_precision: Any


class Rows(NamedTuple):
    """Per batch row, the row of the ``x``, ``y`` and ``w`` tables it reads, each ``(B,)``."""

    x: Any
    y: Any
    w: Any


@dataclass(frozen=True, eq=False)
class Layout:
    """A problem's padded host arrays and kernel spec (built once per problem)."""

    spec: Spec
    x: tuple[np.ndarray, ...]
    y: np.ndarray
    w: np.ndarray
    block_of_point: np.ndarray
    block_index: np.ndarray
    prior: tuple[np.ndarray, np.ndarray, np.ndarray]
    stacked: bool
    n_points: int
    n_pad: int
    delta: float
    asymmetry: float
    _device: dict[str, Tables] = field(default_factory=dict, repr=False)

    def tables(self) -> Tables:
        """The problem's own tables on the device (transferred once)."""
        if "tables" not in self._device:
            import jax.numpy as jnp

            self._device["tables"] = Tables(
                x=tuple(jnp.asarray(v) for v in self.x),
                y=jnp.asarray(self.y),
                w=jnp.asarray(self.w),
                block_of_point=jnp.asarray(self.block_of_point),
                block_index=jnp.asarray(self.block_index),
                delta=jnp.asarray(self.delta, dtype=jnp.float64),
                asymmetry=jnp.asarray(self.asymmetry, dtype=jnp.float64),
                prior_index=jnp.asarray(self.prior[0]),
                prior_mean=jnp.asarray(self.prior[1]),
                prior_precision=jnp.asarray(self.prior[2]),
            )
        return self._device["tables"]

    def pad_points(self, values: np.ndarray, fill: str) -> np.ndarray:
        """``(B, n)`` per-row values padded to ``(B, n_pad)``: copies of point 0, or zeros."""
        return _pad_axis1(values, self.n_pad, fill)


_LAYOUTS: weakref.WeakKeyDictionary[Problem, Layout] = weakref.WeakKeyDictionary()


def layout(problem: Problem) -> Layout:
    """The padded arrays and kernel spec of ``problem`` (cached while the problem lives)."""
    if problem not in _LAYOUTS:
        _LAYOUTS[problem] = _build(problem)
    return _LAYOUTS[problem]


def _pad_axis1(values: np.ndarray, n_pad: int, fill: str) -> np.ndarray:
    extra = n_pad - values.shape[1]
    if extra == 0:
        return values
    if fill == "zero":
        tail = np.zeros((values.shape[0], extra, *values.shape[2:]), dtype=values.dtype)
    else:
        tail = np.repeat(values[:, :1], extra, axis=1)
    return np.concatenate([values, tail], axis=1)


def _build(problem: Problem) -> Layout:
    law = problem.law
    stacked = problem.y.ndim == 2
    n = problem.n_points
    n_pad = bucket(n, LEAST_POINTS)
    if stacked:  # a stack of groups: one table row per group, one block of law parameters
        x = tuple(np.asarray(problem.x[name], dtype=float) for name in law.inputs)
        y, w = problem.y, problem.weights
        block_of_point = np.zeros(n, dtype=np.int32)
    else:
        x = tuple(np.asarray(problem.x[name], dtype=float)[None] for name in law.inputs)
        y, w = problem.y[None], problem.weights[None]
        block_of_point = np.zeros(n, dtype=np.int32)
        for b, block in enumerate(problem.blocks):
            block_of_point[block.rows] = b
    block_index = np.array([b.index for b in problem.blocks], dtype=np.int32).reshape(
        len(problem.blocks), len(law.param_names)
    )
    prior = problem.prior
    if prior is None:
        priors = (np.zeros(0, dtype=np.int32), np.zeros(0), np.zeros(0))
    else:
        priors = (prior.index.astype(np.int32), prior.mean.astype(float), prior.precision.astype(float))
    spec = Spec(
        formula=jax_formula(law.compiled),
        loss=problem.loss,
        space=problem.space,
        n_law=len(law.param_names),
        pairs=tuple((int(a), int(c)) for a, c in law.compiled.hessian_pairs),
        single=len(problem.blocks) == 1,
        n_blocks=len(problem.blocks),
    )
    pad_block = np.full(n_pad - n, block_of_point[0] if n else 0, dtype=np.int32)
    return Layout(
        spec=spec,
        x=tuple(_pad_axis1(v, n_pad, "copy") for v in x),
        y=_pad_axis1(np.asarray(y, dtype=float), n_pad, "copy"),
        w=_pad_axis1(np.asarray(w, dtype=float), n_pad, "zero"),
        block_of_point=np.concatenate([block_of_point, pad_block]),
        block_index=block_index,
        prior=priors,
        stacked=stacked,
        n_points=n,
        n_pad=n_pad,
        delta=float(problem.delta),
        asymmetry=float(problem.asymmetry),
    )


def call_data(
    problem: Problem,
    batch: int,
    weights: np.ndarray | None,
    targets: np.ndarray | None,
    owner: np.ndarray | None,
) -> tuple[Layout, Tables, Rows]:
    """The tables and rows of a call on ``batch`` rows (per-row ``weights``/``targets`` ``(B, n)`` and
    ``owner`` ``(B,)`` as the NumPy kernels take them), before the rows are padded."""
    import jax.numpy as jnp

    shape = layout(problem)
    tables = shape.tables()
    own = np.zeros(batch, dtype=np.int32) if owner is None or not shape.stacked else owner.astype(np.int32)
    every = np.arange(batch, dtype=np.int32)
    y_row = w_row = own
    if targets is not None:
        targets = np.broadcast_to(targets, (batch, shape.n_points))
        tables = tables._replace(y=jnp.asarray(shape.pad_points(np.asarray(targets, dtype=float), "copy")))
        y_row = every
    if weights is not None:
        weights = np.broadcast_to(weights, (batch, shape.n_points))
        tables = tables._replace(w=jnp.asarray(shape.pad_points(np.asarray(weights, dtype=float), "zero")))
        w_row = every
    return shape, tables, Rows(own, y_row, w_row)


def pad_rows(values: np.ndarray, size: int) -> np.ndarray:
    """``values`` (rows first) padded to ``size`` rows by repeating its first row."""
    extra = size - values.shape[0]
    if extra <= 0:
        return values
    return np.concatenate([values, np.repeat(values[:1], extra, axis=0)])


def take_rows(rows: Rows, index: np.ndarray) -> Rows:
    """The rows ``index`` of every per-row table index (on the host)."""
    return Rows(*(np.asarray(r)[index] for r in rows))
