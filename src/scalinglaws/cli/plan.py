"""``scalinglaws plan``, ``suggest`` and ``isoflop``: turn a fit (or published constants) into decisions."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from scalinglaws.cli import _console, _io
from scalinglaws.cli._options import probability

PLAN_EPILOG = """\
Examples:

  scalinglaws plan fit.json --compute 1e24 --compute 1e25

  scalinglaws plan chinchilla --preset hoffmann2022 --compute 5.76e23 --json

  scalinglaws plan fit.json --compute 1e24 --cost "6*N*D + 2*N*1e12"
"""

SUGGEST_EPILOG = """\
Examples:

  scalinglaws suggest fit.json --compute 1e24 --spend 1e21

  scalinglaws suggest fit.json --compute 1e24 --spend 1e21 --shapes --json
"""

ISOFLOP_EPILOG = """\
Examples:

  scalinglaws isoflop sweep.csv --method cubic

  scalinglaws isoflop sweep.csv --map C=flops_budget --map N=params --method akima --json

  scalinglaws isoflop sweep.csv --compare fit.json
"""

_JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of a table.")]
_OUT = Annotated[
    Path | None,
    typer.Option("--out", "-o", metavar="FILE", dir_okay=False,
                 help="Also write the table (.csv, .tsv, .parquet, .jsonl or .json, by suffix)."),
]


class ProfileMethod(enum.StrEnum):
    """Values of ``--method`` of ``isoflop``; the same strings as ``scalinglaws.plan.isoflop.Method``."""

    cubic = "cubic"
    parabola = "parabola"
    akima = "akima"


def _merge(option: str, value: float | None, old: str, old_value: float | None) -> float:
    """One value from an option and its old spelling (kept as a hidden alias)."""
    if value is not None and old_value is not None and value != old_value:
        raise typer.BadParameter(f"is given twice, also as {old}; give it once.", param_hint=f"'{option}'")
    chosen = value if value is not None else old_value
    if chosen is None:
        raise typer.BadParameter("is required.", param_hint=f"'{option}'")
    return chosen


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def plan_command(
    source: Annotated[
        str,
        typer.Argument(metavar="FIT|LAW", help="A fit written by `scalinglaws fit --out`, or a catalog law "
                       "name used with --preset.", show_default=False),
    ],
    compute: Annotated[
        list[float],
        typer.Option("--compute", "-c", metavar="FLOPS", help="Compute budget in FLOPs (repeatable)."),
    ],
    preset: Annotated[
        str | None, typer.Option("--preset", help="Published constants of LAW, e.g. hoffmann2022.")
    ] = None,
    cost: Annotated[
        str | None, typer.Option(
            "--cost", help="Cost of a run as a formula in N and D (default 6*N*D; laws whose N counts "
            "every expert of a mixture of experts need one, e.g. '72*N*D/516' for 6*N_active*D at E = 64).",
        )
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", metavar="PROB", callback=probability,
                            help="Interval probability (when the fit carries bootstrap draws).")
    ] = 0.95,
    json_: _JSON = False,
    out: _OUT = None,
) -> None:
    """Compute-optimal model size N*, tokens D* and predicted loss for each budget.

    Intervals come from the fit's bootstrap draws (`scalinglaws fit --bootstrap N`).
    """
    from scalinglaws.plan import allocate

    path = Path(source)
    _io.check_output(out, inputs=[("FIT|LAW", path if path.is_file() else None)])
    if path.is_file():
        if preset is not None:
            raise typer.BadParameter("is only for a law name, not a fit file; drop it.", param_hint="'--preset'")
        fitted = _io.read_fit(path)
        allocation = allocate(fitted, flops=compute, cost=cost, prob=interval)
    else:
        if preset is None:
            raise typer.BadParameter(
                f"must be a fit file or a catalog law with --preset. Got {source!r}, which is not a file; "
                "add --preset (see `scalinglaws laws NAME`).", param_hint="'FIT|LAW'",
            )
        allocation = allocate(law=source, preset=preset, flops=compute, cost=cost, prob=interval)
    import polars as pl

    frame = pl.DataFrame({
        "flops": allocation.flops, "n_params": allocation.n_params, "n_tokens": allocation.n_tokens,
        "tokens_per_param": allocation.tokens_per_param, "predicted_loss": allocation.predicted_loss,
    })
    if allocation.intervals:
        for key in ("n_params", "n_tokens", "predicted_loss"):
            lo, hi = allocation.intervals[key]
            frame = frame.with_columns(pl.Series(f"{key}_lower", lo), pl.Series(f"{key}_upper", hi))
    if out is not None:
        _io.write_table(frame, out)
        _console.note(f"wrote the allocation for {frame.height} budget(s) to {str(out)!r}")
    if json_:
        _console.result_json(allocation.to_dict())
        return
    lines = [
        f"law: {allocation.source}   cost: {allocation.cost}   method: {allocation.method}",
        f"exponents: N* ∝ C^{allocation.exponent_a:.4f}, D* ∝ C^{allocation.exponent_b:.4f}"
        + (
            f"   ({interval:.0%}: a in [{float(allocation.intervals['exponent_a'][0]):.4f}, "
            f"{float(allocation.intervals['exponent_a'][1]):.4f}])" if allocation.intervals else ""
        ),
    ]
    _console.result("\n".join(lines))
    if not allocation.intervals:
        _console.note("no bootstrap draws in the source: no intervals (fit with --bootstrap N for them)")
    _console.result(_console.frame_table(frame))


def suggest_command(
    fit: Annotated[
        Path,
        typer.Argument(metavar="FIT", help="A fit written by `scalinglaws fit --out`.", exists=True,
                       dir_okay=False, show_default=False),
    ],
    compute: Annotated[
        float | None, typer.Option("--compute", "-c", metavar="FLOPS", show_default=False,
                                   help="Pin down the fit's compute-optimal prediction at this budget (required)."),
    ] = None,
    spend: Annotated[
        float | None, typer.Option("--spend", metavar="FLOPS", show_default=False,
                                   help="FLOPs (6ND summed) the next runs may spend (required)."),
    ] = None,
    target_compute: Annotated[
        float | None, typer.Option("--target-compute", hidden=True, help="Old spelling of --compute."),
    ] = None,
    budget: Annotated[
        float | None, typer.Option("--budget", hidden=True, help="Old spelling of --spend."),
    ] = None,
    max_runs: Annotated[int, typer.Option("--max-runs", min=1, help="At most this many runs.")] = 32,
    shapes: Annotated[
        bool, typer.Option("--shapes", help="Add n_layers/d_model/n_heads of a simple transformer family.")
    ] = False,
    json_: _JSON = False,
    out: _OUT = None,
) -> None:
    """Propose the next runs (N, D) that shrink the target prediction's interval most per FLOP."""
    from scalinglaws.plan import suggest_runs

    target = _merge("--compute", compute, "--target-compute", target_compute)
    allowance = _merge("--spend", spend, "--budget", budget)
    _io.check_output(out, inputs=[("FIT", fit)])
    result = _io.read_fit(fit)
    suggestion = suggest_runs(
        result, budget=allowance, target_flops=target, max_runs=max_runs, shapes=shapes
    )
    for note in suggestion.notes:
        _console.warn(note)
    if out is not None:
        _io.write_table(suggestion.runs, out)
        _console.note(f"wrote {suggestion.runs.height} proposed runs to {str(out)!r}")
    if json_:
        _console.result_json(suggestion.to_dict())
        return
    before, after = suggestion.interval(False), suggestion.interval(True)
    _console.result(
        f"target: N={_fmt(suggestion.target_n_params)} D={_fmt(suggestion.target_n_tokens)} "
        f"loss={suggestion.target_loss:.4f}   ({suggestion.method})\n"
        f"{suggestion.prob:.0%} interval now [{before[0]:.4f}, {before[1]:.4f}] -> with these runs "
        f"[{after[0]:.4f}, {after[1]:.4f}] (predicted)\n"
        f"{suggestion.runs.height} runs, {suggestion.spent:.3g} of {suggestion.budget:.3g} FLOPs\n"
    )
    _console.result(_console.frame_table(suggestion.runs))


