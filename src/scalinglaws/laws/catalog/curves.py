"""Curve shapes: broken neural scaling laws with several breaks, loss-to-loss and loss-to-error maps,
and the rectified fine-tuning law."""

from __future__ import annotations

import functools
import math

from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec

_BNSL_REFERENCE = (
    "Caballero et al. 2022, arXiv:2210.14891, Eq. 1; ethancaballero/broken_neural_scaling_laws "
    "@ ffa608f7"
)


@functools.cache
def broken_power_law(n_breaks: int) -> Law:
    """Caballero et al.'s BNSL with ``n_breaks`` breaks, named ``bnsl`` (one break) or ``bnslN``.

    Each nests the law with a break fewer, so a fit adds the breaks one at a time.
    """
    breaks = "*".join(
        f"(1 + (x/d{i})**(1/f{i}))**(-c{i}*f{i})" for i in range(1, n_breaks + 1)
    )
    params = {
        "a": ParamSpec("a", 0.0, math.inf, description="limiting value"),
        "b": ParamSpec("b", 0.0, math.inf, description="offset on the log-log plot"),
        "c0": ParamSpec("c0", -5.0, 5.0, init=(0.0, 1.0), description="initial slope"),
    }
    for i in range(1, n_breaks + 1):
        params[f"c{i}"] = ParamSpec(
            f"c{i}", -5.0, 5.0, init=(-1.0, 1.0), description=f"change of slope at break {i}"
        )
        params[f"d{i}"] = ParamSpec(
            f"d{i}", 0.0, math.inf, init=(1.0, 10.0), init_scale="log", init_from="x",
            description=f"location of break {i} (units of x)",
        )
        # At f = 0.05 a break turns (10% to 90% of its change of slope) within +-10% of d, finer
        # than the spacing of most run ladders. Sharper breaks leave a plateau on which fits stall
        # (data on either side no longer feel f or d), and (x/d)^(1/f) overflows once
        # ln(x/d) > 709 f.
        params[f"f{i}"] = ParamSpec(
            f"f{i}", 0.05, 10.0, init=(0.05, 2.0), init_scale="log",
            description=f"sharpness of break {i} (smaller is sharper)",
        )
    return Law.from_formula(
        f"a + b*x**(-c0)*{breaks}",
        inputs=("x",),
        params=params,
        name="bnsl" if n_breaks == 1 else f"bnsl{n_breaks}",
        description=(
            f"Broken neural scaling law with {n_breaks} break{'s' if n_breaks > 1 else ''}: "
            "y = a + b x^-c0 prod_i (1 + (x/d_i)^(1/f_i))^(-c_i f_i). "
            + (
                "Fits report the breaks in order of location (d1 < d2 < ...); a "
                if n_breaks > 1
                else "A "
            )
            + "break outside the data is not identified."
        ),
        reference=f"{_BNSL_REFERENCE} (n = {n_breaks})",
        conventions={"x": "any positive scale (compute, data, parameters, steps)"},
        nested=broken_power_law(n_breaks - 1) if n_breaks > 1 else None,
        exchangeable=tuple((f"d{i}", f"f{i}", f"c{i}") for i in range(1, n_breaks + 1)),
    )


bnsl2 = broken_power_law(2)
bnsl3 = broken_power_law(3)

gadre_downstream = Law.from_formula(
    "epsilon - k*exp(-gamma*L)",
    inputs=("L",),
    params={
        "epsilon": ParamSpec(
            "epsilon", 0.0, math.inf, description="error approached as the loss grows (random chance)"
        ),
        "k": ParamSpec("k", 0.0, math.inf, description="amplitude of the decay"),
        "gamma": ParamSpec(
            "gamma", 0.0, 20.0, init=(0.1, 5.0), description="rate at which error falls with loss"
        ),
    },
    name="gadre_downstream",
    description=(
        "Gadre downstream law Err(L) = epsilon - k exp(-gamma L): average top-1 error over a task "
        "suite as a function of the model's loss. Target: mean top-1 error (1 - accuracy)."
    ),
    reference=(
        "Gadre et al. 2024, arXiv:2403.08540, Sec. 3; mlfoundations/scaling scaling/laws.py "
        "(decay_ours) @ a003c491"
    ),
    conventions={"L": "validation loss of the model in nats/token (C4 eval in the paper)"},
)

brandfonbrener = Law.from_formula(
    "K*(L_x - E_x)**kappa + E_y",
    inputs=("L_x",),
    params={
        "K": ParamSpec("K", 0.0, math.inf, description="scale of the shifted power law"),
        "E_x": ParamSpec(
            "E_x", 0.0, math.inf, init=(0.0, 1.5),
            description="irreducible loss of x; the recipe fixes it from a separate scaling-law "
            "fit of x (pass bounds or init to pin it); must be below every L_x",
        ),
        "kappa": ParamSpec("kappa", 0.0, 10.0, init=(0.2, 3.0), description="exponent"),
        "E_y": ParamSpec("E_y", 0.0, math.inf, description="irreducible loss of y"),
    },
    name="brandfonbrener",
    description=(
        "Brandfonbrener loss-to-loss shifted power law L_y = K (L_x - E_x)^kappa + E_y, for "
        "train-to-train, train-to-test and test-to-test pairs of losses. Target: the loss L_y "
        "on the second dataset or task."
    ),
    reference=(
        "Brandfonbrener et al. 2024, arXiv:2411.12925; KempnerInstitute/loss-to-loss-notebooks "
        "utils_scaling.py @ 457ce81a"
    ),
    conventions={
        "L_x": "loss on the first dataset; train-to-train pairs are matched at equal compute"
    },
)

lin_rectified = Law.from_formula(
    "(B/(D_l + D**beta) + E)**alpha",
    inputs=("D",),
    params={
        "B": ParamSpec(
            "B", 0.0, math.inf, init=(0.1, 1e4), init_scale="log", description="data-term amplitude"
        ),
        "D_l": ParamSpec(
            "D_l", 0.0, math.inf, init=(0.1, 1e4), init_scale="log",
            description="pre-learned data size: fine-tuning-equivalent data the pre-trained model "
            "already holds, in units of D^beta (0 gives the vanilla law)",
        ),
        "beta": ParamSpec("beta", 0.0, 3.0, init=(0.05, 1.5), description="data exponent"),
        "E": ParamSpec("E", 0.0, math.inf, init=(0.01, 3.0), description="irreducible term"),
        "alpha": ParamSpec("alpha", 0.0, 5.0, init=(0.2, 3.0), description="outer exponent"),
    },
    name="lin_rectified",
    description=(
        "Lin rectified fine-tuning law L(D) = (B/(D_l + D^beta) + E)^alpha: a flat 'pre-power' "
        "phase while D^beta << D_l, then the usual power law. Target: fine-tuning test loss."
    ),
    reference=(
        "Lin et al. 2024, 'Selecting LLM to Fine-tune via Rectified Scaling Law', arXiv:2402.02314, "
        "ICML 2024 (rectified-scaling-law.github.io)"
    ),
    conventions={"D": "fine-tuning set size (examples)"},
)

LAWS = (bnsl2, bnsl3, gadre_downstream, brandfonbrener, lin_rectified)
