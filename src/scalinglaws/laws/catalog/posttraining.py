"""RL post-training compute: the saturating sigmoid of reward against RL compute (ScaleRL).

Khatri et al. 2025 ("The Art of Scaling Reinforcement Learning Compute for LLMs", arXiv:2510.13786,
Eq. 1) model the expected reward (mean pass rate on an iid validation set) after C GPU-hours of RL as

    R_C - R_0 = (A - R_0) / (1 + (C_mid / C)^B),

with A the asymptotic pass rate, B > 0 the compute-efficiency exponent and C_mid the compute at which
half of the total gain A - R_0 is reached. R_0 is the run's initial reward, measured, not fitted (the
paper grid-searches A and C_mid and fits B for each, App. A.5), so here it is an input column.
"""

from __future__ import annotations

import math

from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec

khatri_rl = Law.from_formula(
    "R0 + (A - R0)/(1 + (C_mid/C)**B)",
    inputs=("C", "R0"),
    params={
        "A": ParamSpec("A", 0.0, 1.0, init=(0.3, 0.95), description="asymptotic reward (pass rate)"),
        "B": ParamSpec(
            "B", 0.0, 10.0, init=(0.3, 4.0), description="scaling exponent (compute efficiency)"
        ),
        "C_mid": ParamSpec(
            "C_mid", 0.0, math.inf, init=(1e2, 1e5), init_scale="log",
            description="compute (GPU-hours) at which half of the gain A - R0 is reached",
        ),
    },
    name="khatri_rl",
    description=(
        "ScaleRL sigmoidal compute-performance curve R_C = R0 + (A - R0)/(1 + (C_mid/C)^B) (Eq. 1): "
        "reward saturates at the asymptote A; B and C_mid set how fast it gets there. Fits in the "
        "paper begin after ~1.5k GPU-hours and minimise squared residuals in pass rate (use "
        "space='linear'); run-to-run variation of the fitted A is about +-0.02 (App. A.5). "
        "Target: mean reward or pass rate on held-out prompts, in [0, 1]."
    ),
    reference=(
        "Khatri, Madaan, Tiwari, Bansal, Duvvuri, Zaheer, Dhillon, Brandfonbrener and Agarwal 2025, "
        "'The Art of Scaling Reinforcement Learning Compute for LLMs', arXiv:2510.13786, Eq. 1, "
        "App. A.5, A.7 and Table 1"
    ),
    conventions={
        "C": "RL training compute in GPU-hours (GB200 in the paper; the presets hold in these units); "
        "map another column with --map C=gpu_hours",
        "R0": "the run's initial reward before RL (same for every row of a run); the paper does not "
        "print it, so use the measured value",
    },
    presets={
        # Table 1 (App. A.13): C_mid in GPU-hours, B and A as printed.
        "scalerl_8b": {"C_mid": 2542.0, "B": 1.92, "A": 0.610},
        "scalerl_8b_32k": {"C_mid": 11272.0, "B": 1.89, "A": 0.645},
        "scalerl_8b_bs2048": {"C_mid": 10909.0, "B": 1.70, "A": 0.645},
        "scalerl_8b_bs512": {"C_mid": 2818.0, "B": 1.77, "A": 0.605},
        "scalerl_scout": {"C_mid": 4242.0, "B": 1.65, "A": 0.710},
        "scalerl_math_code_math": {"C_mid": 2896.0, "B": 2.05, "A": 0.595},
        "scalerl_math_code_code": {"C_mid": 1675.0, "B": 1.09, "A": 0.615},
    },
)

LAWS = (khatri_rl,)
