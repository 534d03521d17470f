"""The options with which ``scalinglaws fit`` fits step 2 of a two-step prediction and chains it.

``fit evals.csv --law gadre_downstream --map L=loss --target error --through loss_fit.json --out
chain.json`` fits the metric law on its own table, then joins it after the loss fit in
``loss_fit.json`` (``scalinglaws.chain``); ``--out`` writes the chain, which ``scalinglaws predict``
evaluates from the loss fit's inputs (N, D, ...). ``--logit FLOOR:CEILING`` fits the target in logit
space (``scalinglaws.downstream.logit_target``) and maps predictions back to the metric.
"""

from __future__ import annotations

import enum
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import polars as pl

    import scalinglaws as sl
    from scalinglaws.downstream import Chain, Logit


class PairingName(enum.StrEnum):
    """Values of ``--pairing``; the same strings as ``scalinglaws.fit.pairing.Pairing``."""

    independent = "independent"
    paired = "paired"


THROUGH = Annotated[
    Path | None,
    typer.Option(
        "--through", metavar="LOSS_FIT.json", exists=True, dir_okay=False,
        help="Chain this metric fit after the loss fit in LOSS_FIT.json: --out then writes a chain that "
        "`scalinglaws predict` evaluates from the loss fit's inputs, with both steps' uncertainty "
        "(give both fits --bootstrap N for intervals).",
    ),
]
LOSS_INPUT = Annotated[
    str | None,
    typer.Option(
        "--loss-input", metavar="SYMBOL",
        help="With --through: the law input that takes the predicted loss (default: the input reading "
        "the loss fit's target column, or the only input).",
    ),
]
PAIRING = Annotated[
    PairingName,
    typer.Option(
        "--pairing",
        help="With --through: independent (the two fits used different runs) or paired (the same runs, "
        "bootstrapped with the same --seed and --bootstrap N).",
    ),
]
LOGIT = Annotated[
    str | None,
    typer.Option(
        "--logit", metavar="FLOOR:CEILING",
        help="Fit logit((target - FLOOR)/(CEILING - FLOOR)) instead of the target (e.g. with law "
        "logit_linear and --space linear); a chain maps predictions back to the target.",
    ),
]


def parse_logit(text: str | None) -> Logit | None:
    """``--logit FLOOR:CEILING`` -> :class:`Logit`."""
    if text is None:
        return None
    from scalinglaws.downstream import Logit

    form = "FLOOR:CEILING with finite numbers, FLOOR < CEILING, e.g. 0.25:1"
    pieces = text.split(":")
    try:
        floor, ceiling = (float(p) for p in pieces)
    except ValueError:
        raise typer.BadParameter(f"must be {form}. Got {text!r} instead.", param_hint="'--logit'") from None
    if not (math.isfinite(floor) and math.isfinite(ceiling) and floor < ceiling):
        raise typer.BadParameter(f"must be {form}. Got {text!r} instead.", param_hint="'--logit'")
    return Logit(floor, ceiling)


def logit_frame(frame: pl.DataFrame, target: str, link: Logit) -> tuple[pl.DataFrame, str, str]:
    """The table with the logit of ``target`` added, the new target column and the provenance record."""
    from scalinglaws.downstream import logit_target

    name = f"logit_{target}"
    frame, record = logit_target(frame, target, link.floor, link.ceiling, name=name)
    return frame, name, record


def check_chain_options(through: Path | None, loss_input: str | None, pairing: PairingName) -> None:
    if through is None and (loss_input is not None or pairing is not PairingName.independent):
        option = "--loss-input" if loss_input is not None else "--pairing"
        raise typer.BadParameter("goes with --through LOSS_FIT.json, and only with it.", param_hint=f"'{option}'")


def make_chain(
    loss_fit: sl.FitResult, result: sl.FitResult, loss_input: str | None, pairing: PairingName, seed: int,
    link: Logit | None,
) -> Chain:
    """The chain of the loss fit (from ``--through``) and the metric fit ``result``."""
    import scalinglaws as sl

    try:
        return sl.chain(loss_fit, result, through=loss_input, pairing=pairing.value, seed=seed, link=link)
    except sl.ArgumentError as exc:  # the library's `through` is this command's --loss-input
        if exc.argument != "through":
            raise
        raise typer.BadParameter(str(exc), param_hint="'--loss-input'") from exc


def show(chained: Chain, as_json: bool) -> None:
    """The chain on stdout (summary or JSON), both fits' diagnostics as warnings on stderr."""
    from dataclasses import replace

    from scalinglaws.cli import _console

    if as_json:
        _console.result(chained.to_json())
    else:
        plain = replace(
            chained,
            loss_fit=replace(chained.loss_fit, diagnostics=()),
            metric_fit=replace(chained.metric_fit, diagnostics=()),
        )
        _console.result(plain.summary())
    _console.diagnostics(chained.loss_fit)
    _console.diagnostics(chained.metric_fit)
