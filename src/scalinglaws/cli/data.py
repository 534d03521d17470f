"""``scalinglaws data``: validate, describe and import tables of training runs.

Results go to stdout (``--json`` prints one JSON document), diagnostics to stderr. Exit codes: 0 success,
1 validation found bad rows, 2 usage, input or I/O error.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from scalinglaws.cli import _console
from scalinglaws.cli._errors import Command, CommandGroup
from scalinglaws.cli._io import check_output
from scalinglaws.errors import ToolkitError

if TYPE_CHECKING:
    import polars as pl

__all__ = ["data_app"]

data_app = typer.Typer(
    name="data",
    cls=CommandGroup,
    help="Validate, describe and import tables of training runs.",
    no_args_is_help=True,
    add_completion=False,
)
import_app = typer.Typer(
    cls=CommandGroup,
    help="Import runs from an experiment tracker into a runs table file.",
    no_args_is_help=True,
    add_completion=False,
)
data_app.add_typer(import_app, name="import")

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document to stdout.")]
TargetOption = Annotated[str, typer.Option("--target", help="Fit target column.")]
OutOption = Annotated[
    Path, typer.Option("--out", "-o", help="Output file (.parquet, .csv, .jsonl or .json).")
]
RenameOption = Annotated[
    list[str] | None,
    typer.Option("--rename", help="Rename a tracker key to a column, as KEY=COLUMN (repeatable)."),
]
DuplicateOption = Annotated[
    str, typer.Option("--on-duplicate", help="A metric logged twice at one step: 'error' or 'last'.")
]
ConstantOption = Annotated[
    list[str] | None,
    typer.Option("--constant", metavar="KEY",
                 help="Logged key to attach to every row of its run, one value per run (repeatable)."),
]
AutoConstantsOption = Annotated[
    bool,
    typer.Option("--auto-constants/--no-auto-constants",
                 help="Attach keys with one value per run, logged at its first step (n_params at step "
                      "0), to every row of the run."),
]


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    _console.error(message)
    raise typer.Exit(code)


def _emit_json(document: Any) -> None:
    _console.result_json(document, indent=2)


MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map", metavar="SYMBOL=COLUMN",
        help="Check COLUMN as the law input SYMBOL (repeatable): N as n_params, D as n_tokens, C as flops, "
        "U as n_unique_tokens. Columns named N, D, C or U are read so by themselves, as `fit` does.",
    ),
]


def _read(file: Path, separator: str | None = None) -> pl.DataFrame:
    from scalinglaws.cli._io import separator_of
    from scalinglaws.data import read_runs

    try:
        return read_runs(file, separator=separator_of(separator))
    except ToolkitError as exc:
        _fail(str(exc))


def _as_fit_reads(df: pl.DataFrame, pairs: list[str] | None) -> tuple[pl.DataFrame, dict[str, str]]:
    """The table with the columns ``fit`` would read for N, D, C and U under their schema names, so the
    schema's rules check them: ``--map`` first, then a column named like the symbol (``N``), as
    :class:`scalinglaws.laws.ColumnMap` decides. Returns the renamed table and ``{column: schema name}``."""
    from scalinglaws.cli._options import parse_map
    from scalinglaws.laws import COLUMN_ALIASES, ColumnMap

    mapping = parse_map(pairs)
    unknown = sorted(set(mapping) - set(COLUMN_ALIASES))
    if unknown:
        raise typer.BadParameter(
            f"maps {unknown}; the schema knows the symbols {sorted(COLUMN_ALIASES)}.", param_hint="'--map'"
        )
    rule = ColumnMap(mapping)
    renames: dict[str, str] = {}
    for symbol, canonical in COLUMN_ALIASES.items():
        column = rule.column(symbol, df.columns)
        if symbol in mapping and column is None:
            raise typer.BadParameter(
                f"the table has no column {mapping[symbol]!r}. Columns: {sorted(df.columns)}.",
                param_hint="'--map'",
            )
        if column is None or column == canonical:
            continue
        if canonical in df.columns:
            _console.warn(
                f"column {column!r} is read as {symbol} ({canonical}), and the table also has a "
                f"{canonical!r} column; checking {column!r} in its place."
            )
        renames[column] = canonical
    if not renames:
        return df, {}
    for column, canonical in renames.items():
        _console.note(f"checking column {column!r} as {canonical} (what fit reads for it)")
    kept = df.drop([c for c in renames.values() if c in df.columns and c not in renames])
    return kept.rename(renames), renames


def _renames(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, column = pair.rpartition("=")
        if not sep or not key or not column:
            raise typer.BadParameter(f"expected KEY=COLUMN, got {pair!r}", param_hint="--rename")
        out[key] = column
    return out


@data_app.command("validate", cls=Command)
def validate(
    file: Annotated[Path, typer.Argument(help="Runs table (.csv, .parquet, .jsonl, .json).")],
    target: TargetOption = "loss",
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="Further metric column to check (repeatable).")
    ] = None,
    require: Annotated[
        list[str] | None, typer.Option("--require", help="Column that must exist (repeatable).")
    ] = None,
    map_: MapOption = None,
    separator: Annotated[
        str | None, typer.Option("--separator", metavar="CHAR", help="Column separator of a CSV file.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check FILE against the runs-table schema and list every problem (exit 1 if any).

    Problems are bad rows (missing, NaN, infinite or out-of-range values, duplicate keys, mixed
    conventions), wrong dtypes and missing columns; nothing is changed. Exit 2 if FILE cannot be read.
    """
    from scalinglaws.data import check_runs

    df, renames = _as_fit_reads(_read(file, separator), map_)
    back = {v: k for k, v in renames.items()}
    try:
        problems = check_runs(df, target=target, metrics=metric or (), require=require or ())
    except ToolkitError as exc:
        _fail(str(exc))
    problems = tuple(_named_back(p, back) for p in problems)
    if as_json:
        _emit_json({"file": str(file), "valid": not problems, "n_rows": df.height,
                    "columns_read_as": renames, "problems": [p.to_dict() for p in problems]})
    elif problems:
        lines = [f"{file}: {len(problems)} problem(s)"]
        for p in problems:
            lines += ["", f"- {p.message}", f"  fix: {p.fix}"]
        _console.result("\n".join(lines))
    else:
        _console.result(f"{file}: valid runs table ({df.height} rows, {len(df.columns)} columns).")
    if problems:
        _console.error(f"validation found {len(problems)} problem(s) in {file}")
        raise typer.Exit(EXIT_INVALID)


