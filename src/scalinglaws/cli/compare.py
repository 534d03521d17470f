"""``scalinglaws compare A.json B.json``: how much compute one fitted method needs to match another."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from scalinglaws.cli import _console, _io
from scalinglaws.cli._chain import PairingName
from scalinglaws.cli._options import positive, probability

EPILOG = """\
Examples:

  scalinglaws compare new_method.json baseline.json --flops 1e21 --flops 1e23 --target 1e24

  scalinglaws compare a.json b.json --flops 1e22 --pairing paired --json
"""

_FIT = Annotated[
    Path,
    typer.Argument(help="A fit with bootstrap draws (`scalinglaws fit --bootstrap N --out`).", exists=True,
                   dir_okay=False, show_default=False),
]


def compare_command(
    a: _FIT,
    b: _FIT,
    flops: Annotated[
        list[float],
        typer.Option("--flops", metavar="C", help="Scale (compute budget) at which to give the multiplier (repeatable)."),
    ],
    target: Annotated[
        float | None,
        typer.Option("--target", metavar="C", callback=lambda x: None if x is None else positive(x),
                     help="Scale at which to give the probability that A's loss is the lower."),
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
    """Compare two fits: the compute multiplier of A over B at each --flops, the crossover scale, and the
    probability that A is better at --target, each from paired or independent bootstraps of both fits."""
    from scalinglaws.plan.comparison import compare

    fit_a, fit_b = _io.read_fit(a, "A"), _io.read_fit(b, "B")
    labels = (f"{a.name} ({fit_a.law.label})", f"{b.name} ({fit_b.law.label})")
    result = compare(fit_a, fit_b, flops=flops, target=target, prob=interval, pairing=pairing.value, seed=seed,
                     cost=cost, labels=labels)
    _console.result(json.dumps(result.to_dict(), allow_nan=False) if json_ else result.summary())
