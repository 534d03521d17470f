"""``scalinglaws fit DATA``: fit a catalog law or a typed formula to a table of runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import scalinglaws as sl
from scalinglaws.cli import _chain, _console, _io, _log_to
from scalinglaws.cli._fit_options import (
    ASYMMETRY,
    BACKEND,
    CHOOSE,
    CHOOSE_BY,
    DEFAULT_BACKEND,
    DEFAULT_CHOOSE,
    DEFAULT_LOSS,
    DEFAULT_SPACE,
    DEFAULTS,
    DELTA,
    EXECUTOR,
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
    PRIOR,
    PRIOR_FROM,
    PRIOR_WIDTH,
    SEED,
    SHARED,
    SPACE,
    TARGET,
    WEIGHTS,
    fit_config,
    make_executor,
)
from scalinglaws.cli._options import BootstrapName

_DATA_HELP = "Table of runs: .csv, .tsv, .parquet or .jsonl (.csv.gz too), one row per run."

EPILOG = """\
Examples:

  scalinglaws fit runs.csv --law chinchilla --out fit.json

  scalinglaws fit runs.csv --law "E + A*N**-alpha + B*D**-beta" --param E=0: --out fit.json

  scalinglaws fit runs.csv --law chinchilla --fix E=1.69 --json

  scalinglaws fit runs.csv --law power --map x=flops --init alpha=0.1:1 --json

  scalinglaws fit runs.csv --law chinchilla --bootstrap 1000 --out fit.json

  scalinglaws fit tasks.csv --law chinchilla --group task --bootstrap 10000 --executor ray://head:10001 \
      --out fit.json     # groups and resamples as Ray tasks on a cluster; the same fit.json as without

  scalinglaws fit evals.csv --law gadre_downstream --map L=loss --target error --space linear \
      --bootstrap 1000 --through fit.json --out chain.json     # step 2 of (N, D) -> loss -> error
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
    backend: BACKEND = DEFAULT_BACKEND,
    choose: CHOOSE = DEFAULT_CHOOSE,
    choose_by: CHOOSE_BY = DEFAULTS.choose_by,
    prior: PRIOR = None,
    prior_from: PRIOR_FROM = DEFAULTS.prior_from,
    prior_width: PRIOR_WIDTH = DEFAULTS.prior_width,
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
    executor: EXECUTOR = None,
    through: _chain.THROUGH = None,
    loss_input: _chain.LOSS_INPUT = None,
    pairing: _chain.PAIRING = _chain.PairingName.independent,
    logit: _chain.LOGIT = None,
    log_to: _log_to.LOG_TO = None,
    log_experiment: _log_to.LOG_EXPERIMENT = None,
    log_run: _log_to.LOG_RUN = None,
    tracking_uri: _log_to.TRACKING_URI = None,
    separator: _io.SEPARATOR = None,
) -> None:
    """Fit a scaling law to a table of training runs and print the fitted parameters.

    With --through LOSS_FIT.json the law is step 2 of a two-step prediction (a metric as a function of
    the loss) and --out writes the chain of both fits.
    """
    config = fit_config(
        map_=map_, target=target, param=param, init=init, fix=fix, loss=loss, delta=delta, space=space,
        asymmetry=asymmetry, weights=weights, group=group, shared=shared, n_grid=n_grid,
        n_polish=n_polish, max_iter=max_iter, seed=seed, backend=backend,
        choose=choose, choose_by=choose_by, prior=prior, prior_from=prior_from, prior_width=prior_width,
        strict=strict,
    )
    if (bootstrap_method is BootstrapName.cluster) != (cluster is not None):
        raise typer.BadParameter(
            "--cluster COLUMN goes with --bootstrap-method cluster, and only with it.",
            param_hint="'--cluster'",
        )
    _chain.check_chain_options(through, loss_input, pairing)
    link = _chain.parse_logit(logit)
    _io.check_output(out, inputs=[("DATA", data), ("--through", through)])
    loss_fit = None if through is None else _io.read_fit(through, "--through")
    frame = _io.read_table(data, separator=separator)
    if cluster is not None:
        _io.require_columns(frame, [cluster], "--cluster")
    if link is not None:
        frame, logit_column, record = _chain.logit_frame(frame, config.target, link)
        config = config.with_options(target=logit_column, provenance=(*config.provenance, record))
    destination = _log_to.prepare(log_to, log_experiment, log_run, tracking_uri, frame)
    with _console.progress(1, f"fitting {law!r} to {frame.height} runs") as advance:
        runner = make_executor(executor, "fit", advance.chunks)
        result = sl.fit(frame, law, config=config, executor=runner)
        advance("")
    draws = None
    if bootstrap:
        what = f"bootstrap: refitting on {bootstrap} resamples ({bootstrap_method.value})"
        with _console.counted(what, bootstrap) as update:
            if runner is not None:  # the executor counts chunks of resamples, here shown as resamples
                runner.progress = lambda finished, total, _label: update(finished * bootstrap // total, bootstrap)
            draws = sl.bootstrap(
                result, frame, n_boot=bootstrap, seed=seed, method=bootstrap_method.value, cluster=cluster,
                progress=update, executor=runner,
            )
    if draws is not None:
        if draws.n_failed:
            _console.warn(f"{draws.n_failed} of {bootstrap} bootstrap refits did not converge; dropped.")
        result = result.with_bootstrap(draws)
    if not result.is_usable:
        _console.warn(
            f"the fit ended with status {result.status.value}: {result.message}. Check it before use; "
            "with --strict this is an error (exit code 1)."
        )
    if loss_fit is not None:
        chained = _chain.make_chain(loss_fit, result, loss_input, pairing, seed, link)
        if out is not None:
            _io.write_text(chained.to_json() + "\n", out)
            _console.note(f"wrote the chain to {str(out)!r}")
        _chain.show(chained, json_)
        return
    if out is not None:
        _io.write_text(result.to_json() + "\n", out)
        _console.note(f"wrote {str(out)!r}")
    if json_:
        _console.result(result.to_json())
        _console.diagnostics(result)
    else:
        _console.fit_summary(result)
    _log_to.send(destination, result)
