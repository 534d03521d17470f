"""A fitting problem: a law on arrays, its parameter vector (expanded per group), and the objective.

Evaluation is batched: a parameter array of shape ``(batch, n_params)`` gives predictions of shape
``(batch, n_points)``, so starts, grid cells and bootstrap resamples are all solved together. With
``backend="jax"`` the objective and its derivatives are evaluated by the JAX kernels
(:mod:`scalinglaws.fit._jax`); predictions and Jacobians (for covariance and diagnostics) stay NumPy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from scalinglaws.fit.backends import Backend
from scalinglaws.fit.layout import ParamLayout
from scalinglaws.fit.losses import Loss, Space, irls_weight, psi, psi_slope, rho, side_weight
from scalinglaws.laws import Law, ParamSpec, evaluate


@dataclass(frozen=True)
class Block:
    """The rows of one group and, for each law parameter, its column in the expanded vector."""

    rows: np.ndarray
    index: np.ndarray

    @cached_property
    def where(self) -> slice | np.ndarray:
        """``rows`` as a slice where they are one ascending run (every row of an ungrouped problem), so
        writing a block's values is a copy, not a scatter; the index array otherwise."""
        r = self.rows
        if r.size and int(r[-1]) - int(r[0]) == r.size - 1 and bool(np.all(np.diff(r) == 1)):
            return slice(int(r[0]), int(r[-1]) + 1)
        return r


@dataclass(frozen=True, eq=False)
class Prior:
    """Independent normal priors on some parameters, in objective units.

    ``precision`` is ``weight / sd**2``, where ``weight`` turns the prior's negative log density into
    the units of the data's objective (see :func:`scalinglaws.fit.priors.objective_weight`).
    """

    index: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    precision: np.ndarray


