"""Holdout error of observational scaling laws on Open LLM Leaderboard v2 targets (Ruan et al. 2024).

The setup of the authors' notebook ``base_llm_leaderboard_v2.ipynb`` (ryoungj/ObsScaling @ 4d6e1e43):
the base models of the families with known training compute, their seven non-GSM8K standard benchmarks
(imputed by rank-1 PCA), 3 principal components, a sigmoid link from the random-chance score to 1,
fitted on the models at or below a compute cut and scored on the models above it. The cuts are the
notebook's: BBH at Llama-2-7B (84e21 FLOPs), GPQA at Qwen1.5-7B (168e21), MATH level 5 at Gemma-7B
(252e21). For comparison, the same sigmoid of log10 compute (the "compute scaling law" baseline of the
paper) fitted on the same models.

Run:  python benchmarks/bench_observational.py     (reads ../shared/data/obsscaling_ruan2024)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import polars as pl

import scalinglaws as sl

DATA = Path(os.environ.get("SCALINGLAWS_DATA_DIR", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
FOLDER = DATA / "obsscaling_ruan2024"
BENCHMARKS = ["MMLU", "ARC-C", "HellaSwag", "Winograd", "TruthfulQA", "XWinograd", "HumanEval"]
# utils/constants.py: EVAL_BASE_MODEL_WITH_FLOPS_FAMILIES (the evaluated families minus Mistral,
# Mixtral and Qwen2, whose training data sizes are not public).
FAMILIES = [
    "Llama-2", "Llama", "Llama-3", "Llama-3.1", "Qwen1.5", "Qwen", "Yi", "Yi-1.5", "Gemma", "Gemma-2",
    "Falcon", "Phi", "Pythia", "BLOOM", "GPT-Neo/J", "OPT", "MPT", "XGLM", "CodeLlama", "StarCoder",
    "StarCoder2", "DeepSeek-Coder", "DeepSeek-V2", "DeepSeek-Coder-V2", "Jamba",
]
# utils/constants.py: BBH_SUBTASKS2RANDOM_VAL, the chance score of each of the 27 BBH subtasks.
BBH_CHANCE = [1 / 2, 1 / 2, 1 / 6, 1 / 3, 0, 1 / 2, 1 / 9, 1 / 2, 1 / 5, 1 / 7, 1 / 3, 1 / 5, 0, 1 / 2, 0,
              1 / 5, 1 / 18, 1 / 4, 1 / 6, 1 / 2, 1 / 2, 1 / 4, 1 / 5, 1 / 7, 1 / 3, 1 / 2, 0]
TARGETS = {  # column: (name, chance floor, compute cut in 1e21 FLOPs), as the notebook
    "leaderboard_bbh": ("BBH", float(np.mean(BBH_CHANCE)), 84.0),
    "leaderboard_gpqa": ("GPQA", 0.25, 168.0),
    "leaderboard_math_hard": ("MATH Lvl 5", 0.0, 252.0),
}
COLUMNS = {"model": "Model", "family": "Model Family", "compute": "FLOPs (1E21)"}


def compute_baseline(frame: pl.DataFrame, target: str, floor: float, cutoff: float) -> tuple[float, float]:
    """MAE and RMSE above the cut of ``floor + (1 - floor) sigmoid(w_0 + w_1 log10 C)`` fitted below it."""
    rows = frame.filter(pl.col(target).is_not_null() & pl.col(COLUMNS["compute"]).is_not_null())
    data = {"C": rows[COLUMNS["compute"]].to_numpy(), "y": rows[target].to_numpy()}
    train = data["C"] <= cutoff
    law = sl.Law.from_formula(f"{floor!r} + {1 - floor!r}*sigmoid(w_0 + w_1*log10(C))", inputs=("C",),
                              params={"w_0": sl.ParamSpec("w_0", init=(-20, 20)),
                                      "w_1": sl.ParamSpec("w_1", init=(-10, 10))})
    result = sl.fit({k: x[train] for k, x in data.items()}, law, target="y", loss="squared", space="linear")
    error = result.predict({"C": data["C"][~train]}) - data["y"][~train]
    return float(np.mean(np.abs(error))), float(np.sqrt(np.mean(error**2)))


def main() -> None:
    if not FOLDER.is_dir():
        sys.exit(f"shared data {FOLDER} not found (set SCALINGLAWS_DATA_DIR)")
    base = pl.read_csv(FOLDER / "base_llm_benchmark_eval.csv")
    board = pl.read_csv(FOLDER / "base_llm_leaderboard_v2_eval.csv")
    frame = base.join(board, on="Model").filter(pl.col("Model Family").is_in(FAMILIES))
    print(f"{frame.height} base models of {frame['Model Family'].n_unique()} families with Leaderboard v2 scores; "
          f"capabilities: 3 PCs of {', '.join(BENCHMARKS)}")
    print(f"{'target':<11} {'floor':>6} {'cut':>6} {'n fit':>6} {'n held':>7} {'PCs: MAE':>9} {'RMSE':>7}"
          f" {'FLOPs: MAE':>11} {'RMSE':>7}")
    for column, (name, floor, cutoff) in TARGETS.items():
        result = sl.observational.fit(frame, BENCHMARKS, target=column, floor=floor, cutoff=cutoff, **COLUMNS)
        assert result.holdout is not None
        assert result.link is not None
        n_fit = result.models.filter((pl.col("split") == "train") & pl.col("target").is_finite()).height
        mae, rmse = compute_baseline(frame, column, floor, cutoff)
        print(f"{name:<11} {floor:>6.3f} {cutoff:>6.0f} {n_fit:>6} {int(result.holdout['n']):>7} "
              f"{result.holdout['mae']:>9.4f} {result.holdout['rmse']:>7.4f} {mae:>11.4f} {rmse:>7.4f}")


if __name__ == "__main__":
    main()
