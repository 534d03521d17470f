"""The batched Levenberg-Marquardt polish as a jitted JAX loop.

The iteration is the NumPy solver's (:mod:`scalinglaws.fit.solver`), row for row: the same convergence
test on the predicted decrease of a Gauss-Newton step, the same damped exact-Hessian step (Gauss-Newton
where it points uphill), the same projection onto the bounds, the same Nielsen update of the damping and
the same stall limit, in the same coordinates (``log`` of the ``logged`` parameters). Rows are
independent; a row that has stopped is carried along unchanged.

NumPy works only on the rows still running. A jitted loop has a fixed shape, so the loop runs on a
batch padded to a power of two (:func:`~scalinglaws.fit._jax.arrays.bucket`) and returns to the host
when few of its rows still run (a sixteenth of a batch of 256 rows or more); the host compacts the
running rows into a smaller batch and resumes. A bootstrap whose resamples mostly converge in a few
steps, and whose few stragglers run for hundreds, costs the work of the running rows, not of all rows,
and compiles the loop for a handful of batch sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

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
from scalinglaws.fit._jax.kernels import batch_derivatives, batch_objective
from scalinglaws.fit._problem import Problem
from scalinglaws.fit.solver import _LAMBDA_INIT, _LAMBDA_MAX, Outcome, Solution

Array = Any

COMPACT_FROM = 256
"""Batches of at least this many rows return to the host for compaction when few rows still run."""
COMPACT_SHARE = 16
"""...namely when at most this fraction (1/16) of their rows still run."""


class State(NamedTuple):
    """Per batch row: the iterate and the solver's bookkeeping (a pytree)."""

    params: Array
    value: Array
    lam: Array
    growth: Array
    active: Array
    converged: Array
    n_iter: Array
    lower: Array
    upper: Array


def _free_mask(params: Array, grad: Array, lower: Array, upper: Array) -> Array:
    at_lower = (params <= lower) & (grad > 0)
    at_upper = (params >= upper) & (grad < 0)
    return ~(at_lower | at_upper) & (lower < upper)


def gauss_solve(a: Array, b: Array) -> Array:
    """``a x = b`` for a batch of small systems (``(B, n, n)``, ``(B, n)``) by Gaussian elimination with
    partial pivoting, unrolled over ``n``; an exactly singular row comes back non-finite.

    Not ``jnp.linalg.solve``: its batched LAPACK kernel parallelises over a thread pool that the XLA CPU
    runtime shares with the loop it runs in, and on 2 cores two of them inside the jitted loop deadlocked
    (every thread waiting in ``LuDecompositionKernel``/``ParallelBatchMap``; seen with 5,000 bootstrap
    refits). Plain array operations cannot wait on each other.
    """
    import jax.numpy as jnp

    n = a.shape[-1]
    every = jnp.arange(a.shape[0])
    m = jnp.concatenate([a, b[..., None]], axis=-1)
    for k in range(n):
        p = jnp.argmax(jnp.abs(m[:, k:, k]), axis=1) + k
        row_k, row_p = m[:, k, :], m[every, p, :]
        m = m.at[:, k, :].set(row_p).at[every, p, :].set(row_k)
        if k + 1 < n:
            factors = m[:, k + 1 :, k] / m[:, k, k][:, None]
            m = m.at[:, k + 1 :, :].add(-factors[..., None] * m[:, k, None, :])
    x = jnp.zeros(b.shape, dtype=m.dtype)
    for k in reversed(range(n)):
        total = m[:, k, n] - jnp.sum(m[:, k, k + 1 : n] * x[:, k + 1 :], axis=1)
        x = x.at[:, k].set(total / m[:, k, k])
    return x


