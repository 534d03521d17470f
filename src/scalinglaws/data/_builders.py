"""How each public data set's original files become one tidy table (used by :mod:`.datasets`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl

from scalinglaws import schedules
from scalinglaws.errors import ArgumentError, DataError


def _chinchilla(files: Mapping[str, Path]) -> pl.DataFrame:
    raw = pl.read_csv(files["svg_extracted_data.csv"])
    n = pl.col("Model Size").cast(pl.Float64)
    c = pl.col("Training FLOP").cast(pl.Float64)
    # The reconstruction gives N and C; D follows from C = 6ND, the convention of Hoffmann et al.
    return raw.select(N=n, D=c / (6.0 * n), C=c, loss=pl.col("loss").cast(pl.Float64))


_MPL_SCHEDULES = ("constant_24000", "constant_72000", "cosine_24000", "cosine_72000", "wsd_20000_24000",
                  "wsdcon_18", "wsdcon_3", "wsdcon_9", "wsdld_20000_24000")
_MPL_SIZES = (25, 100, 400)


def mpl_learning_rates(schedule: str) -> np.ndarray:
    """Per-step learning rates of a ``mpl_lr_schedules`` schedule (its ``group`` column), rebuilt in
    closed form as the authors' data loader does (``src/data_loader.py``): 2,160 linear warmup steps
    to 3e-4, cosine and WSD cooldowns to 3e-5, and ``wsdcon_X`` switching to X e-5 at step 8,000 of
    16,000. The logged ``lr`` column has one value per 128 steps only.

    Raises
    ------
    ValueError
        If ``schedule`` is not one of the data set's schedules.
    """
    if schedule not in _MPL_SCHEDULES:
        raise ArgumentError(
            f"`schedule` must be one of {list(_MPL_SCHEDULES)}. Got {schedule!r} instead.",
            argument="schedule",
        )
    peak, final, warmup = 3e-4, 3e-5, 2160
    kind, _, rest = schedule.partition("_")
    if kind == "constant":
        return schedules.constant(int(rest), peak, warmup)
    if kind == "cosine":
        return schedules.cosine(int(rest), peak, final, warmup)
    if kind == "wsdcon":
        return schedules.step_decay(16000, peak, int(rest) * 1e-5, warmup, 8000)
    cooldown = "linear" if kind == "wsdld" else "exponential"
    return schedules.warmup_stable_decay(24000, peak, final, warmup, 20000, cooldown)


def _mpl(files: Mapping[str, Path]) -> pl.DataFrame:
    frames = []
    for size in _MPL_SIZES:
        for schedule in _MPL_SCHEDULES:
            curve = pl.read_csv(files[f"csv_{size}/{schedule}.csv"])
            frames.append(curve.select(
                run_id=pl.lit(f"{size}M_{schedule}"),
                group=pl.lit(schedule),
                n_params=pl.lit(size * 1e6),
                step=pl.col("step").cast(pl.Int64),
                lr=pl.col("lr").cast(pl.Float64),
                loss=pl.col("loss").cast(pl.Float64),
            ))
    return pl.concat(frames)


def _obsscaling(files: Mapping[str, Path]) -> pl.DataFrame:
    raw = pl.read_csv(files["base_llm_benchmark_eval.csv"])
    metrics = [c for c in raw.columns if c not in
               ("Model", "Model Family", "Model Size (B)", "Pretraining Data Size (T)", "FLOPs (1E21)")]
    return raw.select(
        run_id=pl.col("Model"),
        group=pl.col("Model Family"),
        n_params=pl.col("Model Size (B)").cast(pl.Float64) * 1e9,
        n_tokens=pl.col("Pretraining Data Size (T)").cast(pl.Float64) * 1e12,
        flops=pl.col("FLOPs (1E21)").cast(pl.Float64) * 1e21,
        **{_snake(m): pl.col(m).cast(pl.Float64) for m in metrics},
    )


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


_GPT3_SIZES = {  # GPT-3 paper (Brown et al. 2020), Table 2.1, n_params
    "small": 125e6, "medium": 350e6, "large": 760e6, "xl": 1.3e9,
    "2.7b": 2.7e9, "6.7b": 6.7e9, "13b": 13.0e9, "175b": 175.0e9,
}


def _gpt3(files: Mapping[str, Path]) -> pl.DataFrame:
    raw = pl.read_csv(files["raw_data/gpt3/extracted.csv"])
    unknown = set(raw.get_column("model").unique().to_list()) - set(_GPT3_SIZES)
    if unknown:
        raise DataError(f"datasets.load('gpt3_curves'): unexpected model names {sorted(unknown)} in the source.")
    return raw.select(
        run_id=pl.col("model"),
        n_params=pl.col("model").replace_strict(_GPT3_SIZES, return_dtype=pl.Float64),
        n_params_convention=pl.lit("total"),
        n_tokens=pl.col("step").cast(pl.Float64) * 1e9,
        train_loss=pl.col("train_loss").cast(pl.Float64),
        val_loss=pl.col("val_loss").cast(pl.Float64),
    )


def _datablations_curves(files: Mapping[str, Path]) -> pl.DataFrame:
    raw = pl.read_csv(files["datablations_losses.csv"])
    return raw.select(
        run_id=pl.format("{}_{}epochs", pl.col("data"), pl.col("epochs")),
        group=pl.col("data"),
        n_params=pl.col("num_params").str.strip_suffix("B").cast(pl.Float64) * 1e9,
        n_tokens=pl.col("token_num").cast(pl.Float64),
        n_unique_tokens=pl.min_horizontal("token_num", "tokens_per_epoch").cast(pl.Float64),
        unique_data_tokens=pl.col("tokens_per_epoch").cast(pl.Float64),
        epochs=pl.col("epochs").cast(pl.Float64),
        loss=pl.col("loss").cast(pl.Float64),
    )


_NOT_IN_MUENNIGHOFF_FIT = frozenset({
    "2b84b4b", "2b88b4b", "2b812b4b", "2b816b4b", "2b824b4b", "2b855b1b25", "2b8100m100m",
    "14m7b5100m", "14m300b100m", "1b12b7100m", "1b13b9100m", "1b15b9100m", "1b17b5100m",
    "619m3b9100m", "619m5b9100m", "619m7b5100m", "2b84b8100m", "1b58b8100m", "1b112b100m",
    "619m22b100m", "421m300b1b5", "221m91b400m", "221m174b400m", "3b926b1b5", "2b836b1b5",
    "2b836b400m", "2b836b100m", "2b246b400m", "2b246b100m", "1b566b1b5", "1b566b100m",
    "1b191b400m", "1b191b1b5", "1b1250b1b5", "1b5174b1b5", "2b291b1b5", "2b2174b1b5", "2b877b1b5"
})
"""Contour runs that the authors' parametric fit leaves out: not in the 182-run list of the cell
"Custom data loading with outliers removed" of huggingface/datablations utils/parametric_fit.ipynb
@ 13701315 (early checkpoints of the 2.8B-on-4B runs, 2b855b1b25, and runs of models >= 0.6B on 100M,
400M or 1.5B unique tokens)."""


def _datablations_final(files: Mapping[str, Path]) -> pl.DataFrame:
    raw = pl.read_csv(files["datablations_contour_losses.csv"], infer_schema_length=None)
    run_id = pl.col("model_args").str.extract(r"'name':\s*'([^']+)'")
    return raw.select(
        run_id=run_id,
        group=pl.col("data"),
        n_params=pl.col("num_params").cast(pl.Float64),
        n_tokens=pl.col("token_num").cast(pl.Float64),
        n_unique_tokens=pl.col("unique_tokens_U").cast(pl.Float64),
        epochs=pl.col("epochs").cast(pl.Float64),
        flops=pl.col("flops").cast(pl.Float64),
        flops_convention=pl.lit("6nd"),
        loss=pl.col("openLM_loss").cast(pl.Float64),
        in_authors_fit=~run_id.is_in(_NOT_IN_MUENNIGHOFF_FIT),
    )


def _overtrain(files: Mapping[str, Path]) -> pl.DataFrame:
    raw = pl.read_csv(files["overtrain_models.csv"])
    first = ["name", "dataset_name", "model_config", "N", "N_no_embed", "D", "cc_mult", "tok_mult", "flops"]
    rest = [c for c in raw.columns if c not in first]
    return raw.select(
        pl.col("name").alias("run_id"),
        pl.col("dataset_name").alias("group"),
        pl.col("model_config"),
        pl.col("N").cast(pl.Float64).alias("n_params"),
        pl.lit("total").alias("n_params_convention"),
        pl.col("N_no_embed").cast(pl.Float64).alias("n_params_non_embedding"),
        pl.col("D").cast(pl.Float64).alias("n_tokens"),
        pl.col("tok_mult").cast(pl.Float64).alias("tokens_per_param"),
        pl.col("flops").cast(pl.Float64),
        pl.lit("6nd").alias("flops_convention"),
        *rest,
    )


def _porian(files: Mapping[str, Path]) -> pl.DataFrame:
    raw = pl.read_csv(files["isoflop_points.csv"])
    config = pl.concat_str(["dataset", "hparams", "warmup", "decay", "param_count", "val"], separator="/")
    return raw.select(
        group=config,
        dataset=pl.col("dataset"), hparams=pl.col("hparams"), warmup=pl.col("warmup"),
        decay=pl.col("decay"), param_count=pl.col("param_count"), val=pl.col("val"),
        flops=pl.col("flops_budget").cast(pl.Float64),
        n_params=pl.col("N").cast(pl.Float64),
        n_tokens=pl.col("D").cast(pl.Float64),
        loss=pl.col("loss").cast(pl.Float64),
    )


