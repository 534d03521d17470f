"""Distillation scaling laws (Busbridge et al. 2025): supervised loss, and student loss from a teacher.

Busbridge, Shidani, Weers, Ramapuram, Littwin and Webb 2025, "Distillation Scaling Laws",
arXiv:2502.08606 (ICML 2025):

- Eq. 1, the supervised law: L(N, D) = E + (A/N^alpha + B/D^beta)^gamma.
- Eq. 8, the distillation law: a student of N_S parameters distilled on D_S tokens from a teacher of
  cross-entropy L_T reaches

      L_S = L_T + L_T^(-c0) (1 + (L_T / (L~_S d1))^(1/f1))^(-c1 f1) (A'/N_S^alpha' + B'/D_S^beta')^gamma'

  where L~_S = L(N_S, D_S) is the loss the student would reach by supervised training on the same
  tokens (the supervised law). The broken power law in L_T switches regime at L_T / L~_S = d1: the
  capacity gap, where a stronger teacher makes a worse student.

The paper fits the supervised law first and computes L~_S from it before fitting Eq. 8 (App. F.1-F.2,
Huber delta 1e-4 on log L), so the distillation law takes L~_S as an input column (``L_sup``).
Constants: Table 6 (App. F.3); the primes of the distillation coefficients are dropped here.
"""

from __future__ import annotations

import math

from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec

_REFERENCE = (
    "Busbridge, Shidani, Weers, Ramapuram, Littwin and Webb 2025, 'Distillation Scaling Laws', "
    "arXiv:2502.08606 (ICML 2025)"
)
_N = "non-embedding parameters (Table 1; 'parameters' always means non-embedding in the paper)"


def _amplitude(name: str, what: str) -> ParamSpec:
    return ParamSpec(name, 0.0, math.inf, init=(1.0, 1e5), init_scale="log", description=what)


def _exponent(name: str, what: str) -> ParamSpec:
    return ParamSpec(name, 0.0, 3.0, init=(0.05, 1.5), description=what)


busbridge_supervised = Law.from_formula(
    "E + (A/N**alpha + B/D**beta)**gamma",
    inputs=("N", "D"),
    params={
        "E": ParamSpec("E", 0.0, math.inf, init=(0.5, 3.0), description="irreducible cross-entropy"),
        "A": _amplitude("A", "parameter-term amplitude"),
        "B": _amplitude("B", "data-term amplitude"),
        "alpha": _exponent("alpha", "parameter exponent"),
        "beta": _exponent("beta", "data exponent"),
        "gamma": _exponent("gamma", "outer exponent of the model's ability to mimic the data"),
    },
    name="busbridge_supervised",
    description=(
        "Supervised scaling law of Busbridge et al. (Eq. 1): L = E + (A/N^alpha + B/D^beta)^gamma, "
        "Chinchilla's form with an outer exponent gamma (no coefficient tying). Compute-optimal "
        "exponents a = beta/(alpha+beta) = 0.513 and b = 0.486 at the preset (Table 6). Target: "
        "validation cross-entropy on C4 (English), nats/token."
    ),
    reference=f"{_REFERENCE}, Eq. 1 and Table 6",
    conventions={"N": _N, "D": "training tokens"},
    presets={
        # Table 6, supervised column (90% bootstrap intervals in the paper).
        "busbridge2025": {
            "E": 1.220, "A": 3355.0, "B": 18186.0, "alpha": 0.408, "beta": 0.431, "gamma": 0.452,
        },
    },
)

busbridge_distillation = Law.from_formula(
    "L_T + L_T**(-c0)*(1 + (L_T/(L_sup*d1))**(1/f1))**(-c1*f1)*(A/N**alpha + B/D**beta)**gamma",
    inputs=("N", "D", "L_T", "L_sup"),
    params={
        # Start ranges around the paper's fit; App. F.2 started L-BFGS-B from a grid with log A', log
        # B' in 0..20, alpha', beta', gamma' in 0..1, c0, c1, f1 in 0..1.5 and log d1 in -1..1.
        "c0": ParamSpec("c0", 0.0, 10.0, init=(1.0, 4.0), description="power of the teacher loss"),
        "c1": ParamSpec(
            "c1", 0.0, 1000.0, init=(1.0, 1000.0), init_scale="log",
            description="power of the broken power law beyond the capacity-gap transition",
        ),
        "f1": ParamSpec(
            "f1", 0.0, 5.0, init=(0.03, 1.0), init_scale="log",
            description="sharpness of the capacity-gap transition (small: sharp)",
        ),
        "d1": ParamSpec(
            "d1", 0.0, 10.0, init=(0.8, 2.0),
            description="teacher/student learning-capacity ratio L_T/L_sup at the transition",
        ),
        "A": ParamSpec("A", 0.0, math.inf, init=(10.0, 1e5), init_scale="log",
                       description="student parameter-term amplitude (A' in the paper)"),
        "B": ParamSpec("B", 0.0, math.inf, init=(10.0, 1e5), init_scale="log",
                       description="distillation-token amplitude (B' in the paper)"),
        "alpha": ParamSpec("alpha", 0.0, 3.0, init=(0.1, 1.0),
                           description="student parameter exponent (alpha')"),
        "beta": ParamSpec("beta", 0.0, 3.0, init=(0.1, 1.0),
                          description="distillation-token exponent (beta')"),
        "gamma": ParamSpec("gamma", 0.0, 3.0, init=(0.3, 1.5), description="outer exponent (gamma')"),
    },
    name="busbridge_distillation",
    description=(
        "Distillation scaling law (Eq. 8): student cross-entropy L_S from its size N, distillation "
        "tokens D, the teacher's cross-entropy L_T and the student's supervised cross-entropy L_sup "
        "= L(N, D) from busbridge_supervised. Tends to L_T for an infinitely capable student or a "
        "random teacher; a teacher much stronger than the student (L_T/L_sup below d1) helps less, "
        "the capacity gap. Pure distillation (lambda = 1, temperature 1). Target: student "
        "validation cross-entropy on C4, nats/token. Fit L_sup from the supervised law first. At the "
        "published constants the distillation-token term B/D^beta is ~0.3% of the student term, so "
        "(A, alpha, B, beta, gamma) are nearly redundant (D acts mainly through L_sup) and c1's "
        "bootstrap interval is degenerate (Table 6): expect an ill-conditioned fit on few runs."
    ),
    reference=f"{_REFERENCE}, Eq. 8, App. F.2 and Table 6",
    conventions={
        "N": f"student {_N}",
        "D": "tokens the student is distilled on",
        "L_T": "the teacher's validation cross-entropy (nats/token)",
        "L_sup": "the student's supervised cross-entropy L(N, D) from busbridge_supervised (nats/token)",
    },
    presets={
        # Table 6, distillation column (c1's bootstrap interval is degenerate: 522.6 to 522.6).
        "busbridge2025": {
            "c0": 2.549, "c1": 522.6, "f1": 0.090, "d1": 1.315, "A": 2243.0, "B": 24181.0,
            "alpha": 0.321, "beta": 0.637, "gamma": 0.764,
        },
    },
)

LAWS = (busbridge_supervised, busbridge_distillation)
