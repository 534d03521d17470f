"""Catalog laws fitted to the shared real data reproduce the numbers the papers and READMEs print.

The data sit beside the repository in ``../shared/data`` (no license to copy them in); every test
skips when that folder is absent.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl
from scalinglaws import datasets
from scalinglaws.laws.catalog.nd import muennighoff

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared data folder {DATA} is absent (fresh clone outside the workspace)"
)


# --- Gadre et al. 2024: over-training and downstream error -------------------------------------

_SMALL = ["d=96_l=8_h=4", "d=512_l=8_h=4", "d=576_l=24_h=8", "d=1024_l=24_h=8"]


def _overtrain() -> pl.DataFrame:
    # 6ND exceeds int64 for the largest runs, so read the counts as floats.
    frame = pl.read_csv(
        DATA / "overtrain_gadre2024" / "overtrain_models.csv",
        schema_overrides={"flops": pl.Float64, "N": pl.Float64, "D": pl.Float64},
    )
    return frame.filter(pl.col("dataset_name") == "rpj").select(
        "model_config", "tok_mult", "flops", "loss_c4_val", "err_avg_17"
    )


def _config(frame: pl.DataFrame, config: str, multiplier: float) -> pl.DataFrame:
    return frame.filter((pl.col("model_config") == config) & (pl.col("tok_mult") == multiplier))


def test_gadre_overtraining_and_downstream_predictions() -> None:
    runs = _overtrain()
    # Table-2 defaults: the four small configurations at M = 20 and the smallest at M = 320.
    train = pl.concat(
        [_config(runs, c, 20.0) for c in _SMALL] + [_config(runs, "d=96_l=8_h=4", 320.0)]
    )
    targets = pl.concat([_config(runs, "open_lm_1b", 640.0), _config(runs, "open_lm_7b", 20.0)])
    assert (train.height, targets.height) == (5, 2)

    # The authors use curve_fit (least squares on raw loss).
    loss_fit = sl.fit(
        train, law="gadre_overtrain", loss="squared", space="linear",
        mapping={"C": "flops", "M": "tok_mult"}, target="loss_c4_val",
    )
    assert loss_fit.status is sl.FitStatus.CONVERGED
    # README: code-form constants (a, c, b, E) = (166.2, 366.7, -0.27285, 1.8366); our form has
    # a = alpha_c 6^eta, b = beta_c, eta = -b/2. Printed to 4-5 significant figures.
    eta = loss_fit.params["eta"]
    assert loss_fit.params["a"] / 6**eta == pytest.approx(166.2, abs=0.05)
    assert loss_fit.params["b"] == pytest.approx(366.7, abs=0.05)
    assert -2 * eta == pytest.approx(-0.27285, abs=5e-6)
    assert loss_fit.params["E"] == pytest.approx(1.8366, abs=5e-5)

    predicted_loss = loss_fit.predict(targets)
    observed_loss = targets["loss_c4_val"].to_numpy()
    relative = 100 * np.abs(predicted_loss - observed_loss) / observed_loss
    # README: 0.7103% (1.4B, M = 640) and 0.7320% (6.9B, M = 20), printed to 4 decimals.
    np.testing.assert_allclose(relative, [0.7103, 0.7320], atol=5e-5)

    # Error law: the same 5 points plus the 1.4B model at M = 20, 17-task average top-1 error.
    error_train = pl.concat([train, _config(runs, "open_lm_1b", 20.0)])
    error_fit = sl.fit(
        error_train, law="gadre_downstream", loss="squared", space="linear",
        mapping={"L": "loss_c4_val"}, target="err_avg_17",
    )
    assert error_fit.status is sl.FitStatus.CONVERGED
    law = sl.get_law("gadre_downstream")
    # Errors are predicted from the *predicted* losses (the paper chains the two laws).
    predicted_error = law.predict(error_fit.params, {"L": predicted_loss})
    observed_error = targets["err_avg_17"].to_numpy()
    relative_error = 100 * np.abs(predicted_error - observed_error) / observed_error
    # README: 3.6365% and 0.0464%, printed to 4 decimals.
    np.testing.assert_allclose(relative_error, [3.6365, 0.0464], atol=5e-5)


# --- Porian et al. 2024: compute-optimal exponents from IsoFLOP optima --------------------------

@pytest.mark.parametrize(
    ("dataset", "config", "exponent"),
    [
        ("rw", ("base", "long", "kaplan", "kaplan", "train"), 0.834),
        ("rw", ("base", "long", "kaplan", "standard", "val"), 0.701),
        ("rw", ("base", "short", "kaplan", "standard", "val"), 0.604),
        ("rw", ("base", "short", "chinchilla", "standard", "val"), 0.571),
        ("rw", ("tuned", "short", "const", "standard", "val"), 0.497),
        ("owt2", ("base", "long", "kaplan", "kaplan", "train"), 0.870),
        ("owt2", ("tuned", "short", "const", "standard", "val"), 0.518),
    ],
)
def test_porian_exponents_from_isoflop_optima(
    dataset: str, config: tuple[str, str, str, str, str], exponent: float
) -> None:
    optima = pl.read_csv(DATA / "porian2024_discrepancies" / "optimal_pairs.csv")
    keys = ("hparams", "warmup", "decay", "param_count", "val")
    # The main summary file holds the rw configurations (the attention variants are separate).
    source = "summary_df_owt2.pickle.xz" if dataset == "owt2" else "summary_df.pickle.xz"
    rows = optima.filter(
        (pl.col("dataset") == dataset)
        & (pl.col("source_file") == source)
        & pl.all_horizontal(pl.col(k) == v for k, v in zip(keys, config, strict=True))
        & pl.col("n").is_not_nan()  # budgets whose IsoFLOP curve has no interior minimum
    )
    assert rows.height >= 5
    # The README's `basic` fit is ordinary least squares of log N* on log C.
    result = sl.fit(
        rows, law="porian_n_opt", loss="squared", space="log", mapping={"C": "flops"}, target="n"
    )
    assert result.status is sl.FitStatus.CONVERGED
    # README prints 3 decimals: half a unit in the last digit.
    assert result.params["a"] == pytest.approx(exponent, abs=5e-4)


# --- Muennighoff et al. 2023: data-constrained scaling -----------------------------------------

# Step 2 of the authors' recipe (huggingface/datablations utils/parametric_fit.ipynb @ 13701315,
# section "Fit default", cell Ho_nSiv68OeM, "Samples: 182") fits the 182 runs that the cell
# "Custom data loading with outliers removed" lists (column `in_authors_fit` of the data set). 21 of
# them are the withheld runs (4.2B and 8.7B params, or D >= 6e11), so 161 remain.


def _muennighoff_step2_law(starts: tuple[float, float] | None, **fixed: float) -> sl.Law:
    """The law with A, B, E, alpha, beta (and any of R_D, R_N in ``fixed``) frozen at the preset."""
    values = {**muennighoff.presets["muennighoff2023"], **fixed}
    formula = muennighoff.formula
    for name in ("E", "A", "B", "alpha", "beta", *fixed):
        formula = re.sub(rf"\b{name}\b", repr(values[name]), formula)
    specs = {}
    for name in ("R_D", "R_N"):
        if name not in fixed:
            spec = muennighoff.spec(name)
            if starts is not None:
                spec = replace(spec, init=starts, init_scale="linear")
            specs[name] = spec
    return sl.Law.from_formula(formula, inputs=("N", "D", "U"), params=specs)


def test_muennighoff_repetition_constants_on_the_small_scale_region() -> None:
    runs = datasets.load("datablations_final", data_dir=DATA).filter("in_authors_fit").select(
        N="n_params", D="n_tokens", U="n_unique_tokens", loss="loss"  # the notebook's val losses
    )
    assert runs.height == 182 - 21  # nothing else missing
    published = muennighoff.presets["muennighoff2023"]  # R*_D = 15.387756, R*_N = 5.309743
    # The authors' step 2: a, b, e, alpha, beta frozen at step 1 (`params.grad[:5] = 0`, so E
    # too); Huber (delta = 1e-3, summed) on log loss; U_N = min(N, N_opt(U)), R_D = max(D/U - 1, 0)
    # and R_N = max(N/U_N - 1, 0), as in the law; all epochs; L-BFGS from ep_star, n_star in
    # linspace(0, 20, 4): the zero starts give NaN and are never kept, which leaves 3 x 3 starts.
    objective = {"loss": "huber", "delta": 1e-3, "space": "log"}
    authors_starts = _muennighoff_step2_law((20 / 3, 20.0))
    authors = sl.fit(runs, law=authors_starts, n_grid=9, n_polish=9, **objective)
    assert authors.status is sl.FitStatus.CONVERGED
    r_d, r_n = authors.params["R_D"], authors.params["R_N"]
    # (1) This replicates the procedure: the authors' notebook code itself (PyTorch L-BFGS,
    #     float32), re-run on these 161 runs, ends at R*_D = 13.700, R*_N = 5.804 (best of its 8
    #     finite starts; 7 of them end there). That is 11% below and 9% above the published pair:
    #     the 21 withheld runs make the difference.
    assert r_d == pytest.approx(13.70, rel=0.01)
    assert r_n == pytest.approx(5.80, rel=0.01)
    # (2) The small-scale region fixes a ridge, not a point: R*_D and R*_N trade off. The same
    #     objective's global minimum (the engine's default multi-start) lies far along it, at
    #     R*_D = 57.3, R*_N = 2.28, and only 0.19% below the authors' local minimum. The authors'
    #     start grid (all starts <= 20) is what picks the basin next to the published pair.
    best = sl.fit(runs, law=_muennighoff_step2_law(None), **objective)
    assert best.status is sl.FitStatus.CONVERGED
    assert best.params["R_D"] > 2 * published["R_D"]
    assert best.params["R_N"] < published["R_N"] / 2
    assert best.objective <= authors.objective < 1.01 * best.objective

    def abs_log_residuals(params: dict[str, float]) -> np.ndarray:
        inputs = {c: runs[c].to_numpy() for c in "NDU"}
        predicted = muennighoff.predict({**published, **params}, inputs)
        return np.abs(np.log(predicted) - np.log(runs["loss"].to_numpy()))

    # (3) So the published pair fits this region almost as well as the best pair. Huber with a
    #     delta this small is an L1 fit, i.e. Laplace errors; the likelihood-ratio statistic of the
    #     published pair against the global minimum, 2 * (sum |r_pub| - sum |r_fit|) / mean |r_fit|,
    #     is 0.71 (0.11 against the authors' local minimum), inside the 68% region for 2
    #     parameters (chi2 quantile 2.30). Residuals are correlated (the frozen step-1 law misses
    #     this table by ~9%), which makes this region too narrow, not too wide: the check is strict.
    fitted = abs_log_residuals(best.params)
    at_published = abs_log_residuals({"R_D": published["R_D"], "R_N": published["R_N"]})
    assert 2 * (at_published.sum() - fitted.sum()) / fitted.mean() < 2.30
    # (4) ... and lies on the ridge: fixing one published constant, the other comes out at
    #     R*_N = 5.35 (published 5.31) and R*_D = 15.51 (published 15.39). The tolerance is a
    #     regression guard on those numbers; each alone is loose (standard errors 2.6 and 9.4).
    on_ridge_n = sl.fit(runs, law=_muennighoff_step2_law(None, R_D=published["R_D"]), **objective)
    on_ridge_d = sl.fit(runs, law=_muennighoff_step2_law(None, R_N=published["R_N"]), **objective)
    assert on_ridge_n.params["R_N"] == pytest.approx(published["R_N"], rel=0.02)
    assert on_ridge_d.params["R_D"] == pytest.approx(published["R_D"], rel=0.02)
    # (5) The paper's findings hold for the replicated constants: excess parameters lose value
    #     faster than repeated data (R*_N < R*_D), and up to ~4 epochs repeated tokens are worth
    #     almost as much as unique ones: D' of 4 epochs is 92% of 4U (93% with the published pair).
    assert r_n < r_d
    worth = (1 + r_d * (1 - np.exp(-3 / r_d))) / 4
    assert worth > 0.9