def _damped_steps(grad: Array, hess: Array, damping: Array, free: Array, lam: Array, live: Array) -> Array:
    """Solve ``(H + lam*diag(D)) step = -grad`` on the free parameters, zero on the others, as the NumPy
    solver does; a row whose system is exactly singular gets the least-squares step."""
    import jax
    import jax.numpy as jnp

    scale = jnp.where(free & (damping > 0), jnp.sqrt(jnp.maximum(damping, 1e-300)), 1.0)
    h = hess / scale[:, :, None] / scale[:, None, :]
    g = grad / scale
    h = jnp.where(free[:, :, None] & free[:, None, :], h, 0.0)
    eye = jnp.eye(h.shape[-1])
    h = h + eye * (lam[:, None, None] * free[:, None, :] + (~free)[:, None, :]) + 1e-14 * eye
    rhs = -jnp.where(free, g, 0.0)
    step = gauss_solve(h, rhs)
    finite_system = jnp.all(jnp.isfinite(h), axis=(1, 2)) & jnp.all(jnp.isfinite(rhs), axis=1)
    singular = live & finite_system & ~jnp.all(jnp.isfinite(step), axis=1)

    def least_squares(step: Array) -> Array:
        # The minimum-norm least-squares step as the limit of the ridge-regularised normal equations
        # (the ridge 1e-14 of their mean diagonal: far below any curvature that sets a step).
        normal = jnp.einsum("bki,bkj->bij", h, h)
        ridge = 1e-14 * jnp.maximum(jnp.einsum("bii->b", normal) / h.shape[-1], 1e-300)
        regular = normal + ridge[:, None, None] * jnp.eye(h.shape[-1])
        fallback = gauss_solve(regular, jnp.einsum("bki,bk->bi", h, rhs))
        return jnp.where(singular[:, None], fallback, step)

    step = jax.lax.cond(jnp.any(singular), least_squares, lambda s: s, step)
    return jnp.where(free, step / scale, 0.0)


def _natural(u: Array, logged: Array) -> Array:
    import jax.numpy as jnp

    return jnp.where(logged, jnp.exp(u), u)


def _iteration(
    spec: Spec, tables: Tables, rows: Rows, s: State, rtol: Array, floor: Array, logged: Array
) -> State:
    """One pass of the NumPy solver's loop over every row (stopped rows are left as they are)."""
    import jax.numpy as jnp

    theta = _natural(s.params, logged)
    grad, exact, irls = batch_derivatives(spec, tables, rows, theta)
    # The chain rule through theta = exp(u) on the logged columns, as the NumPy solver's _derivatives.
    scale = jnp.where(logged, theta, 1.0)
    outer = scale[:, :, None] * scale[:, None, :]
    grad = grad * scale
    exact = exact * outer + jnp.where(logged, grad, 0.0)[:, :, None] * jnp.eye(grad.shape[-1])
    irls = irls * outer
    damping = jnp.einsum("bii->bi", irls)
    free = _free_mask(s.params, grad, s.lower, s.upper)
    gauss_newton = _damped_steps(grad, irls, damping, free, jnp.zeros_like(s.lam), s.active)
    decrease = -jnp.einsum("bi,bi->b", grad, gauss_newton) / 2
    done = s.active & (decrease <= rtol * s.value + floor)
    converged = s.converged | done
    go = s.active & ~done
    exact_step = _damped_steps(grad, exact, damping, free, s.lam, go)
    uphill = ~(jnp.einsum("bi,bi->b", grad, exact_step) < 0)
    irls_step = _damped_steps(grad, irls, damping, free, s.lam, go & uphill)
    step = jnp.where(uphill[:, None], irls_step, exact_step)
    model = jnp.where(uphill[:, None, None], irls, exact)
    trial = jnp.clip(s.params + step, s.lower, s.upper)
    step = trial - s.params
    predicted = -(
        jnp.einsum("bi,bi->b", grad, step) + 0.5 * jnp.einsum("bi,bij,bj->b", step, model, step)
    )
    trial_value = batch_objective(spec, tables, rows, _natural(trial, logged))
    better = go & (trial_value < s.value)
    gain = (s.value - trial_value) / predicted
    # Nielsen's update: shrink the damping by how well the model predicted the decrease.
    shrink = jnp.maximum(1 / 3, 1 - (2 * jnp.clip(jnp.nan_to_num(gain), 0, 1) - 1) ** 3)
    lam = jnp.where(go, jnp.where(better, jnp.maximum(s.lam * shrink, 1e-12), s.lam * s.growth), s.lam)
    growth = jnp.where(go, jnp.where(better, 2.0, s.growth * 2), s.growth)
    stuck = go & (lam > _LAMBDA_MAX)
    return State(
        params=jnp.where(better[:, None], trial, s.params),
        value=jnp.where(better, trial_value, s.value),
        lam=lam,
        growth=growth,
        active=go & ~stuck,
        converged=converged,
        n_iter=s.n_iter + go,
        lower=s.lower,
        upper=s.upper,
    )


