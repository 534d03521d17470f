"""``scalinglaws plan``, ``suggest`` and ``isoflop``: turn a fit (or published constants) into decisions."""

from __future__ import annotations

import json
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

  scalinglaws suggest fit.json --target-compute 1e24 --budget 1e21

  scalinglaws suggest fit.json --target-compute 1e24 --budget 1e21 --shapes --json
"""

ISOFLOP_EPILOG = """\
Examples:

  scalinglaws isoflop sweep.csv --method cubic

  scalinglaws isoflop sweep.csv --flops-column flops_budget --n-params-column N --method akima --json

  scalinglaws isoflop sweep.csv --compare fit.json
"""

_JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of a table.")]


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
) -> None:
    """Compute-optimal model size N*, tokens D* and predicted loss for each budget.

    Intervals come from the fit's bootstrap draws (`scalinglaws fit --bootstrap N`).
    """
    from scalinglaws.plan import allocate

    path = Path(source)
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
    if json_:
        _console.result(json.dumps(allocation.to_dict()))
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
    import polars as pl

    frame = pl.DataFrame({
        "flops": allocation.flops, "n_params": allocation.n_params, "n_tokens": allocation.n_tokens,
        "tokens_per_param": allocation.tokens_per_param, "predicted_loss": allocation.predicted_loss,
    })
    if allocation.intervals:
        for key in ("n_params", "n_tokens", "predicted_loss"):
            lo, hi = allocation.intervals[key]
            frame = frame.with_columns(pl.Series(f"{key}_lower", lo), pl.Series(f"{key}_upper", hi))
    else:
        _console.note("no bootstrap draws in the source: no intervals (fit with --bootstrap N for them)")
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, float_precision=4):
        _console.result(str(frame))


def suggest_command(
    fit: Annotated[
        Path,
        typer.Argument(metavar="FIT", help="A fit written by `scalinglaws fit --out`.", exists=True,
                       dir_okay=False, show_default=False),
    ],
    target_compute: Annotated[
        float, typer.Option("--target-compute", metavar="FLOPS",
                            help="Pin down the fit's compute-optimal prediction at this budget."),
    ],
    budget: Annotated[
        float, typer.Option("--budget", metavar="FLOPS", help="FLOPs (6ND summed) the next runs may spend."),
    ],
    max_runs: Annotated[int, typer.Option("--max-runs", min=1, help="At most this many runs.")] = 32,
    shapes: Annotated[
        bool, typer.Option("--shapes", help="Add n_layers/d_model/n_heads of a simple transformer family.")
    ] = False,
    json_: _JSON = False,
) -> None:
    """Propose the next runs (N, D) that shrink the target prediction's interval most per FLOP."""
    import polars as pl

    from scalinglaws.plan import suggest_runs

    result = _io.read_fit(fit)
    suggestion = suggest_runs(
        result, budget=budget, target_flops=target_compute, max_runs=max_runs, shapes=shapes
    )
    for note in suggestion.notes:
        _console.warn(note)
    if json_:
        _console.result(json.dumps(suggestion.to_dict()))
        return
    before, after = suggestion.interval(False), suggestion.interval(True)
    _console.result(
        f"target: N={_fmt(suggestion.target_n_params)} D={_fmt(suggestion.target_n_tokens)} "
        f"loss={suggestion.target_loss:.4f}   ({suggestion.method})\n"
        f"{suggestion.prob:.0%} interval now [{before[0]:.4f}, {before[1]:.4f}] -> with these runs "
        f"[{after[0]:.4f}, {after[1]:.4f}] (predicted)\n"
        f"{suggestion.runs.height} runs, {suggestion.spent:.3g} of {suggestion.budget:.3g} FLOPs\n"
    )
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, float_precision=4):
        _console.result(str(suggestion.runs))


def isoflop_command(
    data: Annotated[
        Path, typer.Argument(metavar="DATA", help="IsoFLOP sweep: one row per run.", exists=True,
                             dir_okay=False, show_default=False),
    ],
    method: Annotated[
        str, typer.Option("--method", help="Profile fit: cubic, parabola (Chinchilla) or akima (Porian).")
    ] = "cubic",
    flops_column: Annotated[str, typer.Option("--flops-column", help="Budget column.")] = "flops",
    n_params_column: Annotated[str, typer.Option("--n-params-column", help="Model-size column.")] = "n_params",
    loss_column: Annotated[str, typer.Option("--loss-column", help="Loss column.")] = "loss",
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
) -> None:
    """Chinchilla Approach 2: minimise each budget's loss profile and fit N_opt ∝ C^a, D_opt ∝ C^b."""
    if method not in ("cubic", "parabola", "akima"):
        raise typer.BadParameter(f"must be cubic, parabola or akima. Got {method!r} instead.", param_hint="'--method'")
    import polars as pl

    from scalinglaws.plan import allocate, compare_frontiers, isoflop_profiles

    frame = _io.read_table(data)
    result = isoflop_profiles(
        frame, method=method, flops=flops_column, n_params=n_params_column,  # type: ignore[arg-type]
        loss=loss_column, n_boot=bootstrap, prob=interval, seed=seed,
    )
    edge = result.budgets.filter(~pl.col("interior"))["flops"].to_list()
    if edge:
        _console.warn(f"minimum at the edge of the sweep (left out of the frontier) at budgets {edge}")
    comparison = None
    if compare is not None:
        fitted = _io.read_fit(compare)
        comparison = compare_frontiers(result, allocate(fitted, flops=result.budgets["flops"].to_numpy()))
    if json_:
        out = result.to_dict()
        if comparison is not None:
            out["comparison"] = {
                "exponent_a_law": comparison.exponent_a_law, "exponent_b_law": comparison.exponent_b_law,
                "budgets": comparison.table.to_dicts(),
            }
        _console.result(json.dumps(out))
        return
    ci = result.intervals
    _console.result(
        f"method: {result.method}   N_opt = {result.coef_a:.4g} C^{result.exponent_a:.4f}"
        + (f" [{ci['exponent_a'][0]:.4f}, {ci['exponent_a'][1]:.4f}]" if ci else "")
        + f"   D_opt = {result.coef_b:.4g} C^{result.exponent_b:.4f}"
        + (f" [{ci['exponent_b'][0]:.4f}, {ci['exponent_b'][1]:.4f}]" if ci else "")
    )
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, float_precision=4):
        _console.result(str(result.budgets))
        if comparison is not None:
            _console.result(
                f"law frontier: a = {comparison.exponent_a_law:.4f}, b = {comparison.exponent_b_law:.4f}"
            )
            _console.result(str(comparison.table))


__all__ = ["isoflop_command", "plan_command", "suggest_command"]
