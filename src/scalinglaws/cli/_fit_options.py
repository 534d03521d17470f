"""The options of a fit on the command line, declared once for every command that fits a law.

``fit``, ``backtest``, ``select`` and ``report`` take the same flags with the same names, help and
defaults (the defaults are :class:`~scalinglaws.fit.config.FitConfig`'s own), and :func:`fit_config`
turns them into the one ``FitConfig`` the library takes. Values are checked by the library's own rules
(:data:`scalinglaws.fit.config.RULES`), so a message reads the same from Python and from a flag.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from scalinglaws.cli import _console
from scalinglaws.cli._options import (
    BackendName,
    ChooseName,
    LossName,
    SpaceName,
    checked,
    parse_bounds,
    parse_fix,
    parse_init,
    parse_map,
    parse_priors,
)
from scalinglaws.fit.config import RULES, FitConfig

DEFAULTS = FitConfig()
"""The defaults every flag shows and falls back to."""
DEFAULT_LOSS = LossName(DEFAULTS.loss)
DEFAULT_SPACE = SpaceName(DEFAULTS.space)
DEFAULT_CHOOSE = ChooseName(DEFAULTS.choose)
DEFAULT_BACKEND = BackendName(DEFAULTS.backend)

LAW = Annotated[
    str,
    typer.Option(
        "--law", "-l",
        help="Catalog name (see `scalinglaws laws`) or a formula such as "
        "\"E + A*N**-alpha + B*D**-beta\"; in a formula, names that are columns are inputs "
        "and all others are parameters.",
    ),
]
MAP = Annotated[
    list[str] | None,
    typer.Option(
        "--map", metavar="SYMBOL=COLUMN",
        help="Read law input SYMBOL from COLUMN (repeatable). N, D, C and U find n_params, "
        "n_tokens, flops and n_unique_tokens by themselves.",
    ),
]
TARGET = Annotated[str, typer.Option("--target", help="The column to predict.")]
PARAM = Annotated[
    list[str] | None,
    typer.Option(
        "--param", metavar="NAME=LO:HI",
        help="Bounds of a parameter; an empty side means none, e.g. A=0: (repeatable).",
    ),
]
INIT = Annotated[
    list[str] | None,
    typer.Option(
        "--init", metavar="NAME=LO:HI|NAME=VALUE",
        help="Start range (or start value) of a parameter (repeatable).",
    ),
]
FIX = Annotated[
    list[str] | None,
    typer.Option(
        "--fix", metavar="NAME=VALUE",
        help="Hold a parameter at a value: it is not fitted and has no standard error (repeatable).",
    ),
]
LOSS = Annotated[LossName, typer.Option("--loss", help="Robust Huber loss or plain least squares.")]
DELTA = Annotated[
    float, typer.Option("--delta", callback=checked(RULES, "delta"), help="Huber threshold on the residuals.")
]
SPACE = Annotated[
    SpaceName, typer.Option("--space", help="Residuals of log(loss) (log) or of loss itself (linear).")
]
ASYMMETRY = Annotated[
    float,
    typer.Option(
        "--asymmetry", callback=checked(RULES, "asymmetry"),
        help="Weight of over-predictions relative to under-predictions (1 = symmetric).",
    ),
]
WEIGHTS = Annotated[
    str | None, typer.Option("--weights", metavar="COLUMN", help="Column of per-run weights >= 0.")
]
GROUP = Annotated[
    str | None, typer.Option("--group", metavar="COLUMN", help="Fit one parameter set per value of COLUMN.")
]
SHARED = Annotated[
    list[str] | None,
    typer.Option(
        "--shared", metavar="NAME",
        help="With --group: a parameter that takes one value across groups (repeatable).",
    ),
]
N_GRID = Annotated[
    int, typer.Option("--n-grid", callback=checked(RULES, "n_grid"), help="Size of the grid of starting points.")
]
N_POLISH = Annotated[
    int,
    typer.Option("--n-polish", callback=checked(RULES, "n_polish"), help="How many of the best grid points are polished."),
]
MAX_ITER = Annotated[
    int, typer.Option("--max-iter", callback=checked(RULES, "max_iter"), help="Iteration limit of the polish.")
]
SEED = Annotated[int, typer.Option("--seed", help="Seed of every random choice.")]
BACKEND = Annotated[
    BackendName,
    typer.Option(
        "--backend",
        help="Kernels of the fit: numpy, or jax (jitted, float64, on a GPU where JAX sees one; "
        "needs `pip install 'scalinglaws[jax]'`). Same result; jax pays off for big batches.",
    ),
]
CHOOSE = Annotated[
    ChooseName,
    typer.Option(
        "--choose",
        help="Which of the distinct optima found is the fit: the best in-sample, or the one with the "
        "lowest leave-future-out error (backtest); the others are kept in the fit as other optima.",
    ),
]
CHOOSE_BY = Annotated[
    str,
    typer.Option(
        "--choose-by", metavar="AXIS",
        help="Axis of --choose backtest: auto (compute, or 6ND, or the law's only input), C, N, D or a column.",
    ),
]
PRIOR = Annotated[
    list[str] | None,
    typer.Option(
        "--prior", metavar="NAME=MEAN:SD",
        help="A normal prior on a parameter; the fit is then the MAP estimate (repeatable).",
    ),
]
PRIOR_FROM = Annotated[
    str | None,
    typer.Option(
        "--prior-from", metavar="LAW:PRESET",
        help="Priors at a catalog preset's published constants, e.g. chinchilla:hoffmann2022, each with "
        "sd = --prior-width x |value|; --prior replaces one of them.",
    ),
]
PRIOR_WIDTH = Annotated[
    float,
    typer.Option("--prior-width", callback=checked(RULES, "prior_width"), help="Relative sd of --prior-from priors."),
]


EXECUTOR = Annotated[
    str | None,
    typer.Option(
        "--executor", metavar="local|ray|ray://HOST:PORT",
        help="Run the work in chunks: local (this process), ray (a local Ray cluster, or the one "
        "RAY_ADDRESS names) or ray://HOST:PORT (a Ray cluster through Ray Client; needs "
        "scalinglaws[ray]). The result is the same to the last bit as without.",
    ),
]


def make_executor(spec: str | None, command: str, chunks: Callable[[int, int, str], None] | None) -> Any:
    """The executor ``--executor`` names (None without it); ``chunks(finished, total, label)`` counts
    its finished chunks (``Steps.chunks`` of a progress bar).

    A Ray executor connects here, before any work, so a missing Ray or an unreachable cluster is a
    usage error (exit 2) naming the flag.
    """
    if spec is None:
        return None
    from scalinglaws.errors import ExecutorError
    from scalinglaws.executors import RayExecutor, executor_for

    try:
        runner = executor_for(spec, function=command, progress=chunks)
        if isinstance(runner, RayExecutor):
            runner.connect()
    except (ImportError, ExecutorError) as exc:
        raise typer.BadParameter(str(exc), param_hint="'--executor'") from exc
    _console.note(f"running the chunks on {runner!r}")
    return runner


def fit_config(
    *,
    map_: list[str] | None,
    target: str,
    param: list[str] | None,
    init: list[str] | None,
    fix: list[str] | None,
    loss: LossName,
    delta: float,
    space: SpaceName,
    asymmetry: float,
    weights: str | None,
    group: str | None,
    shared: list[str] | None,
    n_grid: int,
    n_polish: int,
    max_iter: int,
    seed: int,
    choose: ChooseName = DEFAULT_CHOOSE,
    choose_by: str = DEFAULTS.choose_by,
    prior: list[str] | None = None,
    prior_from: str | None = None,
    prior_width: float = DEFAULTS.prior_width,
    strict: bool = False,
    backend: BackendName = DEFAULT_BACKEND,
) -> FitConfig:
    """The ``FitConfig`` the flags describe."""
    if shared and group is None:
        raise typer.BadParameter(
            "needs --group: shared parameters are shared across groups.", param_hint="'--shared'"
        )
    _check_backend(backend)
    return FitConfig(
        loss=loss.value,
        delta=delta,
        space=space.value,
        asymmetry=asymmetry,
        target=target,
        mapping=parse_map(map_),
        bounds=parse_bounds(param),
        init=parse_init(init),
        fixed=parse_fix(fix),
        weights=weights,
        group=group,
        shared=tuple(shared or ()),
        n_grid=n_grid,
        n_polish=n_polish,
        max_iter=max_iter,
        seed=seed,
        choose=choose.value,
        choose_by=choose_by,
        priors=parse_priors(prior),
        prior_from=prior_from,
        prior_width=prior_width,
        strict=strict,
        backend=backend.value,
    )


def _check_backend(backend: BackendName) -> None:
    """A usage error (exit 2) when the kernels of ``backend`` cannot run here (jax not installed)."""
    from scalinglaws.fit.backends import require_backend

    try:
        require_backend(backend.value)
    except ImportError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--backend'") from exc
