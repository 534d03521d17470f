"""Hyper-parameter and allocation laws: critical batch size, optimal learning rate and batch size,
the optimal AdamW timescale, and compute-optimal model and data scale."""

from __future__ import annotations

import math

from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec

_DEEPSEEK = "DeepSeek-AI 2024, 'DeepSeek LLM', arXiv:2401.02954"
_DEEPSEEK_C = (
    "training compute in FLOP, C = M D with M the non-embedding FLOPs/token "
    "72 n_layer d_model^2 + 12 n_layer d_model l_seq (DeepSeek Sec. 3.2)"
)
_STEP = (
    "Li et al. 2025, 'Predictable Scale: Part I (Step Law)', arXiv:2503.04715; step-law/steplaw "
    "code/fit_tool.py @ 32a8f4cc"
)


def _coefficient(name: str, description: str) -> ParamSpec:
    return ParamSpec(name, 0.0, math.inf, description=description)


kaplan_bcrit = Law.from_formula(
    "B_star/L**(1/alpha_B)",
    inputs=("L",),
    params={
        "B_star": _coefficient("B_star", "critical batch at a loss of 1 nat (tokens)"),
        "alpha_B": ParamSpec(
            "alpha_B", 0.01, 5.0, init=(0.05, 1.0), description="critical-batch exponent"
        ),
    },
    name="kaplan_bcrit",
    description=(
        "Kaplan critical batch size B_crit(L) = B_*/L^(1/alpha_B), the batch where the "
        "step/example trade-off (S/S_min - 1)(E/E_min - 1) = 1 balances. Target: B_crit in tokens."
    ),
    reference="Kaplan et al. 2020, arXiv:2001.08361, Eq. 1.4/5.3 and Table 5",
    conventions={"L": "loss reached, in nats/token (WebText2)"},
    presets={"kaplan2020": {"B_star": 2.1e8, "alpha_B": 0.21}},
)

steplaw_lr = Law.from_formula(
    "eta_0*N**alpha*D**beta",
    inputs=("N", "D"),
    params={
        "eta_0": _coefficient("eta_0", "coefficient"),
        "alpha": ParamSpec("alpha", -3.0, 1.0, init=(-1.5, 0.0), description="exponent of N"),
        "beta": ParamSpec("beta", -1.0, 2.0, init=(0.0, 1.0), description="exponent of D"),
    },
    name="steplaw_lr",
    description=(
        "Step Law optimal peak learning rate eta_opt(N, D) = eta_0 N^alpha D^beta, fitted by log "
        "OLS on runs within 0.25% of the best loss of each (N, D). Target: learning rate."
    ),
    reference=_STEP,
    conventions={
        "N": "parameters (believed non-embedding; not verified)",
        "D": "training tokens",
    },
    presets={
        # Paper's rounded constants (they give eta = 9.17e-4 at N = 7e9, D = 1.4e12).
        "li2025": {"eta_0": 1.79, "alpha": -0.713, "beta": 0.307},
        # Mean of the 1,000 bootstrap coefficient sets in
        # data/1004_fitted_lr_bs_scaling_model_parameters.csv.
        "li2025_bootstrap_mean": {"eta_0": 1.797, "alpha": -0.7129, "beta": 0.3075},
    },
)

steplaw_batch = Law.from_formula(
    "B_0*D**gamma",
    inputs=("D",),
    params={
        "B_0": _coefficient("B_0", "coefficient (tokens)"),
        "gamma": ParamSpec("gamma", 0.0, 2.0, init=(0.1, 1.0), description="exponent of D"),
    },
    name="steplaw_batch",
    description=(
        "Step Law optimal batch size B_opt(D) = B_0 D^gamma in tokens, independent of N. "
        "Target: batch size in tokens (sequences times sequence length)."
    ),
    reference=_STEP,
    conventions={"D": "training tokens"},
    presets={
        "li2025": {"B_0": 0.58, "gamma": 0.571},
        "li2025_bootstrap_mean": {"B_0": 0.5807, "gamma": 0.5709},
    },
)

