"""``scalinglaws laws [NAME]``: the catalog, or everything about one law."""

from __future__ import annotations

import json
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
            _console.result(json.dumps([law.to_dict() for law in laws], indent=2))
        else:
            _console.result(_table(
                ("name", "formula", "reference"),
                [(law.name, law.formula, law.reference) for law in laws],
            ))
        return
    law = sl.get_law(name)
    _console.result(json.dumps(law.to_dict(), indent=2) if json_ else describe(law))


def describe(law: sl.Law) -> str:
    """Everything a user needs to fit ``law`` from the command line, as text."""
    from scalinglaws.laws import ColumnMap

    linear = set(law.compiled.linear_params)
    lines = [f"{law.name}: {law.description}" if law.description else law.label, ""]
    lines += [f"formula:    {law.formula}", f"reference:  {law.reference or '-'}", "", "inputs:"]
    lines += _indent(_table(
        ("symbol", "column", "convention"),
        [
            (n, ColumnMap().describe(n), law.conventions.get(n, ""))
            for n in law.inputs
        ],
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
    lines += _indent(_table(("name", "bounds", "initial range", "solve", "description"), rows))
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


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain aligned columns: readable in a terminal, unchanged through a pipe."""
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    )
