"""``scalinglaws observational SCORES``: observational scaling laws from public models' benchmark scores."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from scalinglaws.cli import _console, _io


class ImputeName(enum.StrEnum):
    """Values of ``--impute``; the same strings as ``scalinglaws.observational.model.Impute``."""

    pca = "pca"
    none = "none"


EPILOG = """\
Examples:

  scalinglaws observational base_llm_benchmark_eval.csv --model Model --family "Model Family" \\
      --compute "FLOPs (1E21)" --benchmarks MMLU,ARC-C,HellaSwag,Winograd,TruthfulQA,GSM8K,XWinograd,HumanEval

  scalinglaws observational base_llm_benchmark_eval.csv --join base_llm_leaderboard_v2_eval.csv \\
      --model Model --family "Model Family" --compute "FLOPs (1E21)" \\
      --benchmarks MMLU,ARC-C,HellaSwag,Winograd,TruthfulQA,XWinograd,HumanEval \\
      --target leaderboard_gpqa --floor 0.25 --cutoff 168 --json
"""


def observational_command(
    scores: Annotated[
        Path,
        typer.Argument(metavar="SCORES", help="One row per model: model, family, compute and benchmark columns.",
                       exists=True, dir_okay=False, show_default=False),
    ],
    benchmarks: Annotated[
        str, typer.Option("--benchmarks", metavar="A,B,...", help="Benchmark columns whose principal components "
                          "are the capabilities (comma-separated).")
    ],
    n_components: Annotated[int, typer.Option("--n-components", min=1, help="Principal components to keep.")] = 3,
    impute: Annotated[
        ImputeName, typer.Option("--impute", help="pca: fill missing scores by PCA imputation; "
                                 "none: keep only models with every score.")
    ] = ImputeName.pca,
    impute_rank: Annotated[int, typer.Option("--impute-rank", min=1, help="Rank of the imputation PCA.")] = 1,
    standardize: Annotated[
        bool, typer.Option("--standardize", help="Z-score each benchmark before the PCA (the authors do not).")
    ] = False,
    target: Annotated[
        str | None, typer.Option("--target", metavar="COLUMN", help="Benchmark to predict from the capabilities.")
    ] = None,
    floor: Annotated[float, typer.Option("--floor", help="Random-chance score of the target.")] = 0.0,
    ceiling: Annotated[float, typer.Option("--ceiling", help="Maximum score of the target.")] = 1.0,
    fit_floor: Annotated[
        bool, typer.Option("--fit-floor", help="Free the floor in [floor, floor + 0.2 (ceiling - floor)].")
    ] = False,
    cutoff: Annotated[
        float | None,
        typer.Option("--cutoff", help="Fit on models with compute at or below this (the compute column's "
                     "units); report the error on the models above it."),
    ] = None,
    model: Annotated[str, typer.Option("--model", metavar="COLUMN", help="Model-name column.")] = "run_id",
    family: Annotated[str, typer.Option("--family", metavar="COLUMN", help="Model-family column.")] = "group",
    compute: Annotated[str, typer.Option("--compute", metavar="COLUMN", help="Training-compute column.")] = "flops",
    join: Annotated[
        Path | None,
        typer.Option("--join", metavar="TABLE", exists=True, dir_okay=False,
                     help="Another table of the same models (e.g. the target's scores), joined on --model."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the link fit's start search.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="FILE", dir_okay=False,
                     help="Write one row per model (split, capabilities, prediction); the suffix picks the format."),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")] = False,
    separator: _io.SEPARATOR = None,
) -> None:
    """Capabilities of public models from their benchmark scores (Ruan et al. 2024), and a target benchmark
    predicted from them, scored on the models above a compute cut."""
    import polars as pl

    import scalinglaws as sl

    _io.check_output(out, inputs=[("SCORES", scores), ("--join", join)])
    frame = _io.read_table(scores, "SCORES", separator)
    if join is not None:
        other = _io.read_table(join, "--join", separator)
        for name, table in (("SCORES", frame), ("--join", other)):
            if model not in table.columns:
                raise typer.BadParameter(f"has no column {model!r} (--model) to join on.", param_hint=f"'{name}'")
        frame = frame.join(other, on=model, how="inner", suffix="_joined")
    names = [b.strip() for b in benchmarks.split(",") if b.strip()]
    with _console.progress(1, f"observational fit of {frame.height} models on {len(names)} benchmarks") as done:
        result = sl.observational.fit(
            frame, names, n_components=n_components, impute=impute.value,
            impute_rank=impute_rank, standardize=standardize, target=target, floor=floor, ceiling=ceiling,
            fit_floor=fit_floor, cutoff=cutoff, model=model, family=family, compute=compute, seed=seed,
        )
        done("")
    if out is not None:
        _io.write_table(result.models, out)
        _console.note(f"wrote {result.models.height} models to {str(out)!r}")
    if json_:
        _console.result_json(result.to_dict())
        return
    _console.result(result.summary() + "\n")
    _console.result(_console.frame_table(result.loadings, title="loadings"))
    if target is not None and cutoff is not None:
        held = result.models.filter(pl.col("split") == "holdout").select("model", "compute", "target", "predicted")
        _console.result("")
        _console.result(_console.frame_table(held, title="held-out models", wrap=["model"]))

