"""Parse a formula string once into a sympy expression, and compile what the engine needs from it.

The formula is Python arithmetic over names. Parsing walks Python's own syntax tree, so names that sympy
reserves (``E``, ``N``, ``S``, ``beta``...) are plain symbols here and nothing is ever ``eval``-ed.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import sympy as sp

from scalinglaws.errors import LawSpecError


class history_sum(sp.Function):  # type: ignore[misc]  # sympy is untyped
    """Sum of its argument over each point's history (axis 0 of the history inputs).

    A history input holds, for each point, one value per earlier step (e.g. per learning-rate step of
    a loss curve). The sum is linear, so derivatives pass through it.
    """

    nargs = 1

    @classmethod
    def eval(cls, arg: sp.Expr) -> sp.Expr | None:
        return sp.S.Zero if arg.is_zero else None

    def _eval_derivative(self, symbol: sp.Symbol) -> sp.Expr:
        return history_sum(self.args[0].diff(symbol))

    def _latex(self, printer: Any) -> str:
        return r"\sum_{k \leq t} \left(" + printer._print(self.args[0]) + r"\right)"


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": sp.exp,
    "log": sp.log,
    "log10": lambda x: sp.log(x, 10),
    "log2": lambda x: sp.log(x, 2),
    "sqrt": sp.sqrt,
    "abs": sp.Abs,
    "min": sp.Min,
    "max": sp.Max,
    "tanh": sp.tanh,
    "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    "history_sum": history_sum,
}
"""Functions a formula may call, by the name it uses."""

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


def _sides(formula: str) -> list[str]:
    """An expression, or the sides of an equation ``lhs = rhs`` (an implicit law): split at each
    ``=`` outside brackets that is not part of ``==``, ``<=``, ``>=`` or ``!=``."""
    text = formula.replace("^", "**").strip()
    cuts, depth = [], 0
    for i, char in enumerate(text):
        depth += (char in "([{") - (char in ")]}")
        alone = text[i - 1 : i] not in ("=", "<", ">", "!") and text[i + 1 : i + 2] != "="
        if char == "=" and depth == 0 and alone:
            cuts.append(i)
    return [text[a + 1 : b].strip() for a, b in itertools.pairwise([-1, *cuts, len(text)])]


def is_equation(formula: str) -> bool:
    """Whether ``formula`` is an equation ``lhs = rhs`` (an implicit law) rather than an expression."""
    return len(_sides(formula)) > 1


@lru_cache(maxsize=512)
def parse_formula(formula: str) -> sp.Expr:
    """Return the sympy expression of ``formula``; for an equation ``lhs = rhs``, of ``lhs - rhs``.

    Raises
    ------
    LawSpecError
        If ``formula`` is not an arithmetic expression (or one equation) over names, numbers and the
        functions in ``FUNCTIONS``.
    """
    sides = _sides(formula)
    if len(sides) > 2:
        raise LawSpecError(f"`formula` {formula!r} has more than one '='; a law is one equation.")
    if len(sides) == 2:
        return parse_formula(sides[0]) - parse_formula(sides[1])
    text = sides[0]
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        # Python reports offset 0 (or past the end) for an error at the end of the text.
        where = f" at column {exc.offset}" if exc.offset and exc.offset <= len(text) else " at its end"
        raise LawSpecError(
            f"`formula` {formula!r} cannot be parsed: {exc.msg}{where}. "
            "Write it in Python arithmetic, e.g. 'E + A*N**-alpha + B*D**-beta'."
        ) from None
    size = sum(1 for _ in ast.walk(tree.body))
    if size > MAX_FORMULA_NODES:
        raise LawSpecError(
            f"`formula` {_short(formula)} is too long: {size} names, numbers and operations, more than the "
            f"{MAX_FORMULA_NODES} a law may have. A scaling law has a handful of terms; fit the terms that "
            "matter, or sum a long expansion in a column of the data and use that column as an input."
        )
    try:
        expr = _to_sympy(tree.body, formula)
    except RecursionError:
        raise LawSpecError(
            f"`formula` {_short(formula)} is nested too deeply to analyse; write it with fewer levels "
            "of brackets and operations."
        ) from None
    if not isinstance(expr, sp.Expr) or not expr.free_symbols:
        raise LawSpecError(f"`formula` {formula!r} has no names in it; a law needs inputs and parameters.")
    _check_finite(expr, formula)
    return expr


MAX_FORMULA_NODES = 1000
"""Most names, numbers and operations a formula may have (the catalog's longest has about 100)."""


def _short(formula: str) -> str:
    return repr(formula) if len(formula) <= 80 else repr(formula[:60] + " ... " + formula[-15:])


def _check_finite(expr: sp.Expr, formula: str) -> None:
    """Refuse a formula that is infinite or undefined by construction (``A/(N - N)**alpha``): sympy
    simplifies it to an infinity, NaN, or a power of zero, and nothing can be fitted to it."""
    undefined = expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or any(
        p.base.is_zero for p in expr.atoms(sp.Pow)
    ) or any(
        n.is_zero for n in (sp.fraction(sp.together(t))[1] for t in sp.Add.make_args(expr))
        if n is not None
    )
    if undefined:
        raise LawSpecError(
            f"`formula` {_short(formula)} is infinite or undefined for every input: it simplifies to "
            f"{_short(str(expr))}, which divides by zero or raises zero to a power (a difference such as "
            "'N - N' is 0). Check the brackets and the names."
        )


def _to_sympy(node: ast.AST, formula: str) -> Any:
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_to_sympy(node.left, formula), _to_sympy(node.right, formula))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _to_sympy(node.operand, formula)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(
        node.value, bool
    ):
        return sp.Float(node.value) if isinstance(node.value, float) else sp.Integer(node.value)
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise LawSpecError(f"`formula` {formula!r} uses the function name {node.id!r} as a variable.")
        return sp.Symbol(node.id, real=True)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        function = FUNCTIONS.get(node.func.id)
        if function is None:
            raise LawSpecError(
                f"`formula` {formula!r} calls unknown function {node.func.id!r}. "
                f"Known functions: {', '.join(sorted(FUNCTIONS))}."
            )
        args = [_to_sympy(arg, formula) for arg in node.args]
        try:
            return function(*args)
        except (TypeError, ValueError) as exc:
            raise LawSpecError(
                f"`formula` {formula!r} calls {node.func.id}() with {len(args)} argument(s): {exc}."
            ) from None
    raise LawSpecError(
        f"`formula` {formula!r} contains {ast.unparse(node)!r}, which is not arithmetic over names, "
        f"numbers and the functions {', '.join(sorted(FUNCTIONS))}."
    )


