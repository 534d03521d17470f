"""``scalinglaws compare A.json B.json``: how much compute one fitted method needs to match another."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scalinglaws.cli import _console, _io
from scalinglaws.cli._chain import PairingName
from scalinglaws.cli._options import positive, probability

EPILOG = """\
Examples:

  scalinglaws compare new_method.json baseline.json --compute 1e21 --compute 1e23 --at-compute 1e24

  scalinglaws compare a.json b.json --compute 1e22 --pairing paired --json
"""

_FIT = Annotated[
    Path,
    typer.Argument(help="A fit with bootstrap draws (`scalinglaws fit --bootstrap N --out`).", exists=True,
                   dir_okay=False, show_default=False),
]


def compare_command(
    a: _FIT,
    b: _FIT,
    compute: Annotated[
        list[float] | None,
        typer.Option("--compute", "-c", metavar="FLOPS", show_default=False,
                     help="Scale (compute budget) at which to give the multiplier (repeatable; required)."),
    ] = None,
    at_compute: Annotated[
        float | None,
        typer.Option("--at-compute", metavar="FLOPS", callback=lambda x: None if x is None else positive(x),
                     help="Scale at which to give the probability that A's loss is the lower."),
    ] = None,
    flops: Annotated[
        list[float] | None, typer.Option("--flops", hidden=True, help="Old spelling of --compute.")
    ] = None,
    target: Annotated[
        float | None,
        typer.Option("--target", hidden=True, callback=lambda x: None if x is None else positive(x),
                     help="Old spelling of --at-compute."),
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", metavar="PROB", callback=probability, help="Interval probability.")
    ] = 0.95,
    pairing: Annotated[
        PairingName,
        typer.Option("--pairing", help="independent: the fits used different runs; paired: the same runs, "
                     "bootstrapped with the same seed and number of draws."),
    ] = PairingName.independent,
    cost: Annotated[str, typer.Option("--cost", help="Cost of a run in N and D, for the compute-optimal frontier.")] = "6*N*D",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the independent joining of draws.")] = 0,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Compare two fits: the compute multiplier of A over B at each --compute, the crossover scale, and the
    probability that A is better at --target, each from paired or independent bootstraps of both fits."""
    from scalinglaws.plan.comparison import compare

    scales = [*(compute or ()), *(flops or ())]
    if not scales:
        raise typer.BadParameter("is required: at least one scale, e.g. --compute 1e23.", param_hint="'--compute'")
    if at_compute is not None and target is not None and at_compute != target:
        raise typer.BadParameter("is given twice, also as --target; give it once.", param_hint="'--at-compute'")
    decide_at = at_compute if at_compute is not None else target
    fit_a, fit_b = _io.read_fit(a, "A"), _io.read_fit(b, "B")
    labels = (f"{a.name} ({fit_a.law.label})", f"{b.name} ({fit_b.law.label})")
    result = compare(fit_a, fit_b, flops=scales, target=decide_at, prob=interval, pairing=pairing.value,
                     seed=seed, cost=cost, labels=labels)
    if json_:
        _console.result_json(result.to_dict())
    else:
        _console.result(result.summary())