def isoflop_command(
    data: Annotated[
        Path, typer.Argument(metavar="DATA", help="IsoFLOP sweep: one row per run.", exists=True,
                             dir_okay=False, show_default=False),
    ],
    method: Annotated[
        ProfileMethod, typer.Option("--method", help="Profile fit: cubic, parabola (Chinchilla) or akima (Porian).")
    ] = ProfileMethod.cubic,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map", metavar="SYMBOL=COLUMN",
            help="Read the budget C or the model size N from COLUMN (repeatable); by default C reads "
            "C, else flops, and N reads N, else n_params.",
        ),
    ] = None,
    target: Annotated[str, typer.Option("--target", metavar="COLUMN", help="The loss column.")] = "loss",
    flops_column: Annotated[str | None, typer.Option("--flops-column", hidden=True, help="Old: --map C=COLUMN.")] = None,
    n_params_column: Annotated[
        str | None, typer.Option("--n-params-column", hidden=True, help="Old: --map N=COLUMN.")
    ] = None,
    loss_column: Annotated[str | None, typer.Option("--loss-column", hidden=True, help="Old: --target.")] = None,
    bootstrap: Annotated[int, typer.Option("--bootstrap", min=0, metavar="N", help="Resamples for intervals.")] = 200,
    interval: Annotated[
        float, typer.Option("--interval", metavar="PROB", callback=probability, help="Interval probability.")
    ] = 0.95,
    seed: Annotated[int, typer.Option("--seed", help="Resampling seed.")] = 0,
    compare: Annotated[
        Path | None, typer.Option("--compare", metavar="FIT", exists=True, dir_okay=False,
                                  help="Compare the frontier with this fit's allocation."),
    ] = None,
    json_: _JSON = False,
    out: _OUT = None,
    separator: _io.SEPARATOR = None,
) -> None:
    """Chinchilla Approach 2: minimise each budget's loss profile and fit N_opt ∝ C^a, D_opt ∝ C^b."""
    import polars as pl

    from scalinglaws.cli._options import parse_map
    from scalinglaws.laws import ColumnMap
    from scalinglaws.plan import allocate, compare_frontiers, isoflop_profiles

    mapping = parse_map(map_)
    unknown = sorted(set(mapping) - {"C", "N"})
    if unknown:
        raise typer.BadParameter(
            f"maps {unknown}; isoflop reads the budget C and the model size N (the loss is --target).",
            param_hint="'--map'",
        )
    for symbol, old in (("C", flops_column), ("N", n_params_column)):
        if old is not None:
            mapping.setdefault(symbol, old)
    loss = loss_column if loss_column is not None else target
    _io.check_output(out, inputs=[("DATA", data), ("--compare", compare)])
    frame = _io.read_table(data, separator=separator)
    _io.require_columns(frame, [loss], "--target")
    rule = ColumnMap(mapping)
    columns = {}
    for symbol in ("C", "N"):
        found = rule.column(symbol, frame.columns)
        if found is None:
            from scalinglaws._validation import close_names

            looked = rule.candidates(symbol)
            role = "the budget (compute)" if symbol == "C" else "the model size"
            raise typer.BadParameter(
                f"the table has no column {' or '.join(map(repr, looked))} for {role}. Columns: "
                f"{sorted(frame.columns)}.{close_names(looked[-1], frame.columns)} Name it with "
                f"--map {symbol}=COLUMN.", param_hint="'--map'",
            )
        columns[symbol] = found
    result = isoflop_profiles(
        frame, method=method.value, flops=columns["C"], n_params=columns["N"],
        loss=loss, n_boot=bootstrap, prob=interval, seed=seed,
    )
    edge = result.budgets.filter(~pl.col("interior"))["flops"].to_list()
    if edge:
        _console.warn(f"minimum at the edge of the sweep (left out of the frontier) at budgets {edge}")
    comparison = None
    if compare is not None:
        fitted = _io.read_fit(compare)
        comparison = compare_frontiers(result, allocate(fitted, flops=result.budgets["flops"].to_numpy()))
    if out is not None:
        _io.write_table(result.budgets, out)
        _console.note(f"wrote {result.budgets.height} budget(s) to {str(out)!r}")
    if json_:
        document = result.to_dict()
        if comparison is not None:
            document["comparison"] = {
                "exponent_a_law": comparison.exponent_a_law, "exponent_b_law": comparison.exponent_b_law,
                "budgets": comparison.table.to_dicts(),
            }
        _console.result_json(document)
        return
    ci = result.intervals
    _console.result(
        f"method: {result.method}   N_opt = {result.coef_a:.4g} C^{result.exponent_a:.4f}"
        + (f" [{ci['exponent_a'][0]:.4f}, {ci['exponent_a'][1]:.4f}]" if ci else "")
        + f"   D_opt = {result.coef_b:.4g} C^{result.exponent_b:.4f}"
        + (f" [{ci['exponent_b'][0]:.4f}, {ci['exponent_b'][1]:.4f}]" if ci else "")
    )
    _console.result(_console.frame_table(result.budgets))
    if comparison is not None:
        _console.result(
            f"law frontier: a = {comparison.exponent_a_law:.4f}, b = {comparison.exponent_b_law:.4f}"
        )
        _console.result(_console.frame_table(comparison.table))


__all__ = ["isoflop_command", "plan_command", "suggest_command"]
