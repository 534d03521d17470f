"""Synthetic training runs drawn from a planted law, with noise and outliers, for tests and demos."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import polars as pl

from scalinglaws import schedules
from scalinglaws.laws import COLUMN_ALIASES, Law, get_law

PLANTED: Mapping[str, Mapping[str, float]] = {
    "chinchilla": {"E": 1.8, "A": 480.0, "B": 2100.0, "alpha": 0.35, "beta": 0.37},
    "kaplan_nd": {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103},
    "power": {"E": 1.7, "A": 60.0, "alpha": 0.3},
    "bnsl": {"a": 0.5, "b": 8.0, "c0": 0.1, "c1": 0.4, "d1": 1e6, "f1": 0.5},
    # Published constants where the catalog ships them, otherwise values of the papers' order.
    "kaplan_n": {"N_c": 8.8e13, "alpha_N": 0.076},
    "kaplan_d": {"D_c": 5.4e13, "alpha_D": 0.095},
    "kaplan_c": {"C_c": 3.1e8, "alpha_C": 0.050},
    "kaplan_ns": {"N_c": 6.5e13, "alpha_N": 0.077, "S_c": 2.1e3, "alpha_S": 0.76},
    "muennighoff": {
        "E": 1.87, "A": 520.8, "alpha": 0.353, "beta": 0.353, "B": 1487.7, "R_N": 5.31,
        "R_D": 15.39,
    },
    "gadre_overtrain": {"E": 1.84, "a": 212.0, "b": 367.0, "eta": 0.136},
    "jin_avg_params": {"E": 1.8, "A": 480.0, "B": 2100.0, "alpha": 0.35, "beta": 0.37},
    "henighan": {"L_inf": 2.0, "x_0": 1e6, "alpha": 0.3},
    "hestness": {"alpha": 5.0, "beta_g": -0.3},
    "hestness_model_size": {"sigma": 50.0, "beta_p": 0.7},
    "porian_n_opt": {"k": 0.119, "a": 0.497},
    # Breaks well inside the design (x = 1e3..1e9) and above the floor a, so each one shows.
    "bnsl2": {
        "a": 0.1, "b": 10.0, "c0": 0.05, "c1": 0.3, "d1": 1e4, "f1": 0.2, "c2": -0.2, "d2": 1e7,
        "f2": 0.2,
    },
    "bnsl3": {
        "a": 0.1, "b": 10.0, "c0": 0.05, "c1": 0.3, "d1": 1e4, "f1": 0.2, "c2": -0.2, "d2": 1e6,
        "f2": 0.2, "c3": 0.3, "d3": 3e7, "f3": 0.2,
    },
    "gadre_downstream": {"epsilon": 0.85, "k": 2.5, "gamma": 0.8},
    # Accuracy from 0.85 at L = 1.8 down to the 4-way chance floor near L = 5.
    "bhagia_sigmoid": {"a": 0.6, "L_0": 3.2, "k": -2.5, "b": 0.25},
    # The logit of that sigmoid's normalised accuracy, kept positive on L = 1.8..5 for log-space checks.
    "logit_linear": {"c_0": 12.0, "c_1": 2.0},
    "brandfonbrener": {"K": 1.0, "E_x": 1.5, "kappa": 1.3, "E_y": 1.8},
    "lin_rectified": {"B": 1000.0, "D_l": 300.0, "beta": 0.5, "E": 0.5, "alpha": 1.2},
    "parscale": {"E": 1.28877, "A": 0.19735, "alpha": 0.19633, "k": 0.33446},
    # The published offset (E = 5.53) makes L_u negative; a negative E keeps the target positive
    # so the law can be checked in log space like every other law.
    "tao_vocab_loss": {
        "A1": 1.83139, "A2": 0.195842, "B": 2.12411, "E": -1.0, "beta": 0.446606, "alpha2": 0.670737,
    },
    "tao_nnv_opt": {"k": 0.0833, "a": 0.5},
    "tao_nv_opt": {"k": 0.204, "gamma": 0.416},
    "kaplan_bcrit": {"B_star": 2.1e8, "alpha_B": 0.21},
    "steplaw_lr": {"eta_0": 1.79, "alpha": -0.713, "beta": 0.307},
    "steplaw_batch": {"B_0": 0.58, "gamma": 0.571},
    "deepseek_lr": {"k": 0.3118, "a": 0.1250},
    "deepseek_batch": {"k": 0.2920, "a": 0.3271},
    "deepseek_model_scale": {"k": 0.1715, "a": 0.5243},
    "deepseek_data": {"k": 5.8316, "b": 0.4757},
    "ye_mixing2": {"c": 1.8, "k": 1.5, "t1": -1.2},
    "ye_mixing3": {"c": 2.0, "k": 1.2, "t1": -1.0, "t2": 0.5},
    "ye_mixing5": {"c": 2.0, "k": 1.0, "t1": -1.5, "t2": 0.6, "t3": -0.4, "t4": 0.9},
    # Starts near eps_0 at the smallest x and levels off near eps_inf, so every parameter shows.
    "alabdulmohsin_m4": {"eps_inf": 0.2, "eps_0": 1.0, "alpha": 0.5, "beta": 30.0, "c": -0.4},
    # Li et al. Eq. 15 rounded, with N in billions as the catalog law takes it.
    "farseer": {
        "c1": -1.162, "g1": -0.1951, "alpha": 0.123, "c2": 4.793, "g2": -1.108, "beta": -0.1,
        "c3": -0.788, "g3": -0.1178, "gamma": 0.169,
    },
    "krajewski_moe": {
        "c": 0.47, "a": 18.1, "alpha": 0.115, "b": 30.8, "beta": 0.147, "g": 2.1, "gamma": 0.58,
    },
    # Of the order reported in summaries of the paper; not its constants (which are unverified).
    "ouyang_qid": {"k": 0.02, "alpha": 0.23, "beta": 0.53, "gamma": 5.5},
    "power_lines_tau": {"c": 1.0, "m": -0.5},
    # Coverage from 13% at one sample to ~90% at 10,000 (the range of Brown et al.'s Fig. 2-3).
    "brown_coverage": {"a": -2.0, "b": -0.3},
    "brown_coverage_ceiling": {"a": -2.0, "b": -0.35, "c": 0.85},
    # ScaleRL's 100k GPU-hour 8B run (Table 1, batch 2048).
    "khatri_rl": {"A": 0.645, "B": 1.70, "C_mid": 10909.0},
    "busbridge_supervised": {
        "E": 1.220, "A": 3355.0, "B": 18186.0, "alpha": 0.408, "beta": 0.431, "gamma": 0.452,
    },
    "busbridge_distillation": {
        "c0": 2.549, "c1": 522.6, "f1": 0.090, "d1": 1.315, "A": 2243.0, "B": 24181.0,
        "alpha": 0.321, "beta": 0.637, "gamma": 0.764,
    },
    "kumar_precision": {
        "A": 4.299e3, "alpha": 0.4965, "B": 1.806e4, "E": 2.7648, "gamma_w": 2.6745, "n_w": 0.3037,
        "gamma_a": 2.2102, "n_a": 1.4072, "gamma_kv": 0.9578, "n_kv": 2.4185,
    },
    "kumar_ptq": {"C_T": 0.1847, "gamma_D": 0.5068, "gamma_N": 0.3439, "gamma_post": 0.5907},
    "multi_power": {
        "L0": 3.0405, "A": 0.52469, "alpha": 0.50787, "B": 363.79, "C": 2.0656, "beta": 0.58279,
        "gamma": 0.64142,
    },
}
"""Realistic parameter values for each catalog law, used when none are given."""


_LOG_RANGES: Mapping[str, tuple[float, float]] = {
    "S": (1e3, 3e5),
    "M": (5.0, 640.0),
    "C": (1e17, 1e22),
    "N_nv": (30.0, 3000.0),
    "N_v": (2.0, 300.0),
    "D_b": (1.0, 300.0),
    "k": (1.0, 1e4),
}
"""Log-uniform ranges of inputs in laws that need their own design (Tao's units are millions and
billions)."""

_LINEAR_RANGES: Mapping[str, tuple[float, float]] = {"L": (1.8, 5.0), "L_x": (2.0, 7.0)}
"""Uniform ranges of loss-valued inputs."""

_OWN_DESIGN = {"S", "M", "P", "N_nv", "N_v", "D_b", "L", "L_x", "k"}
"""Inputs whose presence switches to the per-input design below."""


def _special_design(
    law: Law, n_runs: int, rng: np.random.Generator
) -> dict[str, np.ndarray] | None:
    """Designs for laws whose inputs are not plain scales; None for the generic designs."""
    inputs = set(law.inputs)
    if law.compiled.history_inputs:
        return _schedule_design(n_runs)
    beyond = _beyond_design(inputs, n_runs, rng)
    if beyond is not None:
        return beyond
    if inputs == {"N", "D", "U"}:
        # Repetition up to 60 epochs, and models both below and above the frontier size for U.
        unique = np.exp(rng.uniform(np.log(1e8), np.log(1e11), n_runs))
        epochs = np.exp(rng.uniform(0.0, np.log(60.0), n_runs))
        n_params = np.exp(rng.uniform(np.log(1e7), np.log(1e10), n_runs))
        return {"N": np.round(n_params), "D": np.round(unique * epochs), "U": np.round(unique)}
    if inputs in ({"N", "D", "G"}, {"N", "D", "P"}):
        # MoE granularity 1-16 (Krajewski) or quantized bit widths 2-4 (Ouyang's Pythia checkpoints).
        levels = [1.0, 2.0, 4.0, 8.0, 16.0] if "G" in inputs else [2.0, 3.0, 4.0]
        extra = "G" if "G" in inputs else "P"
        n_params = np.exp(rng.uniform(np.log(1e8), np.log(1e11), n_runs))
        tokens = np.exp(rng.uniform(np.log(1e9), np.log(3e11), n_runs))
        return {"N": np.round(n_params), "D": np.round(tokens), extra: rng.choice(levels, n_runs)}
    if inputs and all(re.fullmatch(r"r\d+", name) for name in inputs):
        # Mixture proportions: a flat Dirichlet over the inputs plus the implicit last domain.
        shares = rng.dirichlet(np.ones(len(inputs) + 1), n_runs)
        return {name: shares[:, j] for j, name in enumerate(law.inputs)}
    if not inputs & _OWN_DESIGN:
        return None
    design = {}
    for name in law.inputs:
        if name == "P":
            design[name] = rng.choice([1.0, 2.0, 4.0, 8.0], n_runs)
        elif name in _LINEAR_RANGES:
            design[name] = rng.uniform(*_LINEAR_RANGES[name], n_runs)
        else:
            lo, hi = _LOG_RANGES.get(name, (1e6, 1e10))
            design[name] = np.exp(rng.uniform(np.log(lo), np.log(hi), n_runs))
    return design


def _beyond_design(
    inputs: set[str], n_runs: int, rng: np.random.Generator
) -> dict[str, np.ndarray] | None:
    """Designs of the RL, distillation and precision laws, in the ranges their papers measured."""
    def log_uniform(lo: float, hi: float) -> np.ndarray:
        return np.exp(rng.uniform(np.log(lo), np.log(hi), n_runs))

    if inputs == {"C", "R0"}:
        # ScaleRL: fits start after 1.5k GPU-hours; runs reach 100k; initial pass rates 0.3-0.5.
        return {"C": log_uniform(1.5e3, 1e5), "R0": rng.uniform(0.3, 0.5, n_runs)}
    if inputs == {"N", "D", "L_T", "L_sup"}:
        # Busbridge et al.: students 143M-7.75B, 20N-320N distillation tokens; L_sup from the
        # supervised law at its published constants; teachers from 0.75x to 1.45x the student's
        # supervised loss, so both sides of the capacity-gap transition (L_T = 1.315 L_sup) show.
        n_params = log_uniform(1.43e8, 7.75e9)
        tokens = n_params * log_uniform(20.0, 320.0)
        supervised = get_law("busbridge_supervised")
        l_sup = supervised.predict(supervised.presets["busbridge2025"], {"N": n_params, "D": tokens})
        return {"N": n_params, "D": tokens, "L_T": l_sup * rng.uniform(0.75, 1.45, n_runs), "L_sup": l_sup}
    if inputs == {"N", "D", "P_w", "P_a", "P_kv"}:
        # Kumar et al.: 30M-220M parameters, 1.5B-26B tokens, 3-12 bits per part; activations from
        # 4 bits (below n_a gamma_a = 3.1 the fitted factor is not positive). The paper did not fit
        # KV caches at 3 bits (those runs diverged) but the factor is positive there, and without
        # them its offset and sensitivity are not told apart (correlation -0.998 on 4-12 bits).
        bits = {"P_w": (3, 12), "P_a": (4, 12), "P_kv": (3, 12)}
        design = {"N": log_uniform(3e7, 2.2e8), "D": log_uniform(1.5e9, 2.6e10)}
        return design | {k: rng.integers(lo, hi + 1, n_runs).astype(float) for k, (lo, hi) in bits.items()}
    if inputs == {"N", "D", "P_post"}:
        return {
            "N": log_uniform(3e7, 2.2e8), "D": log_uniform(1.5e9, 2.6e10),
            "P_post": rng.choice([2.0, 3.0, 4.0, 5.0, 6.0, 8.0], n_runs),
        }
    return None


def _schedule_design(n_runs: int) -> dict[str, np.ndarray]:
    """Points along three 4,000-step loss curves (cosine, warmup-stable-decay, step decay), half of
    each decaying curve's points after its decay starts, where the drop takes shape."""
    total, peak, warmup = 4000, 3e-4, 200
    sizes = [len(part) for part in np.array_split(np.arange(n_runs), 3)]

    def steps(n: int, change: int) -> np.ndarray:
        before = np.linspace(300, change - 1, n - n // 2)
        after = change + np.geomspace(4, total - 1 - change, n // 2)
        return np.unique(np.concatenate([before, after]).round())

    return schedules.stack_histories(
        [
            schedules.schedule_history(
                schedules.cosine(total, peak, peak / 10, warmup),
                np.linspace(300, total - 1, sizes[0]).round(), n_blocks=16,
            ),
            schedules.schedule_history(
                schedules.warmup_stable_decay(total, peak, peak / 10, warmup, 3000),
                steps(sizes[1], 3000), n_blocks=16,
            ),
            schedules.schedule_history(
                schedules.step_decay(total, peak, peak / 5, warmup, 2000), steps(sizes[2], 2000), n_blocks=16
            ),
        ]
    )


def _design(law: Law, n_runs: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    special = _special_design(law, n_runs, rng)
    if special is not None:
        return special
    if set(law.inputs) == {"N_avg", "D"}:
        grid = _design_nd(n_runs, rng)
        return {"N_avg": grid["N"], "D": grid["D"]}
    if set(law.inputs) == {"N", "D"}:
        return _design_nd(
            n_runs, rng, *_ND_SIZES.get(law.name, (2e7, 2e9)), ratios=_ND_RATIOS.get(law.name, (5.0, 200.0))
        )
    if len(law.inputs) == 1:
        return {law.inputs[0]: np.geomspace(1e3, 1e9, n_runs)}
    return {name: np.exp(rng.uniform(np.log(1e6), np.log(1e10), n_runs)) for name in law.inputs}


_ND_SIZES: Mapping[str, tuple[float, float]] = {
    "farseer": (2e8, 6.4e9),
    "busbridge_supervised": (1.43e8, 1.26e10),
}
"""Model-size ranges of N-D laws fitted on other sizes: Farseer's stretched exponentials of N are
steep below its fitted 201M-6.4B range (Li et al. App. F); Busbridge et al. trained 143M-12.6B."""

_ND_RATIOS: Mapping[str, tuple[float, float]] = {"busbridge_supervised": (2.0, 3000.0)}
"""Tokens-per-parameter ranges of N-D laws measured beyond 5-200: Busbridge et al.'s supervised runs
include 512B tokens for 143M-parameter models (D/N ~ 3600), and with an outer exponent gamma the two
terms are told apart only when their ratio varies widely."""


def _design_nd(
    n_runs: int, rng: np.random.Generator, smallest: float = 2e7, largest: float = 2e9,
    ratios: tuple[float, float] = (5.0, 200.0),
) -> dict[str, np.ndarray]:
    """Model sizes (2e7-2e9 unless given) crossed with tokens per parameter (5-200 unless given),
    slightly jittered."""
    n_sizes = max(2, int(np.ceil(np.sqrt(n_runs))))
    sizes = np.geomspace(smallest, largest, n_sizes)
    per_size = np.geomspace(*ratios, int(np.ceil(n_runs / n_sizes)))
    grid = np.array([(n, n * r) for n in sizes for r in per_size])[:n_runs]
    jitter = np.exp(rng.normal(0.0, 0.02, grid.shape))
    return {"N": np.round(grid[:, 0] * jitter[:, 0]), "D": np.round(grid[:, 1] * jitter[:, 1])}


def synthetic_runs(
    law: str | Law,
    params: Mapping[str, float] | None = None,
    *,
    n_runs: int = 60,
    noise: float = 0.01,
    outlier_fraction: float = 0.0,
    outlier_scale: float = 0.3,
    seed: int = 0,
) -> pl.DataFrame:
    """Runs whose ``loss`` is the planted law times log-normal noise, with optional outliers.

    Inputs ``N``/``D`` are written to the descriptive columns ``n_params``/``n_tokens``; other inputs
    keep their symbol as column name. Outliers (a random ``outlier_fraction`` of rows) have their loss
    multiplied by ``1 + outlier_scale``; column ``is_outlier`` marks them.
    """
    law = get_law(law) if isinstance(law, str) else law
    truth = dict(params if params is not None else PLANTED[law.name])
    rng = np.random.default_rng(seed)
    inputs = _design(law, n_runs, rng)
    clean = law.predict(truth, inputs)
    loss = clean * np.exp(rng.normal(0.0, noise, clean.shape))
    outlier = np.zeros(clean.shape, dtype=bool)
    if outlier_fraction > 0:
        picked = rng.choice(clean.size, size=max(1, round(outlier_fraction * clean.size)), replace=False)
        outlier[picked] = True
        loss = np.where(outlier, loss * (1 + outlier_scale), loss)
    columns = {COLUMN_ALIASES.get(name, name): values for name, values in inputs.items()}
    return pl.DataFrame({**columns, "loss": loss, "is_outlier": outlier})
