"""Loss-curve laws across learning-rate schedules."""

from __future__ import annotations

import math

from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec

multi_power = Law.from_formula(
    "L0 + A*S1**(-alpha) - B*history_sum(gap*(1 - (1 + C*eta**(-gamma)*area)**(-beta)))",
    inputs=("S1", "gap", "eta", "area"),
    params={
        "L0": ParamSpec("L0", 0.0, math.inf, description="loss the constant-rate curve tends to"),
        "A": ParamSpec("A", 0.0, math.inf, description="amplitude of the power law in S1"),
        "alpha": ParamSpec("alpha", 0.0, 3.0, init=(0.1, 1.5), description="exponent of S1"),
        "B": ParamSpec("B", 0.0, math.inf, description="amplitude of the loss drop from decays"),
        "C": ParamSpec(
            "C", 1e-6, 1e6, init=(0.1, 10.0), init_scale="log",
            description="scale of the drop's saturation in eta^-gamma * area",
        ),
        "beta": ParamSpec("beta", 0.0, 3.0, init=(0.1, 1.5), description="saturation exponent"),
        "gamma": ParamSpec(
            "gamma", 0.0, 3.0, init=(0.1, 1.5), description="exponent of the rate in the saturation"
        ),
    },
    name="multi_power",
    description=(
        "Luo et al. multi-power law for the loss curve under any learning-rate schedule: "
        "L(t) = L0 + A (S1(t))^-alpha - LD(t), with loss drop LD(t) = B sum_k (eta_{k-1} - eta_k) "
        "(1 - (1 + C eta_k^-gamma S_k(t))^-beta) over the steps k <= t, S_k(t) = eta_k + ... + eta_t. "
        "Add the inputs to a run table with scalinglaws.schedules.with_schedule_inputs. "
        "Target: training loss in nats/token."
    ),
    reference=(
        "Luo et al. 2025, 'A Multi-Power Law for Loss Curve Prediction Across Learning Rate "
        "Schedules', arXiv:2503.12811; thu-yao-01-luo/MultiPowerLaw src/models.py (MPL) and README "
        "@ 8da9f190"
    ),
    conventions={
        "S1": "cumulative learning rate eta_0 + ... + eta_t, warmup included (the paper's S1 + S_W)",
        "gap": "history input: eta_{k-1} - eta_k for each step k <= t where the rate changed",
        "eta": "history input: eta_k",
        "area": "history input: eta_k + ... + eta_t",
    },
    presets={
        # The repository README's refits (they differ slightly from the paper's tables), fitted on
        # {cosine_24000, constant_24000, wsdcon_9} with Huber 1e-3 on log loss; warmup 2,160 steps to
        # peak 3e-4.
        "luo2025_25m": {
            "L0": 3.0405, "A": 0.52469, "alpha": 0.50787, "B": 363.79, "C": 2.0656,
            "beta": 0.58279, "gamma": 0.64142,
        },
        "luo2025_100m": {
            "L0": 2.6514, "A": 0.60115, "alpha": 0.45296, "B": 437.95, "C": 2.1325,
            "beta": 0.59785, "gamma": 0.65524,
        },
        "luo2025_400m": {
            "L0": 2.3747, "A": 0.65421, "alpha": 0.42879, "B": 523.42, "C": 2.0246,
            "beta": 0.59350, "gamma": 0.63472,
        },
    },
)

LAWS = (multi_power,)