def _named_back(problem: Any, back: dict[str, str]) -> Any:
    """A problem found on a renamed column, naming the file's own column again."""
    from dataclasses import replace

    if problem.column not in back:
        return problem
    column = back[problem.column]
    return replace(problem, column=column, message=problem.message.replace(
        f"`{problem.column}`", f"`{column}` (read as {problem.column})"
    ).replace(f"'{problem.column}'", f"'{column}' (read as {problem.column})"))


@data_app.command("describe", cls=Command)
def describe(
    file: Annotated[Path, typer.Argument(help="Runs table (.csv, .parquet, .jsonl, .json).")],
    target: TargetOption = "loss",
    map_: MapOption = None,
    separator: Annotated[
        str | None, typer.Option("--separator", metavar="CHAR", help="Column separator of a CSV file.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Summarise FILE: runs, checkpoints per run and the scales covered (the columns fit reads for N,
    D, C and U, under --map or by their symbol names, are reported under their schema names)."""
    from scalinglaws.data import describe_runs

    df, renames = _as_fit_reads(_read(file, separator), map_)
    summary = describe_runs(df, target=target)
    if as_json:
        _emit_json({"file": str(file), "columns_read_as": renames, **summary.to_dict()})
        return
    lines = [f"{file}: {summary.n_rows} rows, {len(summary.columns)} columns"]
    if summary.n_runs is not None:
        per = summary.checkpoints_per_run
        spread = (f"; checkpoints per run: min {per['min']:g}, median {per['median']:g}, max {per['max']:g}"
                  if per else "")
        lines.append(f"runs: {summary.n_runs}{spread}")
    if summary.n_groups is not None:
        lines.append(f"groups: {summary.n_groups}")
    for column, values in summary.conventions.items():
        lines.append(f"{column}: {', '.join(values) or '-'}")
    if summary.ranges:
        back = {v: k for k, v in renames.items()}
        lines += ["", "scales covered:", _console.table(
            ("column", "min", "max", "missing"),
            [(c if c not in back else f"{back[c]} (as {c})", r["min"], r["max"], r["n_missing"])
             for c, r in summary.ranges.items()],
        )]
    _console.result("\n".join(lines))


def _write(df: pl.DataFrame, out: Path, as_json: bool, source: str) -> None:
    from scalinglaws.data import write_runs

    try:
        write_runs(df, out)
    except ToolkitError as exc:
        _fail(str(exc))
    n_runs = df.get_column("run_id").n_unique() if "run_id" in df.columns else None
    if as_json:
        _emit_json({"source": source, "out": str(out), "n_rows": df.height, "n_runs": n_runs,
                    "columns": df.columns})
    else:
        _console.result(f"wrote {df.height} rows ({n_runs} runs) from {source} to {out}\n"
                        f"columns: {', '.join(df.columns)}")


def _on_duplicate(value: str) -> Any:
    if value not in ("error", "last"):
        raise typer.BadParameter(f"must be 'error' or 'last', got {value!r}", param_hint="--on-duplicate")
    return value


@import_app.command("tensorboard", cls=Command)
def import_tensorboard(
    logdir: Annotated[Path, typer.Argument(help="TensorBoard log directory (one sub-folder per run).")],
    out: OutOption,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Scalar tag to read (repeatable).")] = None,
    rename: RenameOption = None,
    hparams: Annotated[
        bool, typer.Option("--hparams/--no-hparams", help="Read HParams hyper-parameters as columns.")
    ] = True,
    constant: ConstantOption = None,
    auto_constants: AutoConstantsOption = True,
    on_duplicate: DuplicateOption = "error",
    as_json: JsonFlag = False,
) -> None:
    """Read every scalar and hyper-parameter of the runs under LOGDIR and write a runs table to --out.

    The sub-folders that add_hparams writes inside a run are read as part of that run.
    """
    columns, dup = _renames(rename), _on_duplicate(on_duplicate)
    check_output(out)
    _console.note(f"reading TensorBoard event files under {logdir}")
    from scalinglaws.data.adapters import read_tensorboard

    try:
        df = read_tensorboard(logdir, tags=tag, columns=columns, hparams=hparams, constants=constant or (),
                              auto_constants=auto_constants, on_duplicate=dup)
    except (ToolkitError, ImportError) as exc:
        _fail(str(exc))
    _write(df, out, as_json, str(logdir))


def _timeout(value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"must be a positive number of seconds, got {value!r}", param_hint="--timeout")
    return value


@import_app.command("mlflow", cls=Command)
def import_mlflow(
    experiment: Annotated[list[str], typer.Argument(help="Experiment name(s) or id(s).")],
    out: OutOption,
    tracking_uri: Annotated[
        str | None, typer.Option("--tracking-uri", help="Tracking server URI (default: $MLFLOW_TRACKING_URI).")
    ] = None,
    metric: Annotated[list[str] | None, typer.Option("--metric", help="Metric key (repeatable).")] = None,
    rename: RenameOption = None,
    filter_string: Annotated[str, typer.Option("--filter", help="MLflow run filter.")] = "",
    group_tag: Annotated[str | None, typer.Option("--group-tag", help="Run tag giving `group`.")] = None,
    no_params: Annotated[bool, typer.Option("--no-params", help="Leave run parameters out.")] = False,
    constant: ConstantOption = None,
    auto_constants: AutoConstantsOption = True,
    on_duplicate: DuplicateOption = "error",
    timeout: Annotated[
        float,
        typer.Option("--timeout", metavar="SECONDS",
                     help="Seconds to wait for the tracking server to answer before giving up."),
    ] = 10.0,
    as_json: JsonFlag = False,
) -> None:
    """Read the runs and metric histories of EXPERIMENT and write a runs table to --out."""
    columns, dup, seconds = _renames(rename), _on_duplicate(on_duplicate), _timeout(timeout)
    check_output(out)
    _console.note(f"reading MLflow experiment(s) {', '.join(experiment)}")
    from scalinglaws.data.adapters import read_mlflow

    try:
        df = read_mlflow(experiment, tracking_uri=tracking_uri, metrics=metric,
                         params="none" if no_params else "all", columns=columns,
                         filter_string=filter_string, group_tag=group_tag, constants=constant or (),
                         auto_constants=auto_constants, on_duplicate=dup, timeout=seconds)
    except (ToolkitError, ImportError) as exc:
        _fail(str(exc))
    _write(df, out, as_json, f"mlflow:{','.join(experiment)}")


@import_app.command("wandb", cls=Command)
def import_wandb(
    source: Annotated[str, typer.Argument(
        help="A folder of runs written by the W&B client (e.g. ./wandb, offline or not) or one run-<id>.wandb "
             "file; a file exported from the W&B UI; or entity/project to read through the W&B API.")],
    out: OutOption,
    key: Annotated[list[str] | None, typer.Option("--key", help="History key (repeatable).")] = None,
    rename: RenameOption = None,
    kind: Annotated[str, typer.Option("--kind", help="Export layout: auto, panel, runs, history.")] = "auto",
    run_id: Annotated[str | None, typer.Option("--run-id", help="Run id of a history file.")] = None,
    config: Annotated[bool, typer.Option("--config/--no-config", help="Add run config columns.")] = True,
    summary: Annotated[
        bool, typer.Option("--summary/--no-summary", help="Add summary values that are not history keys "
                                                          "(run files only).")
    ] = True,
    constant: ConstantOption = None,
    auto_constants: AutoConstantsOption = True,
    on_duplicate: DuplicateOption = "error",
    as_json: JsonFlag = False,
) -> None:
    """Read W&B runs from run files, an exported file or the W&B API and write a runs table to --out.

    Run files (.wandb) are read with no login and no network: this is how offline runs
    (WANDB_MODE=offline) are imported. The W&B API needs `wandb login`.
    """
    columns, dup = _renames(rename), _on_duplicate(on_duplicate)
    path = Path(source)
    check_output(out, inputs=[("SOURCE", path if path.is_file() else None)])
    _console.note(f"reading W&B runs from {source}")
    from scalinglaws.data.adapters import read_wandb, read_wandb_export, read_wandb_offline

    try:
        if path.is_dir() or path.suffix == ".wandb":
            df = read_wandb_offline(path, keys=key, columns=columns, config=config, summary=summary,
                                    constants=constant or (), auto_constants=auto_constants,
                                    on_duplicate=dup)
        elif path.is_file():
            df = read_wandb_export(source, kind=kind, run_id=run_id, columns=columns,  # type: ignore[arg-type]
                                   on_duplicate=dup)
        else:
            df = read_wandb(source, keys=key, columns=columns, config=config, constants=constant or (),
                            auto_constants=auto_constants, on_duplicate=dup)
    except (ToolkitError, ImportError) as exc:
        message = str(exc)
        looks_like_path = source.startswith((".", "/", "~")) or source.count("/") != 1 or source.endswith("/")
        if not path.exists() and looks_like_path:
            message += f" (No file or folder {source!r} exists here, so it was read as entity/project.)"
        _fail(message)
    _write(df, out, as_json, source)
