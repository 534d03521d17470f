"""The first catalog laws: Chinchilla, Kaplan L(N, D), a single power law and a one-break BNSL."""

from __future__ import annotations

import math

from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec
from scalinglaws.laws.catalog.curves import broken_power_law

_EXPONENT = {"lower": 0.0, "upper": 5.0, "init": (0.05, 2.0)}

chinchilla = Law.from_formula(
    "E + A/N**alpha + B/D**beta",
    inputs=("N", "D"),
    params={
        "E": ParamSpec("E", 0.0, math.inf, description="irreducible loss"),
        "A": ParamSpec("A", 0.0, math.inf, description="parameter-term amplitude"),
        "B": ParamSpec("B", 0.0, math.inf, description="data-term amplitude"),
        "alpha": ParamSpec("alpha", **_EXPONENT, description="parameter exponent"),  # type: ignore[arg-type]
        "beta": ParamSpec("beta", **_EXPONENT, description="data exponent"),  # type: ignore[arg-type]
    },
    name="chinchilla",
    description="Chinchilla Approach 3: L = E + A/N^alpha + B/D^beta.",
    reference="Hoffmann et al. 2022, arXiv:2203.15556, Sec. 3.3 and App. D.2",
    conventions={
        "N": "total parameters including embeddings (Hoffmann et al. App. F)",
        "D": "training tokens seen",
    },
    presets={
        # Hoffmann et al. App. D.2, as printed (rounded).
        "hoffmann2022": {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28},
        # Besiroglu et al. 2024 (Epoch) Huber-likelihood refit of the same runs, notebook values.
        "epoch2024": {"E": 1.8169, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658},
    },
)

kaplan_nd = Law.from_formula(
    "((N_c/N)**(alpha_N/alpha_D) + D_c/D)**alpha_D",
    inputs=("N", "D"),
    params={
        "N_c": ParamSpec("N_c", 0.0, math.inf, init=(1e8, 1e16), init_scale="log"),
        "D_c": ParamSpec("D_c", 0.0, math.inf, init=(1e8, 1e16), init_scale="log"),
        "alpha_N": ParamSpec("alpha_N", 0.0, 2.0, init=(0.01, 1.0)),
        "alpha_D": ParamSpec("alpha_D", 0.0, 2.0, init=(0.01, 1.0)),
    },
    name="kaplan_nd",
    description="Kaplan L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D.",
    reference="Kaplan et al. 2020, arXiv:2001.08361, Eq. 1.5 and Table 2",
    conventions={"N": "non-embedding parameters", "D": "training tokens"},
    presets={"kaplan2020": {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103}},
)

power = Law.from_formula(
    "E + A*x**(-alpha)",
    inputs=("x",),
    params={
        "E": ParamSpec("E", 0.0, math.inf, description="irreducible value"),
        "A": ParamSpec("A", 0.0, math.inf, description="amplitude"),
        "alpha": ParamSpec("alpha", **_EXPONENT, description="exponent"),  # type: ignore[arg-type]
    },
    name="power",
    description="Saturating power law in one input: L = E + A*x^-alpha (map x to a column).",
    reference="e.g. Henighan et al. 2020, arXiv:2010.14701",
    conventions={"x": "any positive scale: parameters, tokens or compute"},
)

bnsl = broken_power_law(1)

LAWS = (chinchilla, kaplan_nd, power, bnsl)
