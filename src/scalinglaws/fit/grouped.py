"""Grouped fits as one batched problem, linear in the number of groups.

A grouped fit (one parameter set per value of a group column, some parameters shared) is solved in two
stages, neither of which ever forms a dense (rows x all parameters) Jacobian:

1. **Every group alone, all at once.** The groups' rows are stacked into a padded ``(groups, rows)``
   table (:class:`Stack`; padding has weight 0), and each group's grid, variable projection and polish
   run as one batch in which every batch row carries its group's data (``owner``).
2. **Shared parameters jointly.** The normal equations of the joint problem are block-arrowhead: a small
   block per group (its own parameters) plus the shared columns. Each Levenberg-Marquardt step solves
   them through the Schur complement of the group blocks: ``O(groups)`` work per step.

The covariance of the joint estimate comes from the same arrowhead information matrix. With no shared
parameter the second stage is empty and the fit is the batch of separate fits.

(Longer than 400 lines for a reason: both stages, the chunking for executors and the per-group
covariance work on the one padded :class:`Stack`; split apart, each would re-derive its layout.)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from scalinglaws.executors import AbstractExecutor, run_chunks
from scalinglaws.fit._linalg import solve_batch
from scalinglaws.fit._problem import Block, Problem, _evaluate_all, build_problem
from scalinglaws.fit._varpro import (
    MAX_ACTIVE_SETS,
    active_set_count,
    linear_prediction,
    solve_linear,
)
from scalinglaws.fit.config import FitConfig
from scalinglaws.fit.init import _lattice, auto, local_minima, solve, start_points
from scalinglaws.fit.layout import ParamLayout
from scalinglaws.fit.multistart import Multistart, ranked, unit_coordinates
from scalinglaws.fit.solver import _LAMBDA_INIT, _LAMBDA_MAX, LevenbergMarquardt, Outcome
from scalinglaws.laws import Law, evaluate

_CELLS_TIMES_ROWS = 2_000_000
"""Grid cells times padded rows scored at once (memory stays flat in the number of groups)."""


@dataclass(frozen=True, eq=False)
class Stack(Problem):
    """A law on the rows of every group, padded to one length: inputs, targets and weights have shape
    ``(groups, rows)``; a batch row of parameters (the law's, in law order) is evaluated on the data of
    the group its ``owner`` entry names."""

    @classmethod
    def of(cls, problem: Problem) -> Stack:
        """The stack of a grouped problem's blocks (law parameters with the first group's specs)."""
        length = max(b.rows.size for b in problem.blocks)
        take = np.array([np.resize(b.rows, length) for b in problem.blocks])  # padding repeats real rows
        pad = np.arange(length)[None, :] >= np.array([b.rows.size for b in problem.blocks])[:, None]
        weights = np.where(pad, 0.0, problem.weights[take])
        first = problem.blocks[0].index
        prior = None
        if problem.prior is not None:
            law_index = np.array([_law_position(problem, int(i)) for i in problem.prior.index])
            unique = np.unique(law_index, return_index=True)[1]
            prior = replace(
                problem.prior, index=law_index[unique], mean=problem.prior.mean[unique],
                sd=problem.prior.sd[unique], precision=problem.prior.precision[unique],
            )
        return cls(
            law=problem.law,
            x={k: v[take] for k, v in problem.x.items()},
            y=problem.y[take],
            weights=weights,
            names=problem.law.param_names,
            lower=problem.lower[first],
            upper=problem.upper[first],
            init_lower=problem.init_lower[first],
            init_upper=problem.init_upper[first],
            init_log=problem.init_log[first],
            blocks=(Block(np.arange(length), np.arange(len(problem.law.param_names))),),
            loss=problem.loss,
            delta=problem.delta,
            space=problem.space,
            asymmetry=problem.asymmetry,
            prior=prior,
            backend=problem.backend,
        )

    @property
    def n_groups(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_points(self) -> int:
        """Rows per group (padded)."""
        return int(self.y.shape[1])

    def _owned(self, owner: np.ndarray | None, batch: int) -> np.ndarray:
        return np.zeros(batch, dtype=int) if owner is None else owner

    def _rows_data(
        self, owner: np.ndarray | None, weights: np.ndarray | None, targets: np.ndarray | None
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        if owner is None:
            return weights, targets
        return (self.weights[owner] if weights is None else weights, self.y[owner] if targets is None else targets)

    def _arguments_of(self, params: np.ndarray, owner: np.ndarray | None) -> list[Any]:
        rows = self._owned(owner, params.shape[0])
        return [*(self.x[n][rows] for n in self.law.inputs), *params[:, :, None].transpose(1, 0, 2)]

    def predict(self, params: np.ndarray, owner: np.ndarray | None = None) -> np.ndarray:
        shape = (params.shape[0], self.n_points)
        return evaluate(self.law.compiled.value, *self._arguments_of(params, owner), shape=shape)

    def with_jacobian(self, params: np.ndarray, owner: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        outs = _evaluate_all(self.law.compiled.with_gradient, self._arguments_of(params, owner),
                             (params.shape[0], self.n_points))
        return outs[0], np.stack(outs[1:], axis=-1)

    def _with_hessian(
        self, params: np.ndarray, owner: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, list[tuple[Block, list[np.ndarray]]]]:
        p = len(self.law.param_names)
        shape = (params.shape[0], self.n_points)
        outs = _evaluate_all(self.law.compiled.with_hessian, self._arguments_of(params, owner), shape)
        return outs[0], np.stack(outs[1 : 1 + p], axis=1), [(self.blocks[0], outs[1 + p :])]

    def basis(self, linear: np.ndarray, params: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Offset ``(B, rows)`` and linear columns ``(B, rows, k)`` of each batch row on its group's data."""
        compiled = self.law.compiled
        offset_fn, column_fns = compiled.basis
        names = self.law.param_names
        nonlinear = [names.index(n) for n in compiled.nonlinear_params]
        inputs = [self.x[n][owner] for n in self.law.inputs]
        values = params[:, nonlinear, None].transpose(1, 0, 2)
        shape = (params.shape[0], self.n_points)
        offset = np.array(evaluate(offset_fn, *inputs, *values, shape=shape))
        columns = np.zeros((*shape, linear.size))
        for fn, name in zip(column_fns, compiled.linear_params, strict=True):
            j = names.index(name)
            column = evaluate(fn, *inputs, *values, shape=shape)
            where = np.flatnonzero(linear == j)
            if where.size:
                columns[:, :, where[0]] = column
            else:  # a fixed linear parameter: its term is part of the offset
                offset = offset + params[:, j, None] * column
        return offset, columns


