"""Variable projection: for given nonlinear parameters, solve the linear ones exactly (batched).

Bounds on linear parameters are honoured exactly by enumerating which of them sit at a bound, which is
cheap for the few amplitudes and offsets a scaling law has. Huber and log-space residuals are handled
by Gauss-Newton with iteratively reweighted least squares.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from scalinglaws.fit._linalg import solve_spd
from scalinglaws.fit._problem import Problem
from scalinglaws.fit.losses import irls_weight, side_weight
from scalinglaws.laws import evaluate

MAX_ACTIVE_SETS = 128
"""Above this many bound combinations, linear parameters are fitted like the nonlinear ones."""


def linear_structure(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Indices (into the expanded parameter vector) of the free linear and the free nonlinear
    parameters; fixed parameters are in neither."""
    law_linear = set(problem.law.compiled.linear_params)
    positions = [j for j, n in enumerate(problem.law.param_names) if n in law_linear]
    free = set(problem.free.tolist())
    linear = sorted({int(b.index[j]) for b in problem.blocks for j in positions} & free)
    nonlinear = [i for i in sorted(free) if i not in linear]
    return np.array(linear, dtype=int), np.array(nonlinear, dtype=int)


def active_set_count(lower: np.ndarray, upper: np.ndarray) -> int:
    return int(np.prod([1 + np.isfinite(lo) + np.isfinite(hi) for lo, hi in zip(lower, upper, strict=True)]))


