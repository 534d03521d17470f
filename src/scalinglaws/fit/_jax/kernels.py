"""The objective and its derivatives for one batch row, ``vmap``ped over the rows and jitted.

These are the JAX twins of :meth:`Problem.objective` and :meth:`Problem.derivatives`: the same robust
loss, the same residuals, the same exact and Gauss-Newton Hessians from the formula's fused first and
second derivatives, and the same treatment of values that are not finite (a row whose residuals are
not all finite scores ``inf``; non-finite slopes, Jacobian entries and contracted second derivatives
count as zero). Rounding differs from NumPy's only in the order of sums and in the last bit of
transcendental functions.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from scalinglaws.fit._jax.arrays import (
    LEAST_ROWS,
    Rows,
    Spec,
    Tables,
    bucket,
    call_data,
    float64,
    pad_rows,
)
from scalinglaws.fit._problem import Problem

Array = Any


# --- the robust losses of scalinglaws.fit.losses, on JAX arrays -------------------------------------


def rho(r: Array, loss: str, delta: Array) -> Array:
    import jax.numpy as jnp

    if loss == "squared":
        return 0.5 * r * r
    a = jnp.abs(r)
    return jnp.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))


def psi(r: Array, loss: str, delta: Array) -> Array:
    import jax.numpy as jnp

    return r if loss == "squared" else jnp.clip(r, -delta, delta)


def psi_slope(r: Array, loss: str, delta: Array) -> Array:
    import jax.numpy as jnp

    return jnp.ones_like(r) if loss == "squared" else (jnp.abs(r) <= delta).astype(r.dtype)


def irls_weight(r: Array, loss: str, delta: Array) -> Array:
    import jax.numpy as jnp

    if loss == "squared":
        return jnp.ones_like(r)
    a = jnp.abs(r)
    return jnp.where(a <= delta, 1.0, delta / jnp.maximum(a, delta))


def side_weight(r: Array, asymmetry: Array) -> Array:
    """``asymmetry`` on over-predictions; 1 elsewhere (also where ``r`` is NaN, as in NumPy)."""
    import jax.numpy as jnp

    return jnp.where(r > 0, asymmetry, 1.0)


# --- one batch row ----------------------------------------------------------------------------------


def inputs(tables: Tables, row: Array) -> list[Array]:
    """The law inputs of table row ``row``: ``(n,)``, or ``(n, H)`` for a history input."""
    return [x[row] for x in tables.x]


def law_values(spec: Spec, tables: Tables, params: Array) -> list[Array]:
    """The law parameters of a row: scalars for one block, else ``(n,)`` (each point its block's)."""
    if spec.single:
        index = tables.block_index[0]
        return [params[index[j]] for j in range(spec.n_law)]
    point = tables.block_index[tables.block_of_point]
    return [params[point[:, j]] for j in range(spec.n_law)]


def residuals(spec: Spec, prediction: Array, y: Array) -> Array:
    """Prediction minus target, in log or linear space; NaN where the log is undefined."""
    import jax.numpy as jnp

    if spec.space == "linear":
        return prediction - y
    return jnp.where(prediction > 0, jnp.log(prediction), jnp.nan) - jnp.log(y)


def penalty(tables: Tables, params: Array) -> Array:
    """The prior's part of the objective (0 without a prior: its index is empty)."""
    import jax.numpy as jnp

    gap = params[tables.prior_index] - tables.prior_mean
    return 0.5 * jnp.sum(tables.prior_precision * gap * gap)


def row_objective(spec: Spec, tables: Tables, params: Array, rx: Array, ry: Array, rw: Array) -> Array:
    """The weighted robust loss of one row; ``inf`` where a residual is not finite."""
    import jax.numpy as jnp

    prediction = spec.formula.value(*inputs(tables, rx), *law_values(spec, tables, params))
    r = residuals(spec, prediction, tables.y[ry])
    w = tables.w[rw] * side_weight(r, tables.asymmetry)
    total = jnp.sum(w * rho(r, spec.loss, tables.delta))
    finite = jnp.all(jnp.isfinite(r) | (w == 0))
    return jnp.where(finite & jnp.isfinite(total), total, jnp.inf) + penalty(tables, params)


def _pair_positions(spec: Spec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.array([i for i, _ in spec.pairs], dtype=np.int32)
    c = np.array([j for _, j in spec.pairs], dtype=np.int32)
    return a, c, a != c


def _contract_single(spec: Spec, second: Array, coefficient: Array) -> Array:
    """``sum_n coefficient[n] * d2 f[n] / d(law params)2``, ``(p, p)``; non-finite sums count 0."""
    import jax.numpy as jnp

    out = jnp.zeros((spec.n_law, spec.n_law))
    if not spec.pairs:
        return out
    a, c, off = _pair_positions(spec)
    total = jnp.nan_to_num(second @ coefficient, nan=0.0, posinf=0.0, neginf=0.0)
    out = out.at[a, c].add(total)
    return out.at[c[off], a[off]].add(total[off])


def _contract_blocks(spec: Spec, tables: Tables, second: Array, coefficient: Array, size: int) -> Array:
    """The same over the expanded vector, summed per block (a non-finite block sum counts 0)."""
    import jax
    import jax.numpy as jnp

    out = jnp.zeros((size, size))
    if not spec.pairs:
        return out
    a, c, off = _pair_positions(spec)
    per_block = jax.ops.segment_sum(
        (second * coefficient[None, :]).T, tables.block_of_point, num_segments=spec.n_blocks
    )
    total = jnp.nan_to_num(per_block, nan=0.0, posinf=0.0, neginf=0.0)
    rows, cols = tables.block_index[:, a], tables.block_index[:, c]
    out = out.at[rows, cols].add(total)
    return out.at[cols[:, off], rows[:, off]].add(total[:, off])


def row_derivatives(
    spec: Spec, tables: Tables, params: Array, rx: Array, ry: Array, rw: Array
) -> tuple[Array, Array, Array]:
    """Objective gradient ``(P,)``, exact Hessian and IRLS (Gauss-Newton) Hessian ``(P, P)`` of a row."""
    import jax.numpy as jnp

    p = spec.n_law
    outs = spec.formula.with_hessian(*inputs(tables, rx), *law_values(spec, tables, params))
    prediction = outs[0]
    law_jac = jnp.stack(outs[1 : 1 + p], axis=-1)
    second = jnp.stack(outs[1 + p :]) if spec.pairs else None
    r = residuals(spec, prediction, tables.y[ry])
    if spec.space == "log":
        law_jac = law_jac / prediction[:, None]
    w = tables.w[rw] * side_weight(r, tables.asymmetry)
    slope = jnp.nan_to_num(w * psi(r, spec.loss, tables.delta))
    curvature = jnp.nan_to_num(w * irls_weight(r, spec.loss, tables.delta))
    inside = jnp.nan_to_num(w * psi_slope(r, spec.loss, tables.delta))
    law_jac = jnp.nan_to_num(law_jac, posinf=0.0, neginf=0.0)
    if spec.space == "linear":
        middle, coefficient = inside, slope
    else:  # d2 log f = d2 f / f - (d log f)(d log f)^T
        middle, coefficient = inside - slope, jnp.nan_to_num(slope / prediction)
    size = params.shape[0]
    if spec.single:
        index = tables.block_index[0]
        grad = jnp.zeros(size).at[index].add(law_jac.T @ slope)
        irls_law = (law_jac.T * curvature) @ law_jac
        exact_law = (law_jac.T * middle) @ law_jac
        if second is not None:
            exact_law = exact_law + _contract_single(spec, second, coefficient)
        square = (index[:, None], index[None, :])
        irls = jnp.zeros((size, size)).at[square].add(irls_law)
        exact = jnp.zeros((size, size)).at[square].add(exact_law)
    else:
        point = tables.block_index[tables.block_of_point]
        n = prediction.shape[0]
        jac = jnp.zeros((n, size)).at[jnp.arange(n)[:, None], point].set(law_jac)
        grad = jac.T @ slope
        irls = (jac.T * curvature) @ jac
        exact = (jac.T * middle) @ jac
        if second is not None:
            exact = exact + _contract_blocks(spec, tables, second, coefficient, size)
    # Normal priors are quadratic: their gradient and (exact = Gauss-Newton) curvature add on.
    index, precision = tables.prior_index, tables.prior_precision
    grad = grad.at[index].add(precision * (params[index] - tables.prior_mean))
    exact = exact.at[index, index].add(precision)
    irls = irls.at[index, index].add(precision)
    return grad, exact, irls


# --- batches ----------------------------------------------------------------------------------------


def batch_objective(spec: Spec, tables: Tables, rows: Rows, params: Array) -> Array:
    """:func:`row_objective` of every row of ``params`` ``(B, P)``."""
    import jax

    def one(p: Array, rx: Array, ry: Array, rw: Array) -> Array:
        return row_objective(spec, tables, p, rx, ry, rw)

    return jax.vmap(one)(params, rows.x, rows.y, rows.w)


def batch_derivatives(spec: Spec, tables: Tables, rows: Rows, params: Array) -> tuple[Array, Array, Array]:
    """:func:`row_derivatives` of every row of ``params`` ``(B, P)``."""
    import jax

    def one(p: Array, rx: Array, ry: Array, rw: Array) -> tuple[Array, Array, Array]:
        return row_derivatives(spec, tables, p, rx, ry, rw)

    return jax.vmap(one)(params, rows.x, rows.y, rows.w)


@cache
def jitted(name: str) -> Any:
    """The jitted batch kernel ``name`` (its spec is static: compiled once per law, loss and shape)."""
    import jax

    kernels = {"objective": batch_objective, "derivatives": batch_derivatives}
    return jax.jit(kernels[name], static_argnums=0)


def _call(
    name: str,
    problem: Problem,
    params: np.ndarray,
    weights: np.ndarray | None,
    targets: np.ndarray | None,
    owner: np.ndarray | None,
) -> Any:
    import jax.numpy as jnp

    batch = params.shape[0]
    shape, tables, rows = call_data(problem, batch, weights, targets, owner)
    size = bucket(batch, LEAST_ROWS)
    padded = Rows(*(pad_rows(np.asarray(r), size) for r in rows))
    values = jnp.asarray(pad_rows(np.asarray(params, dtype=float), size))
    return jitted(name)(shape.spec, tables, padded, values)


def objective(
    problem: Problem,
    params: np.ndarray,
    weights: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    owner: np.ndarray | None = None,
) -> np.ndarray:
    """The objective of each row of ``params`` ``(B, P)``, as :meth:`Problem.objective` computes it."""
    batch = params.shape[0]
    if batch == 0:
        return np.zeros(0)
    with float64():
        return np.array(_call("objective", problem, params, weights, targets, owner))[:batch]


def derivatives(
    problem: Problem,
    params: np.ndarray,
    weights: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    owner: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient, exact Hessian and IRLS Hessian of each row, as :meth:`Problem.derivatives`."""
    batch, size = params.shape
    if batch == 0:
        return np.zeros((0, size)), np.zeros((0, size, size)), np.zeros((0, size, size))
    with float64():
        grad, exact, irls = _call("derivatives", problem, params, weights, targets, owner)
        return np.array(grad)[:batch], np.array(exact)[:batch], np.array(irls)[:batch]