def _law_position(problem: Problem, position: int) -> int:
    """The law parameter an expanded position is a copy of."""
    for block in problem.blocks:
        where = np.flatnonzero(block.index == position)
        if where.size:
            return int(where[0])
    raise ValueError(position)


FULL_GRID_CELLS = 32_768
"""Groups times grid cells up to which every group gets the whole start grid. Past it, each group gets
a coarse grid (a sixteenth of the cells) plus the optimum of all groups' data pooled: a group's optimum
lies near the pooled one far more often than in a corner of the start ranges, and the coarse grid still
covers the corners."""


GROUPS_PER_TASK = 128
"""Groups per chunk of the separate fits when an executor runs them; the chunks are the same on every
executor and every cluster, so every executor gives the same bytes. Without an executor all groups are
one batch: the same fits, but the linear algebra may round a few groups' end points differently in the
last bits for another batch shape (about 1e-11 relative in 2 of 1,000 groups in one test). A chunk's solver loop runs until
its slowest group is done, so its fixed cost is paid per chunk: 128 groups keep it to about a third of
the separate fits' time (32 groups: 2.7 times the one-batch time)."""


@dataclass(frozen=True, eq=False)
class _GridPlan:
    """What every group's separate fit shares: the start grid, how it is searched and polished."""

    searched: np.ndarray
    linear: np.ndarray
    use_projection: bool
    theta: np.ndarray
    keep: int
    lattice: tuple[int, ...] | None
    anchor: np.ndarray
    per_batch: int
    """Groups whose grid cells are scored in one batch (memory stays flat in the number of groups)."""
    max_iter: int