@dataclass(frozen=True, eq=False)
class Problem:
    """A law on arrays: inputs ``x``, target ``y``, point weights, and the expanded parameter vector
    (``names``, bounds, start ranges; a fixed parameter has equal bounds) with its per-group blocks."""

    law: Law
    x: dict[str, np.ndarray]
    y: np.ndarray
    weights: np.ndarray
    names: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    init_lower: np.ndarray
    init_upper: np.ndarray
    init_log: np.ndarray
    blocks: tuple[Block, ...]
    loss: Loss
    delta: float
    space: Space
    asymmetry: float
    prior: Prior | None = None
    backend: Backend = "numpy"

    @property
    def n_points(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_params(self) -> int:
        return len(self.names)

    @property
    def free(self) -> np.ndarray:
        """Positions of the parameters that are fitted (all but the fixed ones)."""
        return np.flatnonzero(self.lower < self.upper)

    def subset(self, rows: np.ndarray) -> Problem:
        """The same problem on the points ``rows`` (sorted indices) only."""
        where = np.full(self.n_points, -1)
        where[rows] = np.arange(rows.size)
        blocks = tuple(Block(where[np.intersect1d(b.rows, rows)], b.index) for b in self.blocks)
        return replace(
            self,
            x={k: v[rows] for k, v in self.x.items()},
            y=self.y[rows],
            weights=self.weights[rows],
            blocks=blocks,
        )

    def with_prior(self, prior: Prior | None) -> Problem:
        return replace(self, prior=prior)

    def penalty(self, params: np.ndarray) -> np.ndarray:
        """The prior's part of the objective, per batch row (0 without a prior)."""
        if self.prior is None:
            return np.zeros(params.shape[0])
        gap = params[:, self.prior.index] - self.prior.mean
        return 0.5 * np.sum(self.prior.precision * gap * gap, axis=1)

    def _inputs(self, rows: np.ndarray) -> list[np.ndarray]:
        return [self.x[name][rows] for name in self.law.inputs]

    def _rows_data(
        self, owner: np.ndarray | None, weights: np.ndarray | None, targets: np.ndarray | None
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The point weights and targets of each batch row (None: the problem's own, for every row)."""
        return weights, targets

    def predict(self, params: np.ndarray, owner: np.ndarray | None = None) -> np.ndarray:
        """Law values, shape ``(batch, n_points)``, for parameters of shape ``(batch, n_params)``.

        ``owner`` (one entry per batch row) is for problems whose rows carry their own data; a plain
        problem has one data set and ignores it."""
        out = np.empty((params.shape[0], self.n_points))
        for block in self.blocks:
            values = params[:, block.index, None]
            out[:, block.where] = evaluate(
                self.law.compiled.value,
                *self._inputs(block.rows),
                *values.transpose(1, 0, 2),
                shape=(params.shape[0], block.rows.size),
            )
        return out

    def _arguments(self, block: Block, params: np.ndarray) -> list[Any]:
        """The evaluator arguments of one block: its inputs, then each law parameter as ``(batch, 1)``."""
        return [*self._inputs(block.rows), *params[:, block.index, None].transpose(1, 0, 2)]

    def with_jacobian(self, params: np.ndarray, owner: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Predictions ``(batch, n_points)`` and their Jacobian ``(batch, n_points, n_params)``, from one
        fused evaluation of the value and the gradient per block."""
        batch, p = params.shape[0], len(self.law.param_names)
        if self._single:
            outs = _evaluate_all(self.law.compiled.with_gradient, self._arguments(self.blocks[0], params),
                                 (batch, self.n_points))
            return outs[0], _columns(outs[1 : 1 + p])
        prediction = np.empty((batch, self.n_points))
        jac = np.zeros((batch, self.n_points, self.n_params))
        for block in self.blocks:
            shape = (batch, block.rows.size)
            outs = _evaluate_all(self.law.compiled.with_gradient, self._arguments(block, params), shape)
            prediction[:, block.rows] = outs[0]
            jac[:, block.rows[:, None], block.index[None, :]] = _columns(outs[1 : 1 + p])
        return prediction, jac

    @property
    def _single(self) -> bool:
        """One block holding every point in order and every parameter in law order (an ungrouped fit)."""
        if len(self.blocks) != 1:
            return False
        block = self.blocks[0]
        return (
            block.rows.size == self.n_points and block.index.size == self.n_params
            and bool(np.all(block.index == np.arange(self.n_params)))
            and bool(np.all(block.rows == np.arange(self.n_points)))
        )

    def predict_jacobian(self, params: np.ndarray) -> np.ndarray:
        """d(prediction)/d(params), shape ``(batch, n_points, n_params)``."""
        return self.with_jacobian(params)[1]

    def _with_hessian(
        self, params: np.ndarray, owner: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, list[tuple[Block, list[np.ndarray]]]]:
        """Predictions, the Jacobian parameter-major ``(batch, n_params, n_points)`` (each parameter's
        derivatives contiguous, as the objective's gradient and curvature sum over points), and per
        block its non-zero second derivatives (one ``(batch, rows)`` array per Hessian pair), all from
        one fused evaluation per block."""
        compiled = self.law.compiled
        batch, p = params.shape[0], len(self.law.param_names)
        if self._single:
            shape = (batch, self.n_points)
            outs = _evaluate_all(compiled.with_hessian, self._arguments(self.blocks[0], params), shape)
            return outs[0], np.stack(outs[1 : 1 + p], axis=1), [(self.blocks[0], outs[1 + p :])]
        prediction = np.empty((batch, self.n_points))
        jac = np.zeros((batch, self.n_params, self.n_points))
        seconds = []
        for block in self.blocks:
            shape = (batch, block.rows.size)
            outs = _evaluate_all(compiled.with_hessian, self._arguments(block, params), shape)
            prediction[:, block.rows] = outs[0]
            jac[:, block.index[:, None], block.rows[None, :]] = np.stack(outs[1 : 1 + p], axis=1)
            seconds.append((block, outs[1 + p :]))
        return prediction, jac, seconds

    def _contract(self, seconds: list[tuple[Block, list[np.ndarray]]], coefficients: np.ndarray) -> np.ndarray:
        """``sum_n coefficients[b, n] * d2(prediction[b, n])/d(params)2``, shape ``(batch, p, p)``."""
        out = np.zeros((coefficients.shape[0], self.n_params, self.n_params))
        pairs = np.array(self.law.compiled.hessian_pairs, dtype=int).reshape(-1, 2)
        for block, second in seconds:
            if not pairs.size:
                continue
            coefficient = coefficients[:, block.rows]
            total = np.empty((coefficients.shape[0], len(second)))
            with np.errstate(invalid="ignore", over="ignore"):
                for e, values in enumerate(second):  # a sum per batch row: the same bits in any batch
                    total[:, e] = np.sum(values * coefficient, axis=1)
            total = _finite(total)
            a, c = block.index[pairs[:, 0]], block.index[pairs[:, 1]]
            out[:, a, c] += total
            off = a != c
            out[:, c[off], a[off]] += total[:, off]
        return out

    def contracted_hessian(self, params: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
        """``sum_n coefficients[b, n] * d2(prediction[b, n])/d(params)2``, shape ``(batch, p, p)``."""
        return self._contract(self._with_hessian(params)[2], coefficients)

    def residuals(self, prediction: np.ndarray, targets: np.ndarray | None = None) -> np.ndarray:
        """Prediction minus target, in log or linear space; NaN where the log is undefined.

        ``targets`` (shape ``(batch, n_points)``) replaces the observed ``y`` per batch row, as a
        residual bootstrap does.
        """
        y = self.y if targets is None else targets
        if self.space == "linear":
            return prediction - y
        with np.errstate(all="ignore"):
            r = np.log(prediction)
            np.copyto(r, np.nan, where=~(prediction > 0))
            r -= self.log_y if targets is None else np.log(targets)
        return r

    @cached_property
    def log_y(self) -> np.ndarray:
        """``log(y)``, the target of every log-space residual (computed once, not per evaluation)."""
        with np.errstate(all="ignore"):
            return np.log(self.y)

    def residual_jacobian(self, prediction: np.ndarray, jacobian: np.ndarray) -> np.ndarray:
        if self.space == "linear":
            return jacobian
        with np.errstate(all="ignore"):
            return jacobian / prediction[..., None]

    def point_weights(self, r: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per-point weights times the over-prediction penalty."""
        base = self.weights if weights is None else weights
        if self.asymmetry == 1.0:
            return np.broadcast_to(base, r.shape)
        return base * side_weight(r, self.asymmetry)

    def objective_of_residuals(self, r: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Weighted robust loss per batch row; ``inf`` where any residual is not finite (its loss is
        not finite either, so neither is the row's sum: zero times inf is NaN)."""
        # A wild trial step can give residuals whose square overflows: that row scores inf, silently.
        with np.errstate(over="ignore", invalid="ignore"):
            loss = rho(r, self.loss, self.delta)
            loss *= self.point_weights(r, weights)
            total = np.sum(loss, axis=-1)
        return np.where(np.isfinite(total), total, np.inf)

    def objective(
        self,
        params: np.ndarray,
        weights: np.ndarray | None = None,
        targets: np.ndarray | None = None,
        owner: np.ndarray | None = None,
    ) -> np.ndarray:
        if self.backend == "jax":
            from scalinglaws.fit._jax import kernels

            return kernels.objective(self, params, weights, targets, owner)
        return self.objective_of_prediction(self.predict(params, owner), params, weights, targets, owner)

    def objective_of_prediction(
        self,
        prediction: np.ndarray,
        params: np.ndarray,
        weights: np.ndarray | None = None,
        targets: np.ndarray | None = None,
        owner: np.ndarray | None = None,
    ) -> np.ndarray:
        """The objective of ``params`` whose law values ``prediction`` are already known (as variable
        projection knows them: offset plus columns times the linear parameters)."""
        weights, targets = self._rows_data(owner, weights, targets)
        data = self.objective_of_residuals(self.residuals(prediction, targets), weights)
        return data if self.prior is None else data + self.penalty(params)

    def derivatives(
        self,
        params: np.ndarray,
        weights: np.ndarray | None = None,
        targets: np.ndarray | None = None,
        owner: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Objective gradient, its exact Hessian, and its IRLS (Gauss-Newton) Hessian.

        The IRLS Hessian is positive semi-definite and scales the damping; the exact one, which adds
        the curvature of the residuals, gives Newton's quadratic convergence near the optimum where
        most points sit in Huber's linear region.
        """
        if self.backend == "jax":
            from scalinglaws.fit._jax import kernels

            return kernels.derivatives(self, params, weights, targets, owner)
        grad, irls, exact = self._derivatives(params, weights, targets, owner, exact=True)
        assert exact is not None
        return grad, exact, irls

    def gauss_newton(
        self,
        params: np.ndarray,
        weights: np.ndarray | None = None,
        targets: np.ndarray | None = None,
        owner: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Objective gradient and its IRLS (Gauss-Newton) Hessian, as :meth:`derivatives` gives them,
        from the law's values and gradient alone: no second derivatives of the law are evaluated."""
        if self.backend == "jax":
            grad, _, irls = self.derivatives(params, weights, targets, owner)
            return grad, irls
        grad, irls, _ = self._derivatives(params, weights, targets, owner, exact=False)
        return grad, irls

    def _derivatives(
        self,
        params: np.ndarray,
        weights: np.ndarray | None,
        targets: np.ndarray | None,
        owner: np.ndarray | None,
        exact: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Gradient, IRLS Hessian and (when ``exact``) the exact Hessian, on the NumPy backend."""
        weights, targets = self._rows_data(owner, weights, targets)
        if exact:
            prediction, jac, seconds = self._with_hessian(params, owner)
        else:
            prediction, by_point = self.with_jacobian(params, owner)
            jac, seconds = np.ascontiguousarray(by_point.transpose(0, 2, 1)), []
        r = self.residuals(prediction, targets)
        if self.space == "log":
            with np.errstate(all="ignore"):
                jac /= prediction[:, None, :]
        w = self.point_weights(r, weights)
        with np.errstate(invalid="ignore"):
            slope = _finite(w * psi(r, self.loss, self.delta))
            curvature = _finite(w * irls_weight(r, self.loss, self.delta))
        jac = _finite(jac)  # (batch, params, points)
        jac_t = jac.transpose(0, 2, 1)
        grad = (jac @ slope[..., None])[..., 0]
        irls = (jac * curvature[:, None, :]) @ jac_t
        hessian = None
        if exact:
            with np.errstate(invalid="ignore"):
                inside = _finite(w * psi_slope(r, self.loss, self.delta))
            if self.space == "linear":
                hessian = (jac * inside[:, None, :]) @ jac_t + self._contract(seconds, slope)
            else:
                # d2 log f = d2 f / f - (d log f)(d log f)^T
                with np.errstate(all="ignore"):
                    per_prediction = _finite(slope / prediction)
                hessian = (jac * (inside - slope)[:, None, :]) @ jac_t + self._contract(seconds, per_prediction)
        if self.prior is not None:
            # Normal priors are quadratic: their gradient and (exact = Gauss-Newton) curvature add on.
            index, precision = self.prior.index, self.prior.precision
            grad[:, index] += precision * (params[:, index] - self.prior.mean)
            irls[:, index, index] += precision
            if hessian is not None:
                hessian[:, index, index] += precision
        return grad, irls, hessian


def build_problem(
    law: Law,
    x: dict[str, np.ndarray],
    y: np.ndarray,
    w: np.ndarray,
    layout: ParamLayout,
    labels: np.ndarray | None,
    loss: Loss,
    delta: float,
    space: Space,
    asymmetry: float,
    backend: Backend = "numpy",
) -> Problem:
    """The problem of fitting ``law`` to arrays, with one block of rows per group of ``layout``."""
    blocks = []
    for group, index in layout.blocks():
        rows = np.arange(y.size) if group is None else np.flatnonzero(labels == group)
        blocks.append(Block(rows, index))
    specs = [law.spec(name) for name in layout.base_names]
    ranges = [init_range(s, x) for s in specs]
    fixed = [s.fixed for s in specs]
    return Problem(
        law=law,
        x=x,
        y=y,
        weights=w,
        names=layout.names,
        lower=np.array([s.lower if f is None else f for s, f in zip(specs, fixed, strict=True)]),
        upper=np.array([s.upper if f is None else f for s, f in zip(specs, fixed, strict=True)]),
        init_lower=np.array([r[0] for r in ranges]),
        init_upper=np.array([r[1] for r in ranges]),
        init_log=np.array([r[2] for r in ranges], dtype=bool),
        blocks=tuple(blocks),
        loss=loss,
        delta=delta,
        space=space,
        asymmetry=asymmetry,
        backend=backend,
    )


def init_range(spec: ParamSpec, x: Mapping[str, np.ndarray]) -> tuple[float, float, bool]:
    """The start range of a parameter on this data: its own, or an input's observed range."""
    lo, hi = spec.init_range
    log = spec.init_scale == "log"
    if spec.init_from is not None and spec.fixed is None:
        values = x[spec.init_from]
        lo, hi = float(np.min(values)), float(np.max(values))
        lo, hi = max(lo, spec.lower), min(hi, spec.upper)
        log = log and lo > 0
    return lo, hi, log and spec.fixed is None


def _evaluate_all(function: Callable[..., list[Any]], arguments: Sequence[Any], shape: tuple[int, int]) -> list[np.ndarray]:
    """Call a fused evaluator and broadcast each of its results (constants come back as scalars)."""
    with np.errstate(all="ignore"):
        return [np.broadcast_to(np.asarray(v, dtype=float), shape) for v in function(*arguments)]


def _finite(values: np.ndarray) -> np.ndarray:
    """``values`` with every non-finite entry set to 0 (a copy only when there is one to replace)."""
    finite = np.isfinite(values)
    return values if finite.all() else np.where(finite, values, 0.0)


def _columns(derivatives: Sequence[np.ndarray]) -> np.ndarray:
    """Per-parameter derivative arrays ``(batch, rows)`` as one ``(batch, rows, p)`` array."""
    out = np.empty((*derivatives[0].shape, len(derivatives)))
    for j, d in enumerate(derivatives):
        out[..., j] = d
    return out
