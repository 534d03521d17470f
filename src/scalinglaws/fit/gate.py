"""The validation gate: a table of columns, a law and a config become a fitting problem, checked once.

Everything a fit reads is checked here (columns present and numeric, rows finite and in the law's
domain, enough points for the parameters), with messages that name the column, the bad rows and the
fix; the kernels behind the gate trust their inputs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from scalinglaws._validation import close_names
from scalinglaws.errors import DataError, LawSpecError, MissingColumnError, SchemaError
from scalinglaws.fit._problem import Problem, build_problem
from scalinglaws.fit.backends import require_backend
from scalinglaws.fit.config import FitConfig
from scalinglaws.fit.layout import ParamLayout
from scalinglaws.fit.scales import scale_aware
from scalinglaws.fit.splits import split_axis
from scalinglaws.laws import ColumnMap, Law, formula_names, get_law, parse_formula


@dataclass(frozen=True, eq=False)
class Prepared:
    """A validated fitting problem, the config with the column each input read, the group labels of
    the rows (None when ungrouped), and the digest of the data used."""

    problem: Problem
    config: FitConfig
    labels: np.ndarray | None
    digest: str
    layout: ParamLayout
    axis: np.ndarray | None = None
    """The scale axis of each row when the fit chooses its optimum by leave-future-out error."""


def check_target(columns: Mapping[str, Any], target: str) -> None:
    """Raise naming the target column when the table lacks it."""
    if target not in columns:
        raise MissingColumnError(
            f"target column {target!r} is missing. Available columns: {sorted(columns)}."
            f"{close_names(target, columns)} Name the target with `target=COLUMN` (CLI: `--target COLUMN`)."
        )


def resolve_law(
    law: str | Law, columns: Sequence[str], mapping: Mapping[str, str], target: str
) -> tuple[Law, dict[str, str]]:
    """Return the law and the column each of its inputs reads.

    A string is a catalog name or a formula; in a formula, names that are columns (directly, through
    ``mapping``, or through the descriptive alias of a literature symbol such as ``N -> n_params``) are
    inputs and all others are parameters.
    """
    rule = mapping if isinstance(mapping, ColumnMap) else ColumnMap(mapping)
    if isinstance(law, str) and law.isidentifier():
        law = get_law(law)
    if isinstance(law, str):
        parse_formula(law)
        names = formula_names(law)
        inputs = [n for n in names if rule.column(n, columns) is not None]
        if not inputs:
            raise LawSpecError(
                f"formula {law!r} reads no column of the data: none of {list(names)} is a column. "
                f"Columns: {sorted(columns)}. Map a name to a column, e.g. `--map N=n_params`."
            )
        law = Law.from_formula(law, inputs=inputs)
    if not law.param_names:
        raise LawSpecError(
            f"law {law.label!r} has no parameters: every name in it ({list(law.inputs)}) is a column of the "
            "data, so there is nothing to fit. Write the law with parameters, e.g. 'A*N**alpha' for 'N'."
        )
    unknown = [n for n in rule if n not in law.inputs and n not in law.param_names]
    if unknown:
        raise LawSpecError(
            f"`mapping` names {unknown}, which are not inputs of law {law.label!r} "
            f"(inputs: {list(law.inputs)})."
        )
    colliding = [n for n in rule if n in law.param_names]
    colliding += [n for n in law.param_names if n in columns and n not in colliding]
    if colliding:
        raise LawSpecError(
            f"parameter(s) {colliding} of law {law.label!r} have the name of a data column or are mapped "
            "to one. Rename the column, or write the formula with another parameter name."
        )
    resolved = {}
    for name in law.inputs:
        column = rule.column(name, columns)
        if column is None:
            looked_for = rule.candidates(name)
            near = "".join(close_names(c, columns) for c in looked_for[:1])
            raise MissingColumnError(
                f"no column {' or '.join(map(repr, looked_for))} for input `{name}` of law {law.label!r}. "
                f"Available columns: {sorted(columns)}.{near} Map it with `mapping={{'{name}': COLUMN}}` "
                f"(CLI: `--map {name}=COLUMN`)."
            )
        if column == target:
            raise LawSpecError(f"input `{name}` of law {law.label!r} reads the target column {target!r}.")
        resolved[name] = column
    return law, resolved


def mapping_for(law: str | Law, mapping: Mapping[str, str]) -> dict[str, str]:
    """The entries of ``mapping`` that name an input of ``law`` (for a formula: a name in it)."""
    if isinstance(law, str):
        names = set(get_law(law).inputs) if law.isidentifier() else set(formula_names(law))
    else:
        names = set(law.inputs)
    return {k: c for k, c in mapping.items() if k in names}


def config_for(law: Law, config: FitConfig) -> FitConfig:
    """``config`` with only the mapping entries, bounds, starts, fixed values and priors that name an
    input or parameter of ``law``: one config for several laws (``select``, ``average``)."""
    names = {*law.inputs, *law.param_names}
    return config.with_options(
        mapping={k: c for k, c in config.mapping.items() if k in names},
        bounds={k: b for k, b in config.bounds.items() if k in names},
        init={k: r for k, r in config.init.items() if k in names},
        fixed={k: x for k, x in config.fixed.items() if k in names},
        priors={k: p for k, p in config.priors.items() if k in names},
    )


def apply_overrides(law: Law, config: FitConfig) -> Law:
    """The law with the config's bounds, start ranges and fixed values; a start range outside new
    bounds is reset."""
    bounds, init, fixed = config.bounds, config.init, config.fixed
    specs = {}
    for name in sorted({*bounds, *init, *fixed}):
        spec = law.spec(name)
        if name in bounds:
            lo, hi = bounds[name]
            inside = spec.init is not None and lo <= spec.init[0] and spec.init[1] <= hi
            spec = replace(spec, lower=lo, upper=hi, init=spec.init if inside else None)
        if name in init:
            spec = replace(spec, init=config.start_range(name), init_from=None)
        if name in fixed:
            spec = replace(spec, fixed=fixed[name])
        specs[name] = spec
    return law.with_specs(specs) if specs else law


def float_column(columns: Mapping[str, Any], name: str, role: str) -> np.ndarray:
    """Column ``name`` as floats, or an error naming it, its role and the cells that are not numbers."""
    if name not in columns:
        raise MissingColumnError(
            f"column {name!r} ({role}) is missing. Available columns: {sorted(columns)}."
            + close_names(name, columns)
        )
    raw = columns[name]
    try:
        return np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        pass
    bad = []
    for i, cell in enumerate(np.asarray(raw, dtype=object).ravel().tolist()):
        try:
            float(cell)
        except (TypeError, ValueError):
            bad.append((i, cell))
    shown = ", ".join(f"{i} ({cell!r})" for i, cell in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    raise SchemaError(
        f"column {name!r} ({role}) must be numeric; {len(bad)} row(s) are not numbers: {shown} (row numbers "
        "count from 0). Fix or drop these rows; nothing was dropped."
    )


def _bad_rows_message(rows: np.ndarray, values: np.ndarray) -> str:
    shown = ", ".join(f"{int(i)} ({float(values[i])!r})" for i in rows[:5])
    more = f" and {rows.size - 5} more" if rows.size > 5 else ""
    return f"{rows.size} row(s): {shown}{more}"


def check_rows(name: str, role: str, values: np.ndarray, bad: np.ndarray, rule: str, fix: str) -> None:
    """Raise naming the bad rows; a row of a history input is bad when any of its entries is."""
    if bad.size == 0:  # no rows (or a history of no steps): nothing is bad
        return
    per_row = bad.reshape(bad.shape[0], -1)
    rows = np.flatnonzero(per_row.any(axis=1))
    if rows.size:
        first_bad = values.reshape(per_row.shape)[np.arange(per_row.shape[0]), np.argmax(per_row, axis=1)]
        raise DataError(
            f"column {name!r} ({role}) must be {rule}; {_bad_rows_message(rows, first_bad)} are not "
            f"(row numbers count from 0). {fix} Nothing was dropped."
        )


def digest(arrays: Mapping[str, np.ndarray | bytes]) -> str:
    """sha256 of the arrays a fit used, in order (inputs, target, weights, group labels)."""
    h = hashlib.sha256()
    for name, values in arrays.items():
        h.update(name.encode())
        h.update(values if isinstance(values, bytes) else np.ascontiguousarray(values).tobytes())
    return "sha256:" + h.hexdigest()


def prepare(columns: Mapping[str, Any], law: str | Law, config: FitConfig) -> Prepared:
    """Validate the data against the law once and build the fitting problem.

    Raises
    ------
    MissingColumnError, SchemaError, DataError
        If a needed column is absent, not numeric, or holds values the law cannot use.
    LawSpecError
        If the law is unknown, does not parse, a parameter collides with a column, or an override
        names a parameter the law does not have.
    ImportError
        If the config's backend is ``"jax"`` and jax is not installed.
    """
    require_backend(config.backend)
    target, weights, group, shared = config.target, config.weights, config.group, config.shared
    names = list(columns)
    check_target(columns, target)
    n_rows = len(columns[target])
    if n_rows == 0:
        raise DataError(
            "the table has no rows (only a header?): there is nothing to fit. Check the file, or the "
            "filters applied before."
        )
    typed = isinstance(law, str) and not law.isidentifier()
    law, input_columns = resolve_law(law, names, config.mapping, target)
    law = apply_overrides(law, config)
    unknown_shared = [p for p in shared if p not in law.param_names]
    if unknown_shared:
        raise LawSpecError(
            f"`shared` names {unknown_shared}, which are not parameters of law {law.label!r} "
            f"({list(law.param_names)})."
        )

    x = {name: float_column(columns, col, f"input `{name}`") for name, col in input_columns.items()}
    if law.compiled.history_inputs:
        law.check_history_shapes(x, "fit")
    if typed:
        law = scale_aware(law, x)
    y = float_column(columns, target, "target")
    w = float_column(columns, weights, "weights") if weights else np.ones_like(y)
    for name, col in input_columns.items():
        check_rows(col, f"input `{name}`", x[name], ~np.isfinite(x[name]), "finite",
                   "Drop or fill these rows before fitting.")
        if name in law.positive_inputs:
            check_rows(col, f"input `{name}`", x[name], x[name] <= 0, "positive",
                       f"Law {law.label!r} raises `{name}` to a power or takes its log; check units "
                       "or drop these rows.")
    check_rows(target, "target", y, ~np.isfinite(y), "finite", "Drop or fill these rows before fitting.")
    if config.space == "log":
        check_rows(target, "target", y, y <= 0, "positive to fit in log space",
                   "Fit with `space='linear'` (CLI: `--space linear`) for targets that can be <= 0.")
    if weights:
        check_rows(weights, "weights", w, ~np.isfinite(w) | (w < 0), "finite and non-negative",
                   "Fix the weights column.")

    labels = None
    if group is not None:
        if group not in columns:
            raise MissingColumnError(
                f"group column {group!r} is missing. Available: {sorted(names)}.{close_names(group, names)}"
            )
        labels = np.asarray([str(v) for v in columns[group]])

    config = replace(config, mapping=input_columns)
    used: dict[str, np.ndarray | bytes] = {**{f"x:{k}": v for k, v in x.items()}, "y": y, "w": w}
    if labels is not None:
        used["group"] = "\0".join(labels.tolist()).encode()

    groups = None if labels is None else tuple(dict.fromkeys(labels.tolist()))
    layout = ParamLayout(law.param_names, groups, tuple(shared))
    problem = build_problem(
        law, x, y, w, layout, labels, config.loss, config.delta, config.space, config.asymmetry,
        config.backend,
    )
    # A group's points must determine its own parameters; shared ones draw on every group.
    n_own = sum(1 for p in law.param_names if (labels is None or p not in shared) and p not in law.fixed)
    for block in problem.blocks:
        if block.rows.size < n_own:
            where = "" if labels is None else f" in group {str(labels[block.rows[0]])!r}"
            raise DataError(
                f"law {law.label!r} has {n_own} {'' if labels is None else 'group-specific '}parameters "
                f"but the data has {block.rows.size} point(s)"
                f"{where}; a fit needs at least as many points as parameters. Add runs, or fit a law "
                "with fewer parameters."
            )
    axis = choose_axis(columns, law, input_columns, config.choose_by) if config.choose == "backtest" else None
    return Prepared(problem, config, labels, digest(used), layout, axis)


def choose_axis(columns: Mapping[str, Any], law: Law, mapping: Mapping[str, str], choose_by: str) -> np.ndarray:
    """The axis along which ``choose="backtest"`` scores optima (``"auto"``: compute, or the law's only
    input).

    Raises
    ------
    MissingColumnError
        If the axis names no column, or ``"auto"`` finds neither compute nor a single input.
    """
    if choose_by != "auto":
        return split_axis(columns, law, mapping, choose_by)[0]
    try:
        return split_axis(columns, law, mapping, "C")[0]
    except MissingColumnError:
        point = law.point_inputs
        if len(point) == 1:
            return np.asarray(columns[mapping[point[0]]], dtype=float)
        raise MissingColumnError(
            f"`choose_by` 'auto' of fit finds no compute column (and no N and D to make one) in the data, "
            f"and law {law.label!r} has several inputs {list(point)}. Name the axis along which to choose "
            "the optimum, e.g. `choose_by='N'` (CLI: `--choose-by N`)."
        ) from None
