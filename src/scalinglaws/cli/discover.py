"""``scalinglaws discover DATA``: search law forms for the one that extrapolates best."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import scalinglaws as sl
from scalinglaws.cli import _console, _io
from scalinglaws.cli._fit_options import EXECUTOR, make_executor
from scalinglaws.cli._options import checked
from scalinglaws.discover._rules import RULES

if TYPE_CHECKING:
    from scalinglaws.discover import Discovery, SearchProgress

EPILOG = """\
Examples:

  scalinglaws discover runs.csv --target loss --out fit.json

  scalinglaws discover runs.csv --target loss --inputs N,D,U --budget 300 --top 5

  scalinglaws discover runs.csv --target loss --inputs N=num_params,D=tokens --split-by N --json

  scalinglaws discover isoflops.csv --target loss --group config --out fit.json

  scalinglaws discover evals.csv --target loss_a,loss_b --inputs r1,r2 --out fit.json
      # one fit per target: fit.loss_a.json and fit.loss_b.json

  scalinglaws discover runs.csv --target loss --budget 600 --executor ray://head:10001
"""


def discover_command(
    data: Annotated[
        Path,
        typer.Argument(
            metavar="DATA",
            help="Table of runs: .csv, .parquet or .jsonl.",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ],
    target: Annotated[
        str, typer.Option("--target", help="The column to predict; several separated by commas.")
    ] = "loss",
    inputs: Annotated[
        str | None,
        typer.Option(
            "--inputs",
            metavar="N,D,...",
            help="Columns the forms may read, separated by commas: column names, symbols with a column "
            "(N, D, C, U find n_params, n_tokens, flops, n_unique_tokens), or SYMBOL=COLUMN. Default: "
            "every numeric, finite, non-constant column that is not a target or the group.",
        ),
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            metavar="COLUMN",
            help="One form for all groups, with constants per value of COLUMN (exponents shared "
            "across groups where that scores better).",
        ),
    ] = None,
    split_by: Annotated[
        str,
        typer.Option(
            "--split-by",
            metavar="COLUMN|auto",
            help="Axis of the leave-future-out scoring: a column, an input symbol, C, or auto "
            "(compute, else the input spanning the most decades).",
        ),
    ] = "auto",
    budget_s: Annotated[
        float,
        typer.Option(
            "--budget",
            metavar="SECONDS",
            callback=checked(RULES, "budget_s"),
            help="Time for the search and the finalists' full fits; stops with the best so far.",
        ),
    ] = 120.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every fit.")] = 0,
    top: Annotated[
        int,
        typer.Option(
            "--top", callback=checked(RULES, "top"), help="Forms shown on the leaderboard."
        ),
    ] = 10,
    max_candidates: Annotated[
        int | None,
        typer.Option(
            "--max-candidates",
            metavar="N",
            callback=checked(RULES, "max_candidates"),
            help="Stop after scoring N candidates per target: unlike --budget, the same result "
            "on every machine.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FIT.json",
            dir_okay=False,
            help="Write the winning form's fit on all the data here (with several targets, one "
            "file per target: FIT.<target>.json).",
        ),
    ] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Print one JSON document instead of tables.")
    ] = False,
    executor: EXECUTOR = None,
) -> None:
    """Search the building blocks of published scaling laws for the form that extrapolates best.

    Forms are scored by nested leave-future-out error along the split axis (the top of the axis is held
    out for the leaderboard's out-of-sample error and never used to choose); the winner is refitted on
    all the data and written with --out, for `scalinglaws predict`, `plan` and `report`.
    """
    targets = [t.strip() for t in target.split(",") if t.strip()]
    if not targets:
        raise typer.BadParameter(
            f"must name a column. Got {target!r} instead.", param_hint="'--target'"
        )
    names = None if inputs is None else [x.strip() for x in inputs.split(",") if x.strip()]
    _io.check_output(out, inputs=[("DATA", data)])
    frame = _io.read_table(data)
    runner = make_executor(executor, "discover", None)
    with _budget_bar(budget_s) as show:
        found = sl.discover(
            frame,
            targets[0] if len(targets) == 1 else targets,
            inputs=names,
            group=group,
            split_by=split_by,
            budget_s=budget_s,
            seed=seed,
            top=top,
            max_candidates=max_candidates,
            progress=show,
            executor=runner,
        )
    if found.stopped == "budget":
        _console.note(
            "the budget stopped the search: these are the best forms found so far (--budget)"
        )
    elif found.stopped == "limit":
        _console.note("--max-candidates stopped the search: these are the best forms found so far")
    for note in found.notes:
        _console.note(note)
    if out is not None:
        for t in found.targets:
            path = out if len(found.targets) == 1 else out.with_name(f"{out.stem}.{t}{out.suffix}")
            _io.write_text(found.fits[t].to_json() + "\n", path)
            _console.note(
                f"wrote the fit of {found.leaderboards[t][0].formula!r} for {t!r} to {str(path)!r}"
            )
    if json_:
        _console.result(found.to_json())
        return
    _console.result(leaderboards(found))


WIDTH = 100
"""Columns the leaderboard takes at most (formulas wrap inside their column)."""


def leaderboards(found: Discovery) -> str:
    """The headline and each target's leaderboard as plain-text tables of at most :data:`WIDTH`
    columns (drawn by rich, without styles). The search's notes go to stderr, not here."""
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table

    from scalinglaws.discover.result import LEGEND, pct, r2_text

    buffer = io.StringIO()
    console = Console(file=buffer, width=WIDTH, color_system=None, highlight=False, emoji=False)
    console.print(found.headline, soft_wrap=False)
    for target in found.targets:
        table = Table(
            title=f"target {target!r} ({found.space[target]} residuals)",
            box=box.SIMPLE_HEAD,
            title_justify="left",
            pad_edge=False,
        )
        for name in ("#", "k", "objective", "nested\nerr", "held-out\nerr", "held-out\nR2"):
            table.add_column(name, justify="right", no_wrap=True)
        table.add_column("catalog", overflow="fold", max_width=12)
        table.add_column("formula", overflow="fold", ratio=1)
        for e in found.leaderboards[target]:
            formula = e.formula + (f"  [shared: {', '.join(e.shared)}]" if e.shared else "")
            table.add_row(
                f"{e.rank}{'' if e.full else '*'}",
                str(e.n_params),
                f"{e.objective:.4g}",
                pct(e.error),
                pct(e.outer_error),
                r2_text(e.outer_r2),
                ", ".join(e.equivalent) or "-",
                formula,
            )
        console.print(table)
        console.print(LEGEND, soft_wrap=False)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip().splitlines())


@contextmanager
def _budget_bar(budget: float) -> Iterator[Callable[[SearchProgress], None]]:
    """A bar over the budget on stderr with the best score so far (a line per new best when stderr is
    not a terminal)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = _console.stderr()
    if not console.is_terminal:
        last: dict[str, str] = {}

        def line(p: SearchProgress) -> None:
            if p.best and last.get(p.target) != p.best:
                last[p.target] = p.best
                _console.note(
                    f"[{p.elapsed:.0f} s, {p.n_evaluated} scored] best for {p.target!r}: "
                    f"{_pct(p.best_error)} nested error, {p.best}"
                )

        yield line
        return
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("discovering", total=budget)

        def update(p: SearchProgress) -> None:
            bar.update(
                task,
                completed=min(p.elapsed, budget),
                description=f"{p.n_evaluated} scored, best {_pct(p.best_error)}: {p.best[:60]}",
            )

        yield update


def _pct(value: float) -> str:
    return f"{100 * value:.3g}%" if math.isfinite(value) else "-"
