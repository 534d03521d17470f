"""``scalinglaws laws [NAME]``: the catalog, or everything about one law."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated

import typer

import scalinglaws as sl
from scalinglaws.cli import _console

EPILOG = """\
Examples:

  scalinglaws laws

  scalinglaws laws chinchilla

  scalinglaws laws chinchilla --json
"""


def laws_command(
    name: Annotated[
        str | None,
        typer.Argument(metavar="NAME", help="A catalog law; without it, list them all.", show_default=False),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the law(s) as JSON.")] = False,
) -> None:
    """List the catalog laws with their formulas, or show one law in full.

    For one law: inputs and conventions, parameter bounds and initial ranges, presets, reference.
    """
    if name is None:
        laws = sl.list_laws()
        if json_:
            _console.result_json([law.to_dict() for law in laws], indent=2)
        else:
            _console.result(catalog_table(laws))
        return
    law = sl.get_law(name)
    if json_:
        _console.result_json(law.to_dict(), indent=2)
    else:
        _console.result(describe(law))


def catalog_table(laws: Sequence[sl.Law], width: int = _console.TABLE_WIDTH) -> str:
    """One entry per law within ``width`` columns: the name, then the formula beside it and the
    reference under it, each wrapped to the space left (nothing padded, nothing cut)."""
    import textwrap

    indent = max(len(law.name) for law in laws) + 3
    room = max(width - indent, 20)
    lines = []
    for law in laws:
        formula = textwrap.wrap(law.formula, room, break_on_hyphens=False) or [""]
        reference = textwrap.wrap(law.reference, room, break_on_hyphens=False)
        lines.append(f"{law.name:<{indent}}{formula[0]}".rstrip())
        lines += [" " * indent + part for part in (*formula[1:], *reference)]
    return "\n".join(lines)


def describe(law: sl.Law) -> str:
    """Everything a user needs to fit ``law`` from the command line, as text."""
    from scalinglaws.laws import ColumnMap

    linear = set(law.compiled.linear_params)
    lines = [f"{law.name}: {law.description}" if law.description else law.label, ""]
    lines += [f"formula:    {law.formula}", f"reference:  {law.reference or '-'}", "", "inputs:"]
    lines += _indent(_console.table(
        ("symbol", "column", "convention"),
        [
            (n, ColumnMap().describe(n), law.conventions.get(n, ""))
            for n in law.inputs
        ],
        wrap=("convention",), width=_console.TABLE_WIDTH - 2,
    ))
    lines.append("  (read another column with --map SYMBOL=COLUMN)")
    lines += ["", "parameters:"]
    rows = []
    for spec in law.params:
        lo, hi = spec.init_range
        start = (
            f"observed range of {spec.init_from}"
            if spec.init_from
            else f"{_num(lo)} .. {_num(hi)}" + (" (log-spaced)" if spec.init_scale == "log" else "")
        )
        rows.append((
            spec.name,
            _interval(spec.lower, spec.upper),
            start,
            "exact" if spec.name in linear else "search",
            spec.description,
        ))
    lines += _indent(_console.table(
        ("name", "bounds", "initial range", "solve", "description"), rows, wrap=("description",),
        width=_console.TABLE_WIDTH - 2,
    ))
    lines += [
        "  (exact: enters linearly, solved exactly for each start of the others)",
        "  (change bounds with --param NAME=LO:HI, starts with --init NAME=LO:HI)",
    ]
    lines += ["", "presets:"]
    if law.presets:
        for preset, values in law.presets.items():
            lines.append(f"  {preset}: " + ", ".join(f"{k}={_num(v)}" for k, v in values.items()))
    else:
        lines.append("  (none)")
    if law.cost_required:
        lines += ["", f"cost:       plans need --cost: {law.cost_required}"]
    return "\n".join(lines)


def _num(value: float) -> str:
    return f"{value:g}" if math.isfinite(value) else ("inf" if value > 0 else "-inf")


def _interval(lo: float, hi: float) -> str:
    left = "[" if math.isfinite(lo) else "("
    right = "]" if math.isfinite(hi) else ")"
    return f"{left}{_num(lo)}, {_num(hi)}{right}"


def _indent(text: str) -> list[str]:
    return ["  " + line for line in text.splitlines()]