def _loop(
    spec: Spec, tables: Tables, rows: Rows, state: State, n_steps: Array, keep_going: Array, rtol: Array,
    floor: Array, logged: Array,
) -> tuple[State, Array]:
    """Iterate until ``n_steps`` passes are done or at most ``keep_going`` rows still run."""
    import jax
    import jax.numpy as jnp

    def running(carry: tuple[Array, State]) -> Array:
        k, s = carry
        return (k < n_steps) & (jnp.sum(s.active) > keep_going)

    def step(carry: tuple[Array, State]) -> tuple[Array, State]:
        k, s = carry
        return k + 1, _iteration(spec, tables, rows, s, rtol, floor, logged)

    k, state = jax.lax.while_loop(running, step, (jnp.asarray(0), state))
    return state, k


@cache
def _jitted_loop() -> Any:
    import jax

    return jax.jit(_loop, static_argnums=0)


def solve(
    problem: Problem,
    start: np.ndarray,
    weights: np.ndarray | None,
    targets: np.ndarray | None,
    lower: np.ndarray | None,
    upper: np.ndarray | None,
    max_iter: int,
    rtol: float,
    owner: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
    logged: np.ndarray | None = None,
) -> Solution:
    """Minimise the objective from each row of ``start``, as the NumPy solver does (same arguments;
    ``progress`` is called with the number of stopped rows each time the jitted loop returns)."""
    from scalinglaws.fit._jax.kernels import objective

    batch = start.shape[0]
    shape = (batch, problem.n_params)
    low = np.array(np.broadcast_to(problem.lower if lower is None else lower, shape), dtype=float)
    high = np.array(np.broadcast_to(problem.upper if upper is None else upper, shape), dtype=float)
    params = np.clip(start.astype(float), low, high)
    value = objective(problem, params, weights, targets, owner)
    logged = np.zeros(problem.n_params, dtype=bool) if logged is None else logged
    params[:, logged] = np.log(params[:, logged])
    low[:, logged], high[:, logged] = -np.inf, np.inf
    started = np.isfinite(value)
    lam = np.full(batch, _LAMBDA_INIT)
    growth = np.full(batch, 2.0)
    active = started.copy()
    converged = np.zeros(batch, dtype=bool)
    n_iter = np.zeros(batch, dtype=np.int64)
    floor = 1e-30 * problem.n_points
    with float64():
        import jax.numpy as jnp

        layout, tables, rows = call_data(problem, batch, weights, targets, owner)
        passes = 0
        while passes < max_iter:
            live = np.flatnonzero(active)
            if live.size == 0:
                break
            size = bucket(live.size, LEAST_ROWS)
            take = pad_rows(live, size)
            real = np.arange(size) < live.size
            state = State(
                params=jnp.asarray(params[take]), value=jnp.asarray(value[take]), lam=jnp.asarray(lam[take]),
                growth=jnp.asarray(growth[take]), active=jnp.asarray(active[take] & real),
                converged=jnp.asarray(converged[take]), n_iter=jnp.asarray(n_iter[take]),
                lower=jnp.asarray(low[take]), upper=jnp.asarray(high[take]),
            )
            batch_rows = Rows(*(pad_rows(np.asarray(r)[live], size) for r in rows))
            keep_going = size // COMPACT_SHARE if size >= COMPACT_FROM else 0
            state, ran = _jitted_loop()(
                layout.spec, tables, batch_rows, state, jnp.asarray(max_iter - passes), jnp.asarray(keep_going),
                jnp.asarray(rtol, dtype=jnp.float64), jnp.asarray(floor, dtype=jnp.float64),
                jnp.asarray(logged),
            )
            n = live.size
            params[live] = np.asarray(state.params)[:n]
            value[live] = np.asarray(state.value)[:n]
            lam[live] = np.asarray(state.lam)[:n]
            growth[live] = np.asarray(state.growth)[:n]
            active[live] = np.asarray(state.active)[:n]
            converged[live] = np.asarray(state.converged)[:n]
            n_iter[live] = np.asarray(state.n_iter)[:n]
            passes += int(ran)
            if progress is not None:
                progress(batch - int(np.count_nonzero(active)))
    outcome = np.select(
        [converged, ~started, n_iter >= max_iter],
        [Outcome.CONVERGED, Outcome.NONFINITE, Outcome.MAX_ITER],
        Outcome.STALLED,
    )
    params[:, logged] = np.exp(params[:, logged])
    return Solution(params, value, outcome, n_iter.astype(int), int(batch + n_iter.sum()))

