"""``scalinglaws fit DATA``: fit a catalog law or a typed formula to a table of runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import scalinglaws as sl
from scalinglaws.cli import _console, _io, _log_to
from scalinglaws.cli._fit_options import (
    ASYMMETRY,
    DEFAULT_LOSS,
    DEFAULT_SPACE,
    DEFAULTS,
    DELTA,
    FIX,
    GROUP,
    INIT,
    LAW,
    LOSS,
    MAP,
    MAX_ITER,
    N_GRID,
    N_POLISH,
    PARAM,
    SEED,
    SHARED,
    SPACE,
    TARGET,
    WEIGHTS,
    fit_config,
)
from scalinglaws.cli._options import BootstrapName

_DATA_HELP = "Table of runs: .csv, .parquet or .jsonl, one row per run."

EPILOG = """\
Examples:

  scalinglaws fit runs.csv --law chinchilla --out fit.json

  scalinglaws fit runs.csv --law "E + A*N**-alpha + B*D**-beta" --param E=0: --out fit.json

  scalinglaws fit runs.csv --law chinchilla --fix E=1.69 --json

  scalinglaws fit runs.csv --law power --map x=flops --init alpha=0.1:1 --json

  scalinglaws fit runs.csv --law chinchilla --bootstrap 1000 --out fit.json
"""


def fit_command(
    data: Annotated[
        Path, typer.Argument(metavar="DATA", help=_DATA_HELP, exists=True, dir_okay=False, show_default=False)
    ],
    law: LAW = "chinchilla",
    map_: MAP = None,
    target: TARGET = DEFAULTS.target,
    param: PARAM = None,
    init: INIT = None,
    fix: FIX = None,
    loss: LOSS = DEFAULT_LOSS,
    delta: DELTA = DEFAULTS.delta,
    space: SPACE = DEFAULT_SPACE,
    asymmetry: ASYMMETRY = DEFAULTS.asymmetry,
    weights: WEIGHTS = DEFAULTS.weights,
    group: GROUP = DEFAULTS.group,
    shared: SHARED = None,
    n_grid: N_GRID = DEFAULTS.n_grid,
    n_polish: N_POLISH = DEFAULTS.n_polish,
    max_iter: MAX_ITER = DEFAULTS.max_iter,
    seed: SEED = DEFAULTS.seed,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Exit with code 1 (and write nothing) unless the fit status is converged."
        ),
    ] = False,
    bootstrap: Annotated[
        int,
        typer.Option(
            "--bootstrap", min=0, metavar="N",
            help="Refit on N resamples and keep the draws in the fit, for intervals (0 = none).",
        ),
    ] = 0,
    bootstrap_method: Annotated[
        BootstrapName,
        typer.Option(
            "--bootstrap-method",
            help="pairs: resample runs; cluster: resample whole runs by --cluster (several checkpoints "
            "per run); residual/wild: keep the design, resample residuals (small ladders).",
        ),
    ] = BootstrapName.pairs,
    cluster: Annotated[
        str | None,
        typer.Option("--cluster", metavar="COLUMN", help="Run-id column for --bootstrap-method cluster."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="FIT.json", dir_okay=False,
                     help="Write the fit here, for `scalinglaws predict`."),
    ] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Print the fit as JSON instead of a table.")
    ] = False,
    log_to: _log_to.LOG_TO = None,
    log_experiment: _log_to.LOG_EXPERIMENT = None,
    log_run: _log_to.LOG_RUN = None,
    tracking_uri: _log_to.TRACKING_URI = None,
) -> None:
    """Fit a scaling law to a table of training runs and print the fitted parameters."""
    config = fit_config(
        map_=map_, target=target, param=param, init=init, fix=fix, loss=loss, delta=delta, space=space,
        asymmetry=asymmetry, weights=weights, group=group, shared=shared, n_grid=n_grid,
        n_polish=n_polish, max_iter=max_iter, seed=seed, strict=strict,
    )
    if (bootstrap_method is BootstrapName.cluster) != (cluster is not None):
        raise typer.BadParameter(
            "--cluster COLUMN goes with --bootstrap-method cluster, and only with it.",
            param_hint="'--cluster'",
        )
    _io.check_output(out)
    frame = _io.read_table(data)
    destination = _log_to.prepare(log_to, log_experiment, log_run, tracking_uri, frame)
    with _console.progress(2 if bootstrap else 1, f"fitting {law!r} to {frame.height} runs") as advance:
        result = sl.fit(frame, law, config=config)
        draws = None
        if bootstrap:
            advance(f"bootstrap: refitting on {bootstrap} resamples ({bootstrap_method.value})")
            draws = sl.bootstrap(
                result, frame, n_boot=bootstrap, seed=seed, method=bootstrap_method.value, cluster=cluster
            )
        advance("")
    if draws is not None:
        if draws.n_failed:
            _console.warn(f"{draws.n_failed} of {bootstrap} bootstrap refits did not converge; dropped.")
        result = result.with_bootstrap(draws)
    if not result.is_usable:
        _console.warn(
            f"the fit ended with status {result.status.value}: {result.message}. Check it before use; "
            "with --strict this is an error (exit code 1)."
        )
    if out is not None:
        _io.write_text(result.to_json() + "\n", out)
        _console.note(f"wrote {str(out)!r}")
    if json_:
        _console.result(result.to_json())
        _console.diagnostics(result)
    else:
        _console.fit_summary(result)
    _log_to.send(destination, result)
