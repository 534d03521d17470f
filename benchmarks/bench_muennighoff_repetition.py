"""Muennighoff et al.'s step 2 (repetition constants R*_D, R*_N) on the shared small-scale region.

The authors' step 2 (huggingface/datablations utils/parametric_fit.ipynb @ 13701315, cell
Ho_nSiv68OeM) freezes A, B, E, alpha, beta at the step-1 values and fits R*_D, R*_N on 182 runs:
Huber (delta = 1e-3, summed) on log loss, L-BFGS from a 3 x 3 grid of starts in [20/3, 20]. It
printed R*_D = 15.387756, R*_N = 5.309743. 21 of those runs are withheld from the shared region,
which leaves 161. This prints the fitted pair for a few variants of the rows, E (frozen or refitted)
and the starts (the authors' grid, or the engine's default global multi-start), then where the
published pair sits: the fits with one published constant fixed, its likelihood-ratio statistic, and
the spread of the authors' recipe when 21 random runs are dropped.

Run:  python benchmarks/bench_muennighoff_repetition.py [--subsample 100]
Data: ../shared/data/datablations_muennighoff_trainregion (or the folder in SCALINGLAWS_DATA_DIR).
"""

from __future__ import annotations

import argparse
import os
import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

import scalinglaws as sl
from scalinglaws import datasets
from scalinglaws.laws.catalog.nd import muennighoff

PUBLISHED = muennighoff.presets["muennighoff2023"]
AUTHORS_STARTS = (20 / 3, 20.0)  # linspace(0, 20, 4) without the zero start, which gives NaN
OBJECTIVE = {"loss": "huber", "delta": 1e-3, "space": "log"}


def contour_runs() -> pl.DataFrame:
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    root = Path(os.environ.get("SCALINGLAWS_DATA_DIR", default))
    return datasets.load("datablations_final", data_dir=root).select(
        "in_authors_fit", N="n_params", D="n_tokens", U="n_unique_tokens", loss="loss"
    )


def step2_law(free: tuple[str, ...], starts: tuple[float, float] | None, **fixed: float) -> sl.Law:
    """The law with every parameter outside ``free`` frozen at the preset (or at ``fixed``)."""
    values = {**PUBLISHED, **fixed}
    formula = muennighoff.formula
    for name in muennighoff.param_names:
        if name not in free:
            formula = re.sub(rf"\b{name}\b", repr(values[name]), formula)
    specs = {}
    for name in free:
        spec = muennighoff.spec(name)
        if starts is not None and name in ("R_D", "R_N"):
            spec = replace(spec, init=starts, init_scale="linear")
        specs[name] = spec
    return sl.Law.from_formula(formula, inputs=("N", "D", "U"), params=specs)


def fit(runs: pl.DataFrame, law: sl.Law, authors_starts: bool) -> sl.FitResult:
    grid = {"n_grid": 9, "n_polish": 9} if authors_starts else {}
    return sl.fit(runs, law=law, **grid, **OBJECTIVE)


def sum_abs_log_residuals(runs: pl.DataFrame, r_d: float, r_n: float) -> float:
    inputs = {c: runs[c].to_numpy() for c in "NDU"}
    predicted = muennighoff.predict({**PUBLISHED, "R_D": r_d, "R_N": r_n}, inputs)
    return float(np.sum(np.abs(np.log(predicted) - np.log(runs["loss"].to_numpy()))))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subsample", type=int, default=100, help="drop-21 refits (0: skip)")
    args = parser.parse_args()
    begin = time.perf_counter()
    everything = contour_runs()
    authors = everything.filter("in_authors_fit")
    few_epochs = pl.col("D") / pl.col("U") <= 100
    row_sets = {
        "authors' 161": authors,
        "authors' 161, <=100 ep": authors.filter(few_epochs),
        "all 199": everything,
        "all 199, <=100 ep": everything.filter(few_epochs),
    }
    print(f"published (182 runs): R*_D = {PUBLISHED['R_D']:.3f}, R*_N = {PUBLISHED['R_N']:.3f}")
    print(f"{'rows':24s} {'E':7s} {'starts':12s} {'n':>4s} {'R*_D':>8s} {'R*_N':>7s} {'E fit':>6s} "
          f"{'objective':>10s}  status")
    for label, runs in row_sets.items():
        for free in (("R_D", "R_N"), ("E", "R_D", "R_N")):
            for authors_starts in (True, False):
                starts = AUTHORS_STARTS if authors_starts else None
                result = fit(runs, step2_law(free, starts), authors_starts)
                e_fit = f"{result.params['E']:.3f}" if "E" in free else "-"
                print(f"{label:24s} {'refit' if 'E' in free else 'frozen':7s} "
                      f"{'authors 3x3' if authors_starts else 'global':12s} {result.n_points:4d} "
                      f"{result.params['R_D']:8.2f} {result.params['R_N']:7.2f} {e_fit:>6s} "
                      f"{result.objective:10.7f}  {result.status.value}")
    local = fit(authors, step2_law(("R_D", "R_N"), AUTHORS_STARTS), True)
    best = fit(authors, step2_law(("R_D", "R_N"), None), False)
    n_given_d = fit(authors, step2_law(("R_N",), None, R_D=PUBLISHED["R_D"]), False)
    d_given_n = fit(authors, step2_law(("R_D",), None, R_N=PUBLISHED["R_N"]), False)
    print(f"\nauthors' 161, E frozen: R*_N with R*_D fixed at {PUBLISHED['R_D']:.2f}: "
          f"{n_given_d.params['R_N']:.3f} (se {n_given_d.stderr['R_N']:.2g}); "
          f"R*_D with R*_N fixed at {PUBLISHED['R_N']:.2f}: {d_given_n.params['R_D']:.3f} "
          f"(se {d_given_n.stderr['R_D']:.2g})")
    at_published = sum_abs_log_residuals(authors, PUBLISHED["R_D"], PUBLISHED["R_N"])
    for label, result in (("global minimum", best), ("authors' local minimum", local)):
        fitted = sum_abs_log_residuals(authors, result.params["R_D"], result.params["R_N"])
        ratio = 2 * (at_published - fitted) / (fitted / authors.height)
        print(f"likelihood ratio (Laplace errors) of the published pair vs the {label}: "
              f"{ratio:.2f} (68% region for 2 parameters: < 2.30)")
    if args.subsample:
        rng = np.random.default_rng(0)
        law = step2_law(("R_D", "R_N"), AUTHORS_STARTS)
        pairs = []
        for _ in range(args.subsample):
            keep = np.sort(rng.choice(authors.height, authors.height - 21, replace=False))
            result = fit(authors[keep], law, True)
            pairs.append((result.params["R_D"], result.params["R_N"]))
        spread = np.percentile(np.array(pairs), [16, 50, 84], axis=0)
        print(f"authors' recipe, {args.subsample} random drops of 21 of the 161 runs: "
              f"R*_D {spread[0, 0]:.1f} / {spread[1, 0]:.1f} / {spread[2, 0]:.1f}, "
              f"R*_N {spread[0, 1]:.2f} / {spread[1, 1]:.2f} / {spread[2, 1]:.2f} "
              "(16th / 50th / 84th percentile)")
    print(f"\n{time.perf_counter() - begin:.1f} s")


if __name__ == "__main__":
    main()