deepseek_lr = Law.from_formula(
    "k*C**(-a)",
    inputs=("C",),
    params={
        "k": _coefficient("k", "coefficient"),
        "a": ParamSpec("a", 0.0, 1.0, init=(0.01, 0.5), description="decay exponent"),
    },
    name="deepseek_lr",
    description=(
        "DeepSeek optimal learning rate eta_opt(C) = k C^-a, fitted on runs within 0.25% of the "
        "best generalization error (multi-step schedule). Target: learning rate."
    ),
    reference=f"{_DEEPSEEK}, Sec. 3.1, Eq. 1",
    conventions={"C": _DEEPSEEK_C},
    presets={"deepseek2024": {"k": 0.3118, "a": 0.1250}},
)

deepseek_batch = Law.from_formula(
    "k*C**a",
    inputs=("C",),
    params={
        "k": _coefficient("k", "coefficient"),
        "a": ParamSpec("a", 0.0, 1.0, init=(0.05, 0.8), description="exponent"),
    },
    name="deepseek_batch",
    description=(
        "DeepSeek optimal batch size B_opt(C) = k C^a. Target: batch size (tokens per the "
        "paper's convention; the unit is not verified)."
    ),
    reference=f"{_DEEPSEEK}, Sec. 3.1, Eq. 1",
    conventions={"C": _DEEPSEEK_C},
    presets={"deepseek2024": {"k": 0.2920, "a": 0.3271}},
)

deepseek_model_scale = Law.from_formula(
    "k*C**a",
    inputs=("C",),
    params={
        "k": _coefficient("k", "coefficient"),
        "a": ParamSpec("a", 0.0, 1.5, init=(0.2, 1.0), description="model-scale exponent"),
    },
    name="deepseek_model_scale",
    description=(
        "DeepSeek compute-optimal model scale M_opt(C) = k C^a, from IsoFLOP profiles (bits per "
        "byte). Target: M, non-embedding FLOPs per token. With deepseek_data the two satisfy "
        "M_opt D_opt = C."
    ),
    reference=f"{_DEEPSEEK}, Sec. 3.2, Eq. 4",
    conventions={"C": _DEEPSEEK_C},
    presets={"deepseek2024": {"k": 0.1715, "a": 0.5243}},
)

deepseek_data = Law.from_formula(
    "k*C**b",
    inputs=("C",),
    params={
        "k": _coefficient("k", "coefficient"),
        "b": ParamSpec("b", 0.0, 1.5, init=(0.2, 1.0), description="data exponent"),
    },
    name="deepseek_data",
    description=(
        "DeepSeek compute-optimal data scale D_opt(C) = k C^b, from IsoFLOP profiles. Target: "
        "training tokens."
    ),
    reference=f"{_DEEPSEEK}, Sec. 3.2, Eq. 4",
    conventions={"C": _DEEPSEEK_C},
    presets={"deepseek2024": {"k": 5.8316, "b": 0.4757}},
)

power_lines_tau = Law.from_formula(
    "c*(D/N)**m",
    inputs=("N", "D"),
    params={
        "c": _coefficient("c", "optimal timescale at one token per parameter"),
        "m": ParamSpec("m", -3.0, 3.0, init=(-1.0, 0.0), description="exponent of D/N"),
    },
    name="power_lines_tau",
    description=(
        "Power Lines optimal AdamW timescale tau_opt = c (D/N)^m, a power law in tokens per "
        "parameter; with tau = B/(eta lambda D) it gives lambda_opt = B/(eta D tau_opt). The "
        "paper's optimal and critical batch sizes are power laws in D alone: fit steplaw_batch to "
        "them. No preset: the fitted constants were not verified. Target: tau_opt, dimensionless."
    ),
    reference="Bergsma et al. 2025, 'Power Lines', arXiv:2505.13738, abstract (form only)",
    conventions={
        "N": "parameters (muP models, 111M-3.3B)",
        "D": "training tokens",
    },
)

LAWS = (
    kaplan_bcrit,
    steplaw_lr,
    steplaw_batch,
    deepseek_lr,
    deepseek_batch,
    deepseek_model_scale,
    deepseek_data,
    power_lines_tau,
)
