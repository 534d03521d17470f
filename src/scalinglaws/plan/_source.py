"""Where a plan's law and parameters come from: a fit (with its bootstrap draws) or a law + preset.

Also the adapter that evaluates any supported law as a function of model size ``N`` and training tokens
``D``, batched over parameter draws, and the shared vectorised 1-D minimiser in log space.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from scalinglaws.errors import ArgumentError
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import DEFAULT_COST, CostModel, Law, as_cost_model, cost_model, get_law

Source = FitResult | Law | str
"""A fitted result, a :class:`Law`, or a catalog law name."""


@dataclass(frozen=True, eq=False)
class Resolved:
    """A law with its point parameters and, when a fit carries them, bootstrap draws.

    ``draws`` has shape ``(n_draws, n_law_params)`` in ``law.param_names`` order.
    """

    law: Law
    params: Mapping[str, float]
    draws: np.ndarray | None
    label: str

    def batch(self, with_draws: bool) -> dict[str, np.ndarray]:
        """Parameters as columns of shape ``(batch, 1)``: row 0 is the point estimate, then the draws."""
        point = np.array([[self.params[n] for n in self.law.param_names]])
        rows = point if not with_draws or self.draws is None else np.vstack([point, self.draws])
        return {n: rows[:, j, None] for j, n in enumerate(self.law.param_names)}


def resolve(
    function: str,
    result: FitResult | None,
    law: Law | str | None,
    preset: str | None,
    params: Mapping[str, float] | None,
    group: str | None = None,
    default_law: str | None = None,
    default_preset: str | None = None,
) -> Resolved:
    """Check the source arguments of a plan function once and return the law and its parameters.

    Raises
    ------
    TypeError
        If ``result`` is not a FitResult.
    ValueError
        If both or neither of ``result`` and ``law`` are given, or the parameters are not determined.
    LawSpecError
        If ``law`` names no catalog law.
    """
    if result is not None and not isinstance(result, FitResult):
        raise TypeError(
            f"`result` of {function} must be a FitResult (from `fit` or `load`). "
            f"Got {type(result).__name__} instead; pass a law name as `law=` with `preset=`."
        )
    if result is not None and (law is not None or preset is not None or params is not None):
        raise ArgumentError(
            f"`result` of {function} must be given alone: a fit carries its own law and parameters. "
            "Drop `law`, `preset` and `params`, or drop `result`.",
            argument="result", function=function,
        )
    if result is not None:
        values = result.params_for(group)
        law_params = {n: float(values[n]) for n in result.law.param_names}
        draws = _draws(result, group)
        return Resolved(result.law, law_params, draws, f"fit of {result.law.label}")
    if law is None:
        if default_law is None:
            raise ArgumentError(
                f"{function} needs `result` (a FitResult) or `law` (a Law or catalog name) with "
                "`preset` or `params`. Got neither.",
            argument="preset",
        )
        law, preset = default_law, preset if preset is not None or params is not None else default_preset
    resolved_law = get_law(law) if isinstance(law, str) else law
    if not isinstance(resolved_law, Law):
        raise TypeError(f"`law` of {function} must be a Law or a catalog name. Got {type(law).__name__} instead.")
    if (preset is None) == (params is None):
        raise ArgumentError(
            f"`law` of {function} needs exactly one of `preset` (published constants) or `params` "
            f"(a mapping of parameter values). Presets of {resolved_law.label!r}: "
            f"{sorted(resolved_law.presets) or 'none'}.",
            argument="law", function=function,
        )
    if preset is not None:
        if preset not in resolved_law.presets:
            raise ArgumentError(
                f"`preset` of {function} must be one of {sorted(resolved_law.presets)} for law "
                f"{resolved_law.label!r}. Got {preset!r} instead.",
            argument="preset", function=function,
        )
        values = resolved_law.presets[preset]
        label = f"{resolved_law.label} ({preset})"
    else:
        assert params is not None
        missing = [n for n in resolved_law.param_names if n not in params]
        if missing:
            raise ArgumentError(
                f"`params` of {function} must give every parameter of {resolved_law.label!r}: "
                f"{list(resolved_law.param_names)}. Missing {missing}.",
            argument="params", function=function,
        )
        values = params
        label = f"{resolved_law.label} (given parameters)"
    return Resolved(resolved_law, {n: float(values[n]) for n in resolved_law.param_names}, None, label)


def charged_cost(law: Law, cost: CostModel | str | None, function: str) -> CostModel:
    """The cost model a plan charges: the one named, else the dense ``6*N*D`` unless the law says that
    would be wrong (``Law.cost_required``, e.g. total parameters of a mixture of experts).

    Refusing, rather than warning, is deliberate: a plan charged 43x too much compute is a wrong
    decision, and ``cost="6*N*D"`` restores the dense charge for whoever means it.

    Raises
    ------
    ArgumentError
        If ``cost`` is None and the law requires a named cost model.
    LawSpecError
        If ``cost`` is a formula that is not in N and D.
    """
    if cost is not None:
        return as_cost_model(cost)
    if law.cost_required:
        raise ArgumentError(
            f"`cost` of {function} must name how compute is charged for law {law.label!r}: "
            f"{law.cost_required} (command line: --cost FORMULA, e.g. --cost '72*N*D/516').",
            argument="cost", function=function,
        )
    return cost_model(DEFAULT_COST)


def _draws(result: FitResult, group: str | None) -> np.ndarray | None:
    if result.bootstrap is None:
        return None
    good = result.bootstrap.good_draws()
    draws = good[:, result.layout.index(group)]
    return draws if draws.shape[0] >= 2 else None


NDFunction = Callable[[Mapping[str, np.ndarray], np.ndarray, np.ndarray], np.ndarray]


def nd_loss(law: Law, fixed: Mapping[str, float | Callable[[np.ndarray, np.ndarray], np.ndarray]] | None = None,
            function: str = "allocate") -> NDFunction:
    """The law as ``f(params, N, D)``: inputs ``N``, ``D``; ``C = 6ND`` and ``M = D/N`` for laws written
    in compute and token multiplier (Gadre); any other input must be given in ``fixed`` (a value, or a
    function of ``N`` and ``D``).

    Raises
    ------
    ValueError
        If the law has an input that is neither N, D, C, M nor given in ``fixed``.
    """
    derived: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
        "N": lambda n, d: n,
        "D": lambda n, d: d,
        "C": cost_model(DEFAULT_COST).flops,
        "M": lambda n, d: d / n,
    }
    if not ({"N", "D"} <= set(law.inputs) or {"C", "M"} <= set(law.inputs)):
        raise ArgumentError(
            f"`law` of {function} must have inputs N and D (or C and M as Gadre's law). "
            f"Got {law.label!r} with inputs {list(law.inputs)} instead.",
            argument="law", function=function,
        )
    getters: list[Callable[[np.ndarray, np.ndarray], Any]] = []
    for name in law.inputs:
        if fixed is not None and name in fixed:
            value = fixed[name]
            getters.append(value if callable(value) else _constant(float(value)))
        elif name in derived:
            getters.append(derived[name])
        else:
            raise ArgumentError(
                f"`law` of {function} has input {name!r}, which a plan over N and D cannot set. "
                f"Give it a value, e.g. fixed={{{name!r}: ...}}.",
            argument="law", function=function,
        )
    value_fn = law.compiled.value
    order = law.param_names

    def evaluate_nd(params: Mapping[str, np.ndarray], n: np.ndarray, d: np.ndarray) -> np.ndarray:
        args = [np.asarray(g(n, d), dtype=float) for g in getters] + [np.asarray(params[p], dtype=float) for p in order]
        args = list(np.broadcast_arrays(*args))
        with np.errstate(all="ignore"):
            out = np.asarray(value_fn(*args), dtype=float)
        return np.broadcast_to(out, args[0].shape) if args else out

    return evaluate_nd


def evaluate_batch(
    law: Law, params: Mapping[str, np.ndarray], inputs: Mapping[str, Any]
) -> np.ndarray:
    """The law at ``inputs`` with array-valued parameters (e.g. a ``Resolved.batch`` of draws), all
    broadcast together; NaN where the formula is undefined."""
    args = [np.asarray(inputs[n], dtype=float) for n in law.inputs]
    args += [np.asarray(params[p], dtype=float) for p in law.param_names]
    args = list(np.broadcast_arrays(*args))
    with np.errstate(all="ignore"):
        out = np.asarray(law.compiled.value(*args), dtype=float)
    return np.broadcast_to(out, args[0].shape) if args else out


def _constant(value: float) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def constant(n: np.ndarray, d: np.ndarray) -> np.ndarray:
        return np.full(np.shape(n), value)

    return constant


_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def minimise_log(
    objective: Callable[[np.ndarray], np.ndarray],
    lower: np.ndarray,
    upper: np.ndarray,
    n_grid: int = 121,
    n_iter: int = 80,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise ``objective(x)`` over ``x`` in ``[lower, upper]`` elementwise (x is log N, say).

    ``objective`` takes an array of the broadcast shape of ``lower`` plus a trailing grid axis and
    returns values of the same shape (NaN or inf where infeasible). A coarse grid picks the best cell
    (robust to several local minima), then golden-section search refines it. Returns ``(x, interior)``;
    ``interior`` is False where the best grid point is on the first or last feasible grid point, i.e.
    the minimum may lie outside the range.
    """
    lower, upper = np.broadcast_arrays(np.asarray(lower, dtype=float), np.asarray(upper, dtype=float))
    t = np.linspace(0.0, 1.0, n_grid)
    grid = lower[..., None] + (upper - lower)[..., None] * t
    values = np.asarray(objective(grid), dtype=float)
    values = np.where(np.isfinite(values), values, np.inf)
    best = np.argmin(values, axis=-1)
    feasible = np.isfinite(values)
    first = np.argmax(feasible, axis=-1)
    last = n_grid - 1 - np.argmax(feasible[..., ::-1], axis=-1)
    any_feasible = feasible.any(axis=-1)
    interior = any_feasible & (best > first) & (best < last)
    step = (upper - lower) / (n_grid - 1)
    centre = np.take_along_axis(grid, best[..., None], axis=-1)[..., 0]
    a, b = centre - step, centre + step
    c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
    fc, fd = objective(c[..., None])[..., 0], objective(d[..., None])[..., 0]
    for _ in range(n_iter):
        fc = np.where(np.isfinite(fc), fc, np.inf)
        fd = np.where(np.isfinite(fd), fd, np.inf)
        left = fc < fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        new = np.where(left, b - _GOLDEN * (b - a), a + _GOLDEN * (b - a))
        c, d = np.where(left, new, d), np.where(left, c, new)
        fnew = objective(new[..., None])[..., 0]
        fc, fd = np.where(left, fnew, fd), np.where(left, fc, fnew)
    x = np.where(any_feasible, 0.5 * (a + b), np.nan)
    return x, interior