def _basis(problem: Problem, linear: np.ndarray, theta_full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offset ``(M, n)`` and columns ``(M, n, k)`` with prediction = offset + columns @ c."""
    compiled = problem.law.compiled
    offset_fn, column_fns = compiled.basis
    names = problem.law.param_names
    nl_pos = [names.index(n) for n in compiled.nonlinear_params]
    lin_pos = [names.index(n) for n in compiled.linear_params]
    column_of = {int(c): k for k, c in enumerate(linear)}
    m = theta_full.shape[0]
    offset = np.empty((m, problem.n_points))
    columns = np.zeros((m, problem.n_points, linear.size))
    for block in problem.blocks:
        inputs = [problem.x[n][block.rows] for n in problem.law.inputs]
        values = theta_full[:, block.index[nl_pos], None].transpose(1, 0, 2)
        shape = (m, block.rows.size)
        offset[:, block.where] = evaluate(offset_fn, *inputs, *values, shape=shape)
        for fn, pos in zip(column_fns, lin_pos, strict=True):
            position = int(block.index[pos])
            column = evaluate(fn, *inputs, *values, shape=shape)
            if position in column_of:
                columns[:, block.where, column_of[position]] = column
            else:  # a fixed linear parameter: its term is part of the offset
                offset[:, block.where] += theta_full[:, position, None] * column
    return offset, columns


def normal_equations(design: np.ndarray, target: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``design' W design`` ``(M, k, k)`` and ``design' W target`` ``(M, k)`` of a batch of weighted
    least-squares problems (design ``(M, n, k)``, target and weights ``(M, n)``): sums over the rows,
    so those of consecutive blocks of rows add up to the whole."""
    weighted_t = (design * weights[..., None]).transpose(0, 2, 1)
    return weighted_t @ design, (weighted_t @ target[..., None])[..., 0]


def solve_normal_equations(
    raw: np.ndarray, raw_rhs: np.ndarray, n_rows: int, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Batched ``argmin_c sum w (design @ c - target)**2`` subject to ``lower <= c <= upper``, from its
    normal equations (:func:`normal_equations`: ``raw`` the ``(M, k, k)`` Gram matrices and ``raw_rhs``
    the ``(M, k)`` right-hand sides, over ``n_rows`` rows), as ``c`` of shape ``(M, k)``.

    Exact: the optimum is the unconstrained solution on some choice of parameters held at a bound, and
    every such choice is tried.
    """
    k = raw.shape[-1]
    scale = np.sqrt(np.einsum("nii->ni", raw) / n_rows) + 1e-300
    with np.errstate(all="ignore"):  # an all-zero column: its scale is 1e-300, its Gram entries 0
        gram = raw / scale[:, :, None] / scale[:, None, :]
    rhs = raw_rhs / scale
    ridge = 1e-12 * np.eye(k)
    lo, hi = lower * scale, upper * scale
    # The problem is convex: where the unconstrained optimum is feasible it is the answer, and the
    # choices of parameters held at a bound are tried only for the other rows.
    best = solve_spd(gram + ridge, rhs)
    slack = 1e-9 * (1.0 + np.abs(best))
    feasible = np.all((best >= lo - slack) & (best <= hi + slack), axis=1) & np.all(np.isfinite(best), axis=1)
    best = np.clip(best, lo, hi)
    rows = np.flatnonzero(~feasible)
    if rows.size == 0:
        return best / scale
    gram, rhs, lo, hi = gram[rows], rhs[rows], lo[rows], hi[rows]
    options = [
        [None] + (["lo"] if np.isfinite(lower[j]) else []) + (["hi"] if np.isfinite(upper[j]) else [])
        for j in range(k)
    ]
    sub = np.zeros((rows.size, k))
    best_value = np.full(rows.size, np.inf)
    for combo in itertools.product(*options):
        free = np.array([c is None for c in combo])
        c = np.zeros((rows.size, k))
        for j, where in enumerate(combo):
            if where is not None:
                c[:, j] = lo[:, j] if where == "lo" else hi[:, j]
        if free.any():
            f = np.flatnonzero(free)
            reduced = rhs[:, f] - (gram[:, f][:, :, ~free] @ c[:, ~free, None])[..., 0]
            c[:, f] = solve_spd(gram[:, f][:, :, f] + ridge[: f.size, : f.size], reduced)
            slack = 1e-9 * (1.0 + np.abs(c[:, f]))
            ok = np.all((c[:, f] >= lo[:, f] - slack) & (c[:, f] <= hi[:, f] + slack), axis=1)
            c[:, f] = np.clip(c[:, f], lo[:, f], hi[:, f])
        else:
            ok = np.ones(rows.size, dtype=bool)
        with np.errstate(invalid="ignore", over="ignore"):  # a degenerate Gram: not finite, rejected below
            value = np.sum(c * (gram @ c[..., None])[..., 0] - 2 * rhs * c, axis=1)
        better = ok & np.isfinite(value) & (value < best_value)
        sub[better] = c[better]
        best_value[better] = value[better]
    best[rows] = sub
    return best / scale


def linear_prediction(offset: np.ndarray, columns: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``offset + columns @ c`` per row: offset ``(M, n)``, columns ``(M, n, k)``, c ``(M, k)``."""
    return offset + (columns @ c[..., None])[..., 0]


def project_linear(
    problem: Problem, linear: np.ndarray, theta_full: np.ndarray, n_iter: int = 8,
    weights: np.ndarray | None = None, targets: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``theta_full`` (shape ``(M, n_params)``) with its linear columns at their exact optimum, and the
    law's values there, ``(M, n_points)`` (offset plus columns times the linear parameters, so scoring
    the rows needs no further evaluation of the law). ``weights`` and ``targets`` replace the problem's
    per row, as the bootstrap gives them.

    Returns a new array; rows whose prediction cannot be made positive in log space keep a first
    (relative-error) solution and score ``inf`` later.
    """
    offset, columns = _basis(problem, linear, theta_full)
    y = problem.y if targets is None else targets
    base = np.broadcast_to(problem.weights if weights is None else weights, offset.shape)
    # A trial step may leave the law's domain (an overflowing power): that row's solve is garbage, its
    # objective inf, and the caller rejects it.
    with np.errstate(all="ignore"):
        c = solve_linear(offset, columns, y, base, problem.lower[linear], problem.upper[linear], problem, n_iter)
        prediction = linear_prediction(offset, columns, c)
    out = theta_full.copy()
    out[:, linear] = c
    return out, prediction


ROW_BLOCK = 16_384
"""Rows per block of the reweighting passes: the passes go over the rows a block at a time and add up
the blocks' normal equations, so with the start grid's chunks of cells the working set stays in cache
however many rows there are. The blocks depend on the rows alone, never on how many candidates are
solved together, so a candidate's solution is the same to the last bit in any batch (as the executors
need)."""


def solve_linear(
    offset: np.ndarray,
    columns: np.ndarray,
    y: np.ndarray,
    base: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    problem: Problem | Any,
    n_iter: int,
) -> np.ndarray:
    """The linear parameters ``c`` (shape ``(M, k)``) of ``prediction = offset + columns @ c`` that
    minimise the problem's robust loss (its ``loss``, ``delta``, ``space``, ``asymmetry``), by
    Gauss-Newton with reweighting. ``y`` is ``(n,)`` or one row of targets per candidate ``(M, n)``.

    Each pass solves a weighted least-squares problem in the columns (design ``columns``; its weights
    and target per block of rows from ``c`` of the pass before), its normal equations summed block by
    block. Candidates whose prediction is not positive somewhere keep ``c`` in log space."""
    m, n, k = columns.shape
    log_space = problem.space == "log"
    log_y = np.broadcast_to(np.log(y), offset.shape) if log_space else None
    y = np.broadcast_to(y, offset.shape)
    base = np.broadcast_to(base, offset.shape)
    left = y - offset  # what the columns must explain: the target of every linear-space pass
    blocks = [slice(a, a + ROW_BLOCK) for a in range(0, n, ROW_BLOCK)]
    iterate_weights = problem.loss == "huber" or problem.asymmetry != 1.0

    def first(rows: slice) -> tuple[np.ndarray, np.ndarray]:
        # The first solve: least squares in linear space; relative errors in log space.
        w = base[:, rows] / y[:, rows] ** 2 if log_space else base[:, rows]
        return w, left[:, rows]

    def reweighted(rows: slice) -> tuple[np.ndarray, np.ndarray]:
        prediction = linear_prediction(offset[:, rows], columns[:, rows], c)
        if not log_space:
            r = prediction - y[:, rows]
            w = base[:, rows] * side_weight(r, problem.asymmetry) * irls_weight(r, problem.loss, problem.delta)
            return w, left[:, rows]
        # Gauss-Newton on log(prediction) - log(y): its linearised problem in the Jacobian
        # ``columns / prediction`` is the same weighted least squares in the columns themselves, with
        # weights ``w / prediction**2`` and target ``prediction * (jacobian @ c - r)``.
        positive[:] &= np.all(prediction > 0, axis=1)
        with np.errstate(all="ignore"):
            safe = np.where(prediction > 0, prediction, 1.0)
            r = np.log(safe) - log_y[:, rows]  # type: ignore[index]
        w = base[:, rows] * irls_weight(r, problem.loss, problem.delta)
        if problem.asymmetry != 1.0:
            w = w * side_weight(r, problem.asymmetry)
        return w / safe**2, safe * (1.0 - r) - offset[:, rows]

    def solved(weights_and_target: Any) -> np.ndarray:
        raw, raw_rhs = np.zeros((m, k, k)), np.zeros((m, k))
        for rows in blocks:
            w, target = weights_and_target(rows)
            gram, rhs = normal_equations(columns[:, rows], target, w)
            raw += gram
            raw_rhs += rhs
        return solve_normal_equations(raw, raw_rhs, n, lower, upper)

    c = solved(first)
    for _ in range(n_iter if (log_space or iterate_weights) else 0):
        positive = np.ones(m, dtype=bool)
        update = solved(reweighted)
        if not log_space:
            c = update
        elif not positive.any():
            break
        else:
            c = np.where(positive[:, None], update, c)
    return c