def _grid_plan(stack: Stack, config: FitConfig, pooled: bool) -> _GridPlan:
    compiled = stack.law.compiled
    names = stack.law.param_names
    free = stack.lower < stack.upper
    linear = np.array([names.index(n) for n in compiled.linear_params if free[names.index(n)]], dtype=int)
    nonlinear = np.array([j for j in range(len(names)) if free[j] and j not in set(linear.tolist())], dtype=int)
    use_projection = linear.size > 0 and active_set_count(stack.lower[linear], stack.upper[linear]) <= MAX_ACTIVE_SETS
    searched = nonlinear if use_projection else np.flatnonzero(free)
    extra = max(0, searched.size - 3)
    cells = config.n_grid * 2 ** min(extra, 4)
    coarse = pooled and stack.n_groups * cells > FULL_GRID_CELLS
    theta = start_points(
        stack.init_lower[searched], stack.init_upper[searched], stack.init_log[searched],
        max(64, cells // 16) if coarse else cells, config.seed,
    )
    keep = config.n_polish + 8 * extra if use_projection else max(config.n_polish, 32) + 8 * extra
    per_batch = max(1, int(_CELLS_TIMES_ROWS // max(theta.shape[0] * stack.n_points * max(linear.size, 1), 1)))
    return _GridPlan(
        searched, linear, bool(use_projection), theta, keep, _lattice(theta.shape[0], searched.size),
        np.where(free, 0.0, stack.lower), per_batch, config.max_iter,
    )


@dataclass(frozen=True, eq=False)
class _GroupFits:
    """The best end point of each of a span of groups (``found`` false where no start was finite)."""

    params: np.ndarray
    objective: np.ndarray
    outcome: np.ndarray
    n_iter: np.ndarray
    found: np.ndarray
    nfev: int


def _fit_groups(context: tuple[Stack, _GridPlan, np.ndarray | None], span: tuple[int, int]) -> _GroupFits:
    """The separate fits of groups ``first <= g < last``: a chunk of work that depends on nothing else
    (``pooled_starts`` were made for all groups together, before the chunks)."""
    stack, plan, pooled_starts = context
    first, last = span
    searched, linear, theta, cells = plan.searched, plan.linear, plan.theta, plan.theta.shape[0]
    starts, owners, n_scored = [], [], 0
    for begin in range(first, last, plan.per_batch):
        chunk = np.arange(begin, min(last, begin + plan.per_batch))
        owner = np.repeat(chunk, cells)
        candidates = np.tile(plan.anchor, (owner.size, 1))
        candidates[:, searched] = np.tile(theta, (chunk.size, 1))
        if plan.use_projection:
            offset, columns = stack.basis(linear, candidates, owner)
            candidates[:, linear] = solve_linear(
                offset, columns, stack.y[owner], stack.weights[owner], stack.lower[linear], stack.upper[linear],
                stack, 2,
            )
            prediction = linear_prediction(offset, columns, candidates[:, linear])
            values = stack.objective_of_prediction(prediction, candidates, owner=owner)
        else:
            values = stack.objective(candidates, owner=owner)
        values = values.reshape(chunk.size, cells)
        coordinates = unit_coordinates(stack, candidates[:cells], searched)
        for k, g in enumerate(chunk):
            kept = local_minima(values[k], coordinates, plan.lattice)[: plan.keep]
            starts.append(candidates[k * cells + kept])
            owners.append(np.full(kept.size, g))
        n_scored += owner.size
    if pooled_starts is not None:
        starts.append(pooled_starts[first:last])
        owners.append(np.arange(first, last))
    start = np.concatenate(starts)
    owner = np.concatenate(owners)
    solved = LevenbergMarquardt(max_iter=plan.max_iter).solve(stack, start, owner=owner)
    best = np.full(last - first, -1)
    for i in np.argsort(solved.objective, kind="stable")[::-1]:
        best[owner[i] - first] = i
    found = best >= 0
    best = np.where(found, best, 0)
    return _GroupFits(
        solved.params[best], solved.objective[best], solved.outcome[best], solved.n_iter[best], found,
        solved.nfev + n_scored,
    )


def group_spans(n_groups: int) -> list[tuple[int, int]]:
    """The chunks of the separate fits on an executor: ``GROUPS_PER_TASK`` groups each (fewer in the last)."""
    size = GROUPS_PER_TASK
    return [(first, min(n_groups, first + size)) for first in range(0, n_groups, size)]


def separate_fits(
    stack: Stack, config: FitConfig, pooled: np.ndarray | None = None, executor: AbstractExecutor | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Every group's own fit, batched: parameters ``(G, p)``, objectives, outcomes, iterations, evaluations.

    ``pooled`` (law parameters of a fit of all groups' rows together) is a further start for every group.
    Without an executor all groups are one batch; with one, they are fitted in chunks of groups
    (:func:`group_spans`) wherever it runs them, with the same result to the last bit on every
    executor (see ``GROUPS_PER_TASK``).
    """
    plan = _grid_plan(stack, config, pooled is not None)
    groups = stack.n_groups
    pooled_starts = None
    if pooled is not None:  # the pooled optimum, its linear parameters re-solved on each group's rows
        free = stack.lower < stack.upper
        owner = np.arange(groups)
        pooled_starts = np.tile(np.where(free, pooled, stack.lower), (groups, 1))
        if plan.use_projection:
            linear = plan.linear
            offset, columns = stack.basis(linear, pooled_starts, owner)
            pooled_starts[:, linear] = solve_linear(
                offset, columns, stack.y, stack.weights, stack.lower[linear], stack.upper[linear], stack, 2,
            )
    spans = group_spans(groups) if executor is not None else [(0, groups)]
    names = [f"groups {first}-{last - 1}" for first, last in spans]
    parts = run_chunks(executor, _fit_groups, spans, (stack, plan, pooled_starts), names, "grouped fit")
    found = np.concatenate([p.found for p in parts])
    missing = np.flatnonzero(~found)
    if missing.size:
        from scalinglaws.errors import NonFiniteFitError

        raise NonFiniteFitError(
            f"the objective of law {stack.law.label!r} is not finite at any start in {missing.size} group(s); "
            "check the formula, the bounds and the initial ranges."
        )
    return (
        np.concatenate([p.params for p in parts]), np.concatenate([p.objective for p in parts]),
        np.concatenate([p.outcome for p in parts]), np.concatenate([p.n_iter for p in parts]),
        sum(p.nfev for p in parts),
    )


@dataclass(frozen=True)
class Arrowhead:
    """Positions of the joint problem: each group's own law parameters and the shared ones."""

    own: np.ndarray
    """Law positions of the parameters each group has its own copy of."""
    shared: np.ndarray
    """Law positions of the shared parameters."""
    own_index: np.ndarray
    """``(G, k)``: the expanded position of each group's own parameters."""
    shared_index: np.ndarray
    """``(s,)``: the expanded position of each shared parameter."""

    @classmethod
    def of(cls, problem: Problem) -> Arrowhead:
        law = problem.law.param_names
        expanded = np.array([b.index for b in problem.blocks])
        shared = np.array([j for j in range(len(law)) if np.all(expanded[:, j] == expanded[0, j])], dtype=int)
        own = np.array([j for j in range(len(law)) if j not in set(shared.tolist())], dtype=int)
        return cls(own, shared, expanded[:, own], expanded[0, shared])

    def law_params(self, vector: np.ndarray) -> np.ndarray:
        """``(G, p)`` law parameters of every group from an expanded vector."""
        g = self.own_index.shape[0]
        out = np.empty((g, self.own.size + self.shared.size))
        out[:, self.own] = vector[self.own_index]
        out[:, self.shared] = vector[self.shared_index]
        return out

    def vector(self, law_params: np.ndarray, size: int) -> np.ndarray:
        out = np.empty(size)
        out[self.own_index] = law_params[:, self.own]
        out[self.shared_index] = law_params[0, self.shared]
        return out


def _arrowhead_step(
    grad: np.ndarray, hess: np.ndarray, damping: np.ndarray, free: np.ndarray, lam: float, shape: Arrowhead,
) -> np.ndarray:
    """``(H + lam*diag(D)) step = -grad`` for the block-arrowhead ``H`` through the Schur complement.

    ``grad`` ``(G, p)``, ``hess`` ``(G, p, p)`` and ``damping`` ``(G, p)`` are the groups' own terms in
    law order (the shared rows summed over groups below); ``free`` ``(G, p)`` marks free parameters.
    Returns the step as ``(G, p)`` law parameters (shared columns equal in every row).
    """
    o, s = shape.own, shape.shared
    g_own = np.where(free[:, o], grad[:, o], 0.0)
    g_sh = np.where(free[0, s], grad[:, s].sum(axis=0), 0.0)
    mask_o = free[:, o, None] & free[:, None, o]
    a = np.where(mask_o, hess[:, o][:, :, o], 0.0)
    eye_o = np.eye(o.size)
    d_own = np.where(damping[:, o] > 0, damping[:, o], 1.0)
    a = a + eye_o * (lam * d_own[:, None, :] * free[:, None, o] + (~free[:, None, o])) + 1e-14 * eye_o * d_own[:, None, :]
    b = np.where(free[:, o, None] & free[:, None, s], hess[:, o][:, :, s], 0.0)
    c = np.where(free[0, s, None] & free[0, None, s], hess[:, s][:, :, s].sum(axis=0), 0.0)
    d_sh = damping[:, s].sum(axis=0)
    d_sh = np.where(d_sh > 0, d_sh, 1.0)
    c = c + np.diag(lam * d_sh * free[0, s] + (~free[0, s])) + 1e-14 * np.diag(d_sh)
    with np.errstate(all="ignore"):
        a_inv_g = solve_batch(a, g_own[..., None])[..., 0]
        a_inv_b = solve_batch(a, b) if s.size else np.zeros((*a.shape[:2], 0))
        schur = c - np.einsum("gks,gkt->st", b, a_inv_b)
        rhs = g_sh - np.einsum("gks,gk->s", b, a_inv_g)
        step_sh = -solve_batch(schur[None], rhs[None, :, None])[0, :, 0] if s.size else np.zeros(0)
        step_own = -a_inv_g - np.einsum("gks,s->gk", a_inv_b, step_sh)
    step = np.zeros_like(grad)
    step[:, o] = np.where(free[:, o], step_own, 0.0)
    step[:, s] = np.where(free[0, s], step_sh, 0.0)[None, :]
    return step


def joint_polish(
    stack: Stack, shape: Arrowhead, start: np.ndarray, max_iter: int, rtol: float = 1e-12
) -> tuple[np.ndarray, float, Outcome, int, int]:
    """Levenberg-Marquardt on the joint grouped problem from ``start`` (``(G, p)`` law parameters)."""
    groups = stack.n_groups
    owner = np.arange(groups)
    lower, upper = stack.lower, stack.upper
    params = np.clip(start.copy(), lower, upper)

    def total(p: np.ndarray) -> float:
        values = stack.objective(p, owner=owner) - stack.penalty(p)
        return float(np.sum(values) + _shared_penalty(stack, shape, p))

    value = total(params)
    if not np.isfinite(value):
        return params, value, Outcome.NONFINITE, 0, 1
    lam, growth, nfev = _LAMBDA_INIT, 2.0, 1
    floor = 1e-30 * stack.n_points * groups
    for iteration in range(max_iter):
        grad, exact, irls = stack.derivatives(params, owner=owner)
        grad, exact, irls = _share_prior(stack, shape, params, grad, exact, irls)
        damping = np.einsum("gii->gi", irls)
        # A shared parameter is held at a bound by the gradient summed over the groups.
        pushed = np.broadcast_to(grad, params.shape).copy()
        pushed[:, shape.shared] = grad[:, shape.shared].sum(axis=0)
        free = ~(((params <= lower) & (pushed > 0)) | ((params >= upper) & (pushed < 0))) & (lower < upper)
        gauss_newton = _arrowhead_step(grad, irls, damping, free, 0.0, shape)
        decrease = -float(np.sum(grad * gauss_newton)) / 2
        if decrease <= rtol * value + floor:
            return params, value, Outcome.CONVERGED, iteration, nfev
        step = _arrowhead_step(grad, exact, damping, free, lam, shape)
        model = exact
        if not float(np.sum(grad * step)) < 0:
            step = _arrowhead_step(grad, irls, damping, free, lam, shape)
            model = irls
        trial = np.clip(params + step, lower, upper)
        step = trial - params
        # Shared entries of a step repeat in every group's row, so sums over rows count them once
        # against the group-summed gradient and curvature.
        quadratic = np.einsum("gi,gij,gj->", step, model, step)
        predicted = -(float(np.sum(grad * step)) + 0.5 * float(quadratic))
        trial_value = total(trial)
        nfev += 1
        if trial_value < value:
            gain = (value - trial_value) / predicted if predicted > 0 else 0.0
            params, value = trial, trial_value
            lam = max(lam * max(1 / 3, 1 - (2 * min(max(gain, 0.0), 1.0) - 1) ** 3), 1e-12)
            growth = 2.0
        else:
            lam *= growth
            growth *= 2
            if lam > _LAMBDA_MAX:
                return params, value, Outcome.STALLED, iteration + 1, nfev
    return params, value, Outcome.MAX_ITER, max_iter, nfev


def _shared_penalty(stack: Stack, shape: Arrowhead, params: np.ndarray) -> float:
    """The prior penalty counted once per parameter: own copies in every group, shared ones once."""
    if stack.prior is None:
        return 0.0
    index, mean, precision = stack.prior.index, stack.prior.mean, stack.prior.precision
    gap = params[:, index] - mean
    per = 0.5 * precision * gap * gap
    own = ~np.isin(index, shape.shared)
    return float(per[:, own].sum() + per[0, ~own].sum())


def _share_prior(
    stack: Stack, shape: Arrowhead, params: np.ndarray, grad: np.ndarray, exact: np.ndarray, irls: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The derivatives with a shared parameter's prior counted once, not once per group."""
    if stack.prior is None:
        return grad, exact, irls
    index, mean, precision = stack.prior.index, stack.prior.mean, stack.prior.precision
    shared = np.isin(index, shape.shared)
    if not shared.any():
        return grad, exact, irls
    grad, exact, irls = grad.copy(), exact.copy(), irls.copy()
    j = index[shared]
    grad[1:, j] -= precision[shared] * (params[1:, j] - mean[shared])
    exact[1:, j, j] -= precision[shared]
    irls[1:, j, j] -= precision[shared]
    return grad, exact, irls


def stackable(law: Law) -> bool:
    """Whether grouped fits of ``law`` take the batched path (laws with one value per point and no
    nested special case; the others fit each group with the full start strategy, one by one)."""
    return law.nested is None and not law.compiled.history_inputs


def solve_grouped(problem: Problem, config: FitConfig, executor: AbstractExecutor | None = None) -> Multistart:
    """The grouped fit of ``problem``: every group alone in one batch (or in chunks on ``executor``), then
    the shared parameters jointly, here (one coupled problem)."""
    stack = Stack.of(problem)
    shape = Arrowhead.of(problem)
    pooled_problem = build_problem(
        problem.law, problem.x, problem.y, problem.weights, ParamLayout(problem.law.param_names), None,
        problem.loss, problem.delta, problem.space, problem.asymmetry, problem.backend,
    )
    strategy = auto if executor is None else functools.partial(auto, executor=executor)
    pooled = solve(pooled_problem, config, strategy)  # its start grid in chunks on the executor
    alone, objectives, outcomes, iterations, nfev = separate_fits(stack, config, pooled.params, executor)
    nfev += pooled.nfev
    if shape.shared.size == 0:
        vector = shape.vector(alone, problem.n_params)
        worst = Outcome(int(np.max(outcomes)))  # the worst outcome of any group decides
        return _multistart(vector[None], np.array([float(np.sum(objectives))]), np.array([worst]),
                           np.array([int(np.max(iterations))]), nfev)
    candidates = [np.median(alone[:, shape.shared], axis=0)]
    if stack.n_groups <= 8:  # few groups: each group's own values of the shared parameters too
        candidates += list(alone[:, shape.shared])
    ends, values, ends_outcomes, ends_iterations = [], [], [], []
    for shared_values in candidates:
        start = alone.copy()
        start[:, shape.shared] = shared_values
        params, value, outcome, n_iter, evaluations = joint_polish(stack, shape, start, config.max_iter)
        nfev += evaluations
        ends.append(shape.vector(params, problem.n_params))
        values.append(value)
        ends_outcomes.append(outcome)
        ends_iterations.append(n_iter)
    return _multistart(np.array(ends), np.array(values), np.array(ends_outcomes),
                       np.array(ends_iterations), nfev)


def _multistart(
    ends: np.ndarray, values: np.ndarray, outcomes: np.ndarray, iterations: np.ndarray, nfev: int
) -> Multistart:
    best = int(ranked(values, outcomes)[0])
    return Multistart(
        params=ends[best], objective=float(values[best]), outcome=Outcome(int(outcomes[best])),
        n_iter=int(iterations[best]), nfev=nfev, starts=ends, start_objectives=values,
        n_converged=int(np.sum(outcomes == Outcome.CONVERGED)), start_outcomes=outcomes.astype(int),
        start_iterations=iterations.astype(int),
    )


FULL_COVARIANCE_LIMIT = 600
"""Expanded parameters up to which a grouped fit also keeps the full covariance matrix (every pair of
groups); past it only each group's own block (its law parameters, shared ones included)."""


@dataclass(frozen=True)
class GroupedCovariance:
    """The covariance of a grouped fit from its arrowhead information matrix."""

    full: np.ndarray | None
    """``(P, P)`` over the expanded parameters, when ``P <= FULL_COVARIANCE_LIMIT``."""
    blocks: np.ndarray | None
    """``(G, p, p)``: each group's law parameters (own and shared), in law order."""
    condition: float
    unscaled: np.ndarray | None
    """The blocks before the noise scale (for leverages)."""


def _information(stack: Stack, law_params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Residual Jacobian ``(G, m, p)``, residuals and point weights ``(G, m)`` (0 on padding)."""
    owner = np.arange(stack.n_groups)
    prediction, jacobian = stack.with_jacobian(law_params, owner)
    r = stack.residuals(prediction, stack.y)
    jac = stack.residual_jacobian(prediction, jacobian)
    return jac, r, stack.point_weights(r, stack.weights)


def grouped_covariance(problem: Problem, stack: Stack, shape: Arrowhead, vector: np.ndarray) -> GroupedCovariance:
    """Huber's sandwich covariance of a grouped fit, through the Schur complement of the group blocks."""
    from scalinglaws.fit.covariance import noise_scale
    from scalinglaws.fit.diagnostics import CONDITION_LIMIT

    law_params = shape.law_params(vector)
    jac, r, w = _information(stack, law_params)
    real = stack.weights > 0
    noise = noise_scale(r[real], w[real], problem.loss, problem.delta, int(problem.free.size))
    free = stack.lower < stack.upper
    own = np.array([j for j in shape.own if free[j]], dtype=int)
    shared = np.array([j for j in shape.shared if free[j]], dtype=int)
    if noise is None or not (np.all(np.isfinite(jac[real])) and np.all(np.isfinite(w))):
        return GroupedCovariance(None, None, np.inf, None)
    jac = np.where(real[..., None], jac, 0.0)
    info = np.einsum("gmi,gm,gmj->gij", jac, np.where(real, w, 0.0), jac)
    if stack.prior is not None:
        for j, sd in zip(stack.prior.index, stack.prior.sd, strict=True):
            info[:, j, j] += noise[0] / sd**2 / (stack.n_groups if j in set(shared.tolist()) else 1)
    a = info[:, own][:, :, own]
    b = info[:, own][:, :, shared]
    c = info[:, shared][:, :, shared].sum(axis=0)
    scale_own = np.sqrt(np.einsum("gii->gi", a))
    scale_sh = np.sqrt(np.diag(c)) if shared.size else np.zeros(0)
    if np.any(scale_own == 0) or np.any(scale_sh == 0):
        return GroupedCovariance(None, None, np.inf, None)
    condition = _condition(a, b, c, scale_own, scale_sh, problem.n_params <= FULL_COVARIANCE_LIMIT)
    if not condition <= CONDITION_LIMIT:
        return GroupedCovariance(None, None, condition, None)
    a_inv = np.linalg.inv(a)
    if shared.size:
        a_inv_b = a_inv @ b
        s_inv = np.linalg.inv(c - np.einsum("gks,gkt->st", b, a_inv_b))
        cross = -a_inv_b @ s_inv
        own_own = a_inv + np.einsum("gks,st,glt->gkl", a_inv_b, s_inv, a_inv_b)
    else:
        a_inv_b, s_inv, cross, own_own = None, np.zeros((0, 0)), np.zeros((*a.shape[:2], 0)), a_inv
    p = len(stack.law.param_names)
    blocks = np.zeros((stack.n_groups, p, p))
    blocks[:, own[:, None], own[None, :]] = own_own
    blocks[:, own[:, None], shared[None, :]] = cross
    blocks[:, shared[:, None], own[None, :]] = cross.transpose(0, 2, 1)
    blocks[:, shared[:, None], shared[None, :]] = s_inv
    full = None
    if problem.n_params <= FULL_COVARIANCE_LIMIT:
        full = np.zeros((problem.n_params, problem.n_params))
        own_index = shape.own_index[:, [list(shape.own).index(j) for j in own]]
        shared_index = shape.shared_index[[list(shape.shared).index(j) for j in shared]]
        if a_inv_b is not None:
            between = np.einsum("gks,st,hlt->gkhl", a_inv_b, s_inv, a_inv_b)
        else:
            between = np.zeros((stack.n_groups, own.size, stack.n_groups, own.size))
        for g in range(stack.n_groups):
            between[g, :, g, :] = own_own[g]
        flat = own_index.reshape(-1)
        full[np.ix_(flat, flat)] = between.reshape(flat.size, flat.size)
        full[np.ix_(flat, shared_index)] = cross.reshape(flat.size, shared.size)
        full[np.ix_(shared_index, flat)] = cross.reshape(flat.size, shared.size).T
        full[np.ix_(shared_index, shared_index)] = s_inv
        full *= noise[0]
    return GroupedCovariance(full, noise[0] * blocks, condition, blocks)


def _condition(a: np.ndarray, b: np.ndarray, c: np.ndarray, scale_own: np.ndarray, scale_sh: np.ndarray,
               exact: bool) -> float:
    """Condition number of the correlation-scaled arrowhead information: exactly (dense) for few
    parameters, otherwise the largest over the groups of ``[[A_g, B_g], [B_g', C]]``."""
    g, k, s = a.shape[0], a.shape[1], c.shape[0]
    a_s = a / (scale_own[:, :, None] * scale_own[:, None, :])
    b_s = b / (scale_own[:, :, None] * scale_sh[None, None, :]) if s else b
    c_s = c / np.outer(scale_sh, scale_sh) if s else c
    if exact:
        size = g * k + s
        dense = np.zeros((size, size))
        for i in range(g):
            dense[i * k : (i + 1) * k, i * k : (i + 1) * k] = a_s[i]
            dense[i * k : (i + 1) * k, g * k :] = b_s[i]
            dense[g * k :, i * k : (i + 1) * k] = b_s[i].T
        dense[g * k :, g * k :] = c_s
        values = np.linalg.eigvalsh(dense)
        return float(values[-1] / values[0]) if values[0] > 0 else np.inf
    top = np.concatenate([a_s, b_s], axis=2)
    bottom = np.concatenate([b_s.transpose(0, 2, 1), np.broadcast_to(c_s, (g, s, s))], axis=2)
    values = np.linalg.eigvalsh(np.concatenate([top, bottom], axis=1))
    ratios = np.where(values[:, 0] > 0, values[:, -1] / np.where(values[:, 0] > 0, values[:, 0], 1.0), np.inf)
    return float(np.max(ratios))


def grouped_diagnostics(problem: Problem, stack: Stack, shape: Arrowhead, vector: np.ndarray,
                        covariance: GroupedCovariance) -> tuple[Any, ...]:
    """The findings of :func:`scalinglaws.fit.diagnostics.diagnose` for a grouped fit, from its group
    blocks (correlations counted over groups instead of listed per pair of expanded parameters)."""
    from scalinglaws.fit.diagnostics import (
        CONDITION_LIMIT,
        CORRELATION_LIMIT,
        INFLUENCE_LIMIT,
        MIN_SCALES,
        Diagnostic,
        at_bound,
    )

    found: list[Diagnostic] = []
    bounded = at_bound(problem, vector)
    if bounded:
        found.append(Diagnostic(
            "at-bound",
            f"parameter(s) {bounded} ended on a bound; the optimum may lie beyond it. Widen the bound "
            "if it is not physical, or report the fit as constrained.",
        ))
    if covariance.condition > CONDITION_LIMIT:
        found.append(Diagnostic(
            "ill-conditioned",
            f"condition number {covariance.condition:.2g} of the scaled information matrix: some parameters "
            "are nearly redundant (the data cannot tell them apart). Fix or bound one of them.",
        ))
    names = stack.law.param_names
    if covariance.blocks is not None:
        sd = np.sqrt(np.maximum(np.einsum("gii->gi", covariance.blocks), 1e-300))
        corr = covariance.blocks / (sd[:, :, None] * sd[:, None, :])
        free = np.flatnonzero(stack.lower < stack.upper)
        for i in free:
            for j in free[free > i]:
                strong = np.abs(corr[:, i, j]) > CORRELATION_LIMIT
                if strong.any():
                    where = f"in {int(strong.sum())} of {stack.n_groups} groups" if stack.n_groups > 1 else ""
                    found.append(Diagnostic(
                        "correlated",
                        f"parameters {names[i]} and {names[j]} are correlated at {float(np.median(corr[strong, i, j])):+.3f} "
                        f"{where}: they trade off along a ridge; their separate values are uncertain even "
                        "where predictions are not.",
                    ))
    for name, values in problem.x.items():
        distinct = np.unique(values).size
        if distinct < MIN_SCALES:
            found.append(Diagnostic(
                "few-scales",
                f"input `{name}` takes only {distinct} distinct value(s); a law in `{name}` needs at "
                f"least {MIN_SCALES} scales to be identified. Add runs at other scales.",
            ))
    if covariance.unscaled is not None:
        jac, r, w = _information(stack, shape.law_params(vector))
        real = stack.weights > 0
        leverage = w * np.einsum("gmi,gij,gmj->gm", jac, covariance.unscaled, jac)
        n, p = int(real.sum()), int(problem.free.size)
        s2 = float(np.sum(np.where(real, w * r * r, 0.0))) / max(n - p, 1)
        if s2 > 0:
            with np.errstate(all="ignore"):
                cook = np.where(real, w * r * r * leverage / (p * s2 * (1 - leverage) ** 2), 0.0)
            position = np.full(stack.weights.shape, -1)
            for g, block in enumerate(problem.blocks):
                position[g, : block.rows.size] = block.rows
            bad = np.nan_to_num(cook, nan=np.inf) > INFLUENCE_LIMIT
            rows = np.sort(position[bad & real])
            if rows.size:
                cooks = {int(position[g, m]): float(cook[g, m]) for g, m in zip(*np.nonzero(bad & real), strict=True)}
                shown = ", ".join(f"{int(i)} (Cook's D {cooks[int(i)]:.2g})" for i in rows[:5])
                found.append(Diagnostic(
                    "influential",
                    f"{rows.size} point(s) move the fit by more than its uncertainty on their own: {shown}. "
                    "Check these runs; a robust loss (huber) limits their pull.",
                    tuple(int(i) for i in rows),
                ))
    return tuple(found)