@lru_cache(maxsize=512)
def formula_names(formula: str) -> tuple[str, ...]:
    """Return the free names of ``formula`` in order of first appearance."""
    names = []
    for side in _sides(formula):
        tree = ast.parse(side, mode="eval")
        names += sorted(
            (node.col_offset, node.id)
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id not in FUNCTIONS
        )
    return tuple(dict.fromkeys(name for _, name in names))


_NUMERIC = {"history_sum": lambda x: np.sum(x, axis=0)}


def _lambdify(args: Sequence[sp.Symbol], expr: sp.Expr | Sequence[sp.Expr]) -> Callable[..., Any]:
    cleaned = [_without_impulses(e) for e in expr] if isinstance(expr, list | tuple) else _without_impulses(expr)
    return sp.lambdify(args, cleaned, modules=[_NUMERIC, "numpy"], cse=True)


def history_symbols(expr: sp.Expr) -> set[str]:
    """Names that appear inside a ``history_sum``."""
    return {str(s) for node in expr.atoms(history_sum) for s in node.free_symbols}


def as_history_argument(values: np.ndarray, batched: bool) -> np.ndarray:
    """A history input of shape ``(n_points, n_history)`` as evaluators take it, to be summed over its
    first axis: ``(n_history, 1, n_points)`` against ``(batch, 1)`` parameters, ``(n_history,
    n_points)`` against scalars."""
    swapped = np.asarray(values).T
    return swapped[:, None, :] if batched else swapped


HISTORY_ELEMENTS = 2**16
"""History terms (batch rows x points x history steps) an evaluator computes at once: 512 KiB per
temporary. On Luo et al.'s curves (437 points x 130 steps, so one batch row a call) multi_power fits
took 1.6-2x less time than with 2**19 (9 rows a call), and no less with tiles of points of 2**14."""


def _tiled(tiles: list[list[Any]], rows: list[int], spans: list[int]) -> Any:
    """The results of an evaluator called on tiles of (batch rows) x (points), joined into one
    ``(batch, points)`` array (a fused evaluator's lists entry by entry; constants broadcast first)."""
    first = tiles[0][0]
    if isinstance(first, list | tuple):
        return [
            _tiled([[tile[i] for tile in row] for row in tiles], rows, spans) for i in range(len(first))
        ]
    return np.concatenate([
        np.concatenate([
            np.broadcast_to(np.asarray(tile, dtype=float), (size, span))
            for tile, span in zip(row, spans, strict=True)
        ], axis=1)
        for row, size in zip(tiles, rows, strict=True)
    ])


