"""A law is a value: a formula over named inputs and parameters, parameter specs and metadata."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import sympy as sp

from scalinglaws.errors import DataError, LawSpecError
from scalinglaws.laws._formula import (
    CompiledFormula,
    evaluate,
    formula_names,
    history_sum,
    history_symbols,
    is_equation,
    parse_formula,
)
from scalinglaws.laws._implicit import ImplicitFormula
from scalinglaws.laws._spec import ParamSpec


@dataclass(frozen=True)
class Law:
    """A scaling law: a formula over inputs and parameters, with parameter specs and metadata.

    Build one with :meth:`Law.from_formula`, or take one from the catalog with ``get_law(name)``.

    Parameters
    ----------
    formula
        Python arithmetic over the input and parameter names (``**``, ``exp``, ``log``, ``min``...).
    inputs
        Names in the formula that are read from data columns.
    params
        One :class:`ParamSpec` per remaining name, in the order results report them.
    name, description, reference
        Catalog metadata.
    conventions
        Input name -> how it is counted (e.g. ``"N": "total parameters incl. embeddings"``).
    presets
        Named published constants, usable for prediction without a fit.
    nested
        A special case of this law on the same inputs and a subset of its parameters (a BNSL with
        its last break removed). The fit fits it first and searches only the other parameters around
        its optima.
    exchangeable
        Groups of parameters that can trade places as wholes without changing the law (a BNSL's
        breaks). Fits report them sorted by the first parameter of each group.
    solve_for, bracket
        For an implicit law, written as an equation ``lhs = rhs``: the name it is solved for (the
        prediction), and two expressions (in parameters and inputs) between which the solution lies.
        ``lhs - rhs`` must increase with it there.
    cost_required
        Why a plan must be told how a run's compute is charged: set when the law's ``N`` is not what a
        forward pass costs (total parameters of a mixture of experts), so the dense default
        ``6*N*D`` would be wrong. Plans refuse such a law without an explicit cost model.
    """

    formula: str
    inputs: tuple[str, ...]
    params: tuple[ParamSpec, ...]
    name: str = ""
    description: str = ""
    reference: str = ""
    conventions: Mapping[str, str] = field(default_factory=dict)
    presets: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    nested: Law | None = None
    exchangeable: tuple[tuple[str, ...], ...] = ()
    solve_for: str = ""
    bracket: tuple[str, str] = ("", "")
    cost_required: str = ""

    def __post_init__(self) -> None:
        if self.formula:
            # A LawSpecError, not a SyntaxError, for Law(...) and from_dict.
            expr = parse_formula(self.formula)
            self._check_history_sums(expr)
            present = {str(s) for s in expr.free_symbols}
            written = set(formula_names(self.formula))
            cancelled = [p.name for p in self.params if p.name in written and p.name not in present]
            if cancelled and not self.solve_for:
                raise LawSpecError(
                    f"law {self.label!r}: the formula does not depend on parameter(s) {cancelled}; they "
                    f"cancel out (it simplifies to {str(expr)[:80]!r}), so no data could fit them. Check the "
                    "brackets and the names."
                )
        names = formula_names(self.formula) if self.formula else ()
        declared = (*self.inputs, *self.param_names)
        if len(set(declared)) != len(declared):
            duplicated = sorted({n for n in declared if declared.count(n) > 1})
            raise LawSpecError(f"law {self.label!r} declares {duplicated} more than once.")
        if bool(self.solve_for) != is_equation(self.formula) or (self.solve_for and self.solve_for not in names):
            raise LawSpecError(
                f"law {self.label!r}: an implicit law is an equation 'lhs = rhs' with `solve_for` naming "
                f"the variable it is solved for, which appears in it (got solve_for={self.solve_for!r})."
            )
        if self.solve_for:
            bracket_names = {n for side in self.bracket if side for n in formula_names(side)}
            if not all(self.bracket) or not bracket_names <= set(declared):
                raise LawSpecError(
                    f"law {self.label!r}: `bracket` must give two expressions in its parameters and "
                    f"inputs between which {self.solve_for!r} lies. Got {self.bracket!r}."
                )
        missing = [n for n in names if n not in declared and n != self.solve_for]
        unused = [n for n in declared if n not in names]
        if missing or unused:
            raise LawSpecError(
                f"law {self.label!r}: formula names and declared names differ "
                f"(undeclared in formula: {missing}, declared but unused: {unused})."
            )
        for preset, values in self.presets.items():
            if set(values) != set(self.param_names):
                raise LawSpecError(
                    f"preset {preset!r} of law {self.label!r} must give exactly {list(self.param_names)}. "
                    f"Got {sorted(values)} instead."
                )
        nested = self.nested
        if nested is not None and (
            nested.inputs != self.inputs or not set(nested.param_names) < set(self.param_names)
        ):
            raise LawSpecError(
                f"`nested` law {nested.label!r} of law {self.label!r} must have the inputs "
                f"{list(self.inputs)} and some but not all of the parameters "
                f"{list(self.param_names)}. Got inputs {list(nested.inputs)} and parameters "
                f"{list(nested.param_names)}."
            )
        grouped = [n for group in self.exchangeable for n in group]
        sizes = {len(group) for group in self.exchangeable}
        if (
            len(sizes) > 1
            or 0 in sizes
            or len(set(grouped)) != len(grouped)
            or not set(grouped) <= set(self.param_names)
        ):
            raise LawSpecError(
                f"`exchangeable` of law {self.label!r} must be groups of the same size, each "
                f"naming different parameters of {list(self.param_names)}. "
                f"Got {self.exchangeable!r} instead."
            )

    def _check_history_sums(self, expr: sp.Expr) -> None:
        """Each ``history_sum`` is weighted by a history input, and history inputs stay inside them."""
        sums = expr.atoms(history_sum)
        for node in sums:
            (summand,) = node.args
            weights = [f for f in sp.Mul.make_args(summand) if f.is_Symbol and str(f) in self.inputs]
            if summand.has(history_sum) or not weights:
                raise LawSpecError(
                    f"law {self.label!r}: the argument of history_sum must be a product with a history "
                    f"input as one factor (e.g. history_sum(gap*(1 - exp(-k*area)))), with no history_sum "
                    f"inside. Got history_sum({summand})."
                )
        inside = history_symbols(expr) & set(self.inputs)
        outside = {str(s) for s in expr.subs(dict.fromkeys(sums, 0)).free_symbols} & inside
        if outside:
            raise LawSpecError(
                f"law {self.label!r}: history inputs {sorted(outside)} appear outside history_sum; a "
                "history input has one value per earlier step and can only be summed over."
            )

    @classmethod
    def from_formula(
        cls,
        formula: str,
        inputs: Sequence[str],
        params: Mapping[str, ParamSpec] | None = None,
        **metadata: Any,
    ) -> Law:
        """Build a law from a formula; names that are not ``inputs`` become parameters.

        Parameters without a spec in ``params`` are unbounded (a typed law never silently forbids a
        negative amplitude or offset).

        Raises
        ------
        LawSpecError
            If the formula does not parse, an input is not in it, or ``params`` names an unknown
            parameter.
        """
        parse_formula(formula)
        names = formula_names(formula)
        absent = [n for n in inputs if n not in names]
        if absent:
            raise LawSpecError(f"`inputs` {absent} do not appear in formula {formula!r}.")
        specs = dict(params or {})
        param_names = [n for n in names if n not in inputs and n != metadata.get("solve_for")]
        unknown = [n for n in specs if n not in param_names]
        if unknown:
            raise LawSpecError(
                f"`params` names {unknown}, which are not parameters of formula {formula!r}. "
                f"Its parameters are {param_names}."
            )
        return cls(
            formula=formula,
            inputs=tuple(inputs),
            params=tuple(specs.get(n, ParamSpec(n)) for n in param_names),
            **metadata,
        )

    @property
    def label(self) -> str:
        return self.name or self.formula

    def equation(self, target: str) -> str:
        """The law as text: ``target = formula``, or an implicit law's own equation."""
        return self.formula if self.solve_for else f"{target} = {self.formula}"

    @property
    def point_inputs(self) -> tuple[str, ...]:
        """Inputs with one value per point: all but the history inputs."""
        return tuple(n for n in self.inputs if n not in self.compiled.history_inputs)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def spec(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise LawSpecError(f"law {self.label!r} has no parameter {name!r}; it has {list(self.param_names)}.")

    def with_specs(self, specs: Mapping[str, ParamSpec]) -> Law:
        """Return a copy with some parameter specs replaced."""
        for name in specs:
            self.spec(name)
        return replace(self, params=tuple(specs.get(p.name, p) for p in self.params))

    @property
    def compiled(self) -> CompiledFormula:
        """The parsed formula: linear parameters, exact derivatives and NumPy evaluators.

        Compiled once per formula, inputs and parameter order, and shared by every law that has them:
        a copy with other bounds, starts or fixed values (``with_specs``) reuses the evaluators.
        """
        return _compile(self.formula, self.inputs, self.param_names, self.solve_for, self.bracket)

    @property
    def fixed(self) -> Mapping[str, float]:
        """Parameters held at a value, by name."""
        return {p.name: p.fixed for p in self.params if p.fixed is not None}

    @cached_property
    def positive_inputs(self) -> tuple[str, ...]:
        """Inputs that the formula raises to a non-integer power or takes the log of: must be > 0."""
        found: set[str] = set()
        for node in sp.preorder_traversal(self.compiled.expr):
            if isinstance(node, sp.Pow) and not node.exp.is_integer:
                found |= _monomial_symbols(node.base) | _power_sum_symbols(node.base)
            elif isinstance(node, sp.log):
                found |= _monomial_symbols(node.args[0])
        return tuple(n for n in self.inputs if n in found)

    def predict(self, params: Mapping[str, float], inputs: Mapping[str, Any]) -> np.ndarray:
        """Evaluate the law at ``inputs`` (arrays by input name) with parameter values ``params``."""
        missing = [n for n in self.param_names if n not in params]
        if missing:
            raise LawSpecError(f"`params` of Law.predict lacks {missing} for law {self.label!r}.")
        columns = {n: np.asarray(inputs[n], dtype=float) for n in self.inputs}
        values = [np.float64(params[n]) for n in self.param_names]  # numpy scalars: inf, not ZeroDivisionError
        history = self.compiled.history_inputs
        if not history:
            shape = np.broadcast_shapes(*(c.shape for c in columns.values())) if columns else ()
            return np.array(evaluate(self.compiled.value, *columns.values(), *values, shape=shape))
        n_points = self.check_history_shapes(columns, "Law.predict")
        return np.array(evaluate(self.compiled.value, *columns.values(), *values, shape=(n_points,)))

    def check_history_shapes(self, columns: Mapping[str, np.ndarray], where: str) -> int:
        """The number of points, after checking that history inputs are ``(n_points, n_history)``
        arrays and the other inputs ``(n_points,)`` arrays."""
        history = self.compiled.history_inputs
        n_points = {c.shape[0] for c in columns.values() if c.ndim >= 1}
        wrong = [
            f"{n} {columns[n].shape}"
            for n in self.inputs
            if columns[n].ndim != (2 if n in history else 1)
        ]
        if wrong or len(n_points) != 1:
            raise DataError(
                f"inputs of {where} for law {self.label!r} have the wrong shapes: {wrong or 'lengths differ'}. "
                f"History inputs {list(history)} need one row per point and one column per history step, "
                "shape (n_points, n_history); the other inputs one value per point. Add them to a run table with "
                "scalinglaws.schedules.with_schedule_inputs."
            )
        return n_points.pop()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "formula": self.formula,
            "inputs": list(self.inputs),
            "params": [p.to_dict() for p in self.params],
            "description": self.description,
            "reference": self.reference,
            "conventions": dict(self.conventions),
            "presets": {k: dict(v) for k, v in self.presets.items()},
            "nested": self.nested.to_dict() if self.nested is not None else None,
            "exchangeable": [list(group) for group in self.exchangeable],
            "solve_for": self.solve_for,
            "bracket": list(self.bracket),
            **({"cost_required": self.cost_required} if self.cost_required else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Law:
        return cls(
            formula=data["formula"],
            inputs=tuple(data["inputs"]),
            params=tuple(ParamSpec.from_dict(p) for p in data["params"]),
            name=data.get("name", ""),
            description=data.get("description", ""),
            reference=data.get("reference", ""),
            conventions=dict(data.get("conventions", {})),
            presets={k: dict(v) for k, v in data.get("presets", {}).items()},
            nested=cls.from_dict(data["nested"]) if data.get("nested") is not None else None,
            exchangeable=tuple(tuple(group) for group in data.get("exchangeable", ())),
            solve_for=data.get("solve_for", ""),
            bracket=tuple(data.get("bracket", ("", ""))),
            cost_required=data.get("cost_required", ""),
        )


@lru_cache(maxsize=256)
def _compile(
    formula: str,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    solve_for: str,
    bracket: tuple[str, str],
) -> CompiledFormula:
    expr = parse_formula(formula)
    if not solve_for:
        return CompiledFormula(expr, inputs, params)
    low, high = (parse_formula(side) for side in bracket)
    return ImplicitFormula(expr, inputs, params, solve_for, (low, high))


def _power_sum_symbols(expr: sp.Expr) -> set[str]:
    """Names in the monomial terms of a sum of positive power-law terms, e.g. ``D`` in
    ``(N_c/N)**r + D_c/D`` (Kaplan): each term, and so each such name, is meant to be positive."""
    terms = sp.Add.make_args(expr)
    if len(terms) < 2 or not all(t.free_symbols and t.as_coeff_Mul()[0] > 0 for t in terms):
        return set()
    return set().union(*(_monomial_symbols(t) for t in terms))


def _monomial_symbols(expr: sp.Expr) -> set[str]:
    """Names whose sign decides the sign of ``expr`` when it is a product of powers of symbols."""
    factors = sp.Mul.make_args(expr)
    if all(f.is_number or f.is_Symbol or (f.is_Pow and f.base.is_Symbol) for f in factors):
        return {str(s) for s in expr.free_symbols}
    return set()