def _without_impulses(expr: sp.Expr) -> sp.Expr:
    """Drop the Dirac deltas that differentiating min/max/abs twice creates: they are zero wherever the
    derivative exists, and NumPy has no function to print them as."""
    return expr.replace(sp.DiracDelta, lambda *args: sp.S.Zero) if expr.has(sp.DiracDelta) else expr


def _linear_names(expr: sp.Expr, params: Sequence[sp.Symbol]) -> tuple[sp.Symbol, ...]:
    """Parameters in which ``expr`` is jointly affine: zero second derivatives among them."""
    candidates = [p for p in params if sp.diff(expr, p, 2) == 0 and sp.diff(expr, p) != 0]
    linear: list[sp.Symbol] = []
    for p in candidates:
        slope = sp.diff(expr, p)
        if all(not slope.has(q) and not sp.diff(expr, q).has(p) for q in linear):
            linear.append(p)
    return tuple(linear)


@dataclass(frozen=True, eq=False)
class CompiledFormula:
    """A formula analysed for the engine: linear parameters, exact derivatives, NumPy evaluators.

    All evaluators take the inputs first (arrays of shape ``(n,)``, or ``(n, n_history)`` for history
    inputs) and then the parameters (scalars or arrays of shape ``(batch, 1)``) and broadcast to
    ``(batch, n)``.
    """

    expr: sp.Expr
    inputs: tuple[str, ...]
    params: tuple[str, ...]

    @cached_property
    def _input_symbols(self) -> tuple[sp.Symbol, ...]:
        return tuple(sp.Symbol(n, real=True) for n in self.inputs)

    @cached_property
    def _param_symbols(self) -> tuple[sp.Symbol, ...]:
        return tuple(sp.Symbol(n, real=True) for n in self.params)

    @cached_property
    def _args(self) -> tuple[sp.Symbol, ...]:
        """What the evaluators take: the inputs, then the parameters."""
        return (*self._input_symbols, *self._param_symbols)

    @cached_property
    def history_inputs(self) -> tuple[str, ...]:
        """Inputs summed over inside ``history_sum``: per point, one value per earlier step."""
        inside = history_symbols(self.expr)
        return tuple(n for n in self.inputs if n in inside)

    def _compile(self, args: Sequence[sp.Symbol], expr: sp.Expr | Sequence[sp.Expr]) -> Callable[..., Any]:
        function = _lambdify(args, expr)
        positions = [i for i, n in enumerate(self.inputs) if n in self.history_inputs]
        if not positions:
            return function

        n_inputs = len(self.inputs)

        def with_history(*values: Any) -> Any:
            shaped = list(values)
            params = values[n_inputs:]
            batched = any(np.ndim(v) > 0 for v in params)
            for i in positions:
                shaped[i] = as_history_argument(shaped[i], batched)
            # Chunk only inputs shared by every batch row: (points,) and (points, history).
            shared = all(np.ndim(values[i]) == (2 if i in positions else 1) for i in range(n_inputs))
            if not batched or not shared:
                return function(*shaped)
            n_points, width = np.shape(values[positions[0]])
            batch = max(np.shape(v)[0] for v in params if np.ndim(v) > 0)
            rows = max(1, HISTORY_ELEMENTS // max(n_points * width, 1))
            span = min(n_points, max(1, HISTORY_ELEMENTS // max(width, 1)))  # all points when rows > 1
            if (batch <= rows and span == n_points) or n_points == 0:
                return function(*shaped)
            # Every operation inside a history sum makes a (history, batch, points) temporary, and the
            # evaluator keeps its shared subexpressions alive to the end: a few batch rows (or a span
            # of the points of one row) at a time keep them in cache instead of in main memory.
            row_starts, point_starts = range(0, batch, rows), range(0, n_points, span)
            tiles = [
                [
                    function(
                        *(v[..., p : p + span] for v in shaped[:n_inputs]),
                        *(v if np.ndim(v) == 0 or np.shape(v)[0] == 1 else v[a : a + rows] for v in params),
                    )
                    for p in point_starts
                ]
                for a in row_starts
            ]
            return _tiled(
                tiles, [min(rows, batch - a) for a in row_starts], [min(span, n_points - p) for p in point_starts]
            )

        return with_history

    @cached_property
    def linear_params(self) -> tuple[str, ...]:
        """Parameters that enter the formula linearly (solved exactly by variable projection)."""
        return tuple(str(p) for p in _linear_names(self.expr, self._param_symbols))

    @cached_property
    def nonlinear_params(self) -> tuple[str, ...]:
        return tuple(p for p in self.params if p not in self.linear_params)

    @cached_property
    def value(self) -> Callable[..., Any]:
        return self._compile(self._args, self.expr)

    @cached_property
    def gradient(self) -> tuple[Callable[..., Any], ...]:
        """Exact first derivatives, one evaluator per parameter, in ``params`` order."""
        return tuple(self._compile(self._args, sp.diff(self.expr, p)) for p in self._param_symbols)

    @cached_property
    def _first(self) -> tuple[sp.Expr, ...]:
        return tuple(sp.diff(self.expr, p) for p in self._param_symbols)

    @cached_property
    def _second(self) -> dict[tuple[int, int], sp.Expr]:
        """Exact second derivatives ``(i, j) -> expression`` for ``i <= j``, omitting those equal to 0."""
        out = {}
        for i in range(len(self._param_symbols)):
            for j in range(i, len(self._param_symbols)):
                second = _without_impulses(sp.diff(self._first[i], self._param_symbols[j]))
                if second != 0:
                    out[(i, j)] = second
        return out

    @cached_property
    def hessian(self) -> dict[tuple[int, int], Callable[..., Any]]:
        """Exact second derivatives ``(i, j) -> evaluator`` for ``i <= j``, omitting those equal to 0."""
        return {pair: self._compile(self._args, expr) for pair, expr in self._second.items()}

    @cached_property
    def hessian_pairs(self) -> tuple[tuple[int, int], ...]:
        """The ``(i, j)``, ``i <= j``, whose second derivative is not identically zero, in order."""
        return tuple(self._second)

    @cached_property
    def with_gradient(self) -> Callable[..., list[Any]]:
        """One evaluator of the value and every first derivative: ``[f, df/dp_1, ..., df/dp_n]``.

        The expressions are compiled together with common subexpressions eliminated, so a power such as
        ``N**-alpha`` is computed once per call, not once per derivative.
        """
        return self._compile_many(self._args, (self.expr, *self._first))

    @cached_property
    def with_hessian(self) -> Callable[..., list[Any]]:
        """One evaluator of the value, the first derivatives and the non-zero second derivatives (in
        ``hessian_pairs`` order), compiled together as :attr:`with_gradient`."""
        return self._compile_many(self._args, (self.expr, *self._first, *self._second.values()))

    def _compile_many(self, args: Sequence[sp.Symbol], exprs: Sequence[sp.Expr]) -> Callable[..., list[Any]]:
        return self._compile(args, list(exprs))

    def evaluator(self, expr: sp.Expr) -> Callable[..., Any]:
        """An evaluator of a sub-expression of the formula, taking the same arguments as ``value``
        (compiled once per sub-expression)."""
        cache: dict[sp.Expr, Callable[..., Any]] = self.__dict__.setdefault("_evaluators", {})
        if expr not in cache:
            cache[expr] = self._compile(self._args, expr)
        return cache[expr]

    @cached_property
    def basis(self) -> tuple[Callable[..., Any], tuple[Callable[..., Any], ...]]:
        """``(offset, columns)`` with ``f = offset + sum_k c_k * columns[k]`` over linear params ``c``.

        Both take the inputs and then the nonlinear parameters.
        """
        linear = [sp.Symbol(n, real=True) for n in self.linear_params]
        nonlinear = [sp.Symbol(n, real=True) for n in self.nonlinear_params]
        args = (*self._input_symbols, *nonlinear)
        offset = self.expr.subs(dict.fromkeys(linear, 0))
        columns = tuple(self._compile(args, sp.diff(self.expr, c)) for c in linear)
        return self._compile(args, offset), columns


def evaluate(function: Callable[..., Any], *args: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Call a compiled evaluator and broadcast its result (constants come back as scalars) to ``shape``.

    Python floats are passed as NumPy floats, so ``1/f`` at ``f = 0`` is ``inf`` (as it is for arrays)
    rather than a ``ZeroDivisionError``.
    """
    values = [np.float64(a) if type(a) is float else a for a in args]
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(function(*values), dtype=float), shape)
