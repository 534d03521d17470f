"""Architecture-specific laws: parallel scaling (ParScale), vocabulary size (Tao et al.), fine-grained
mixture of experts (Krajewski et al.) and low-bit quantization (Ouyang et al.)."""

from __future__ import annotations

import math

from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec

_TAO = (
    "Tao et al. 2024, 'Scaling Laws with Vocabulary', arXiv:2407.13623; sail-sg/scaling-with-vocab "
    "@ 6701cc20"
)

parscale = Law.from_formula(
    "E + (A*1e9/(N*(k*log(P) + 1)))**alpha",
    inputs=("N", "P"),
    params={
        "E": ParamSpec("E", 0.0, math.inf, description="irreducible loss"),
        "A": ParamSpec(
            "A", 0.0, math.inf, init=(1e-3, 10.0), init_scale="log",
            description="parameter scale in billions of non-embedding parameters",
        ),
        "alpha": ParamSpec("alpha", 0.0, 3.0, init=(0.02, 1.0), description="parameter exponent"),
        "k": ParamSpec(
            "k", 0.0, 5.0, init=(0.05, 1.0),
            description="gain per log-stream: P streams act like N*(1 + k ln P) parameters",
        ),
    },
    name="parscale",
    description=(
        "Parallel scaling law L(N, P) = E + (A 1e9/(N (k ln P + 1)))^alpha: P parallel streams "
        "multiply the effective parameter count by 1 + k ln P. Target: loss in nats/token."
    ),
    reference=(
        "Chen et al. 2025, 'Parallel Scaling Law for Language Models' (ParScale); QwenLM/ParScale "
        "parametric_fit.py @ cd6acb48"
    ),
    conventions={
        "N": "non-embedding parameters",
        "P": "number of parallel streams (P = 1 is the plain model)",
    },
    presets={
        # parametric_fit.py re-run: Huber(1e-3) on log L, L-BFGS-B from a 300-point grid.
        "stack_v2_python": {"E": 0.69124, "A": 0.011306, "alpha": 0.18937, "k": 0.39346},
        "pile": {"E": 1.28877, "A": 0.19735, "alpha": 0.19633, "k": 0.33446},
    },
)

tao_vocab_loss = Law.from_formula(
    "A1/N_nv**beta + A2/N_v**alpha2 + B/D_b**beta - E",
    inputs=("N_nv", "N_v", "D_b"),
    params={
        "A1": ParamSpec("A1", 0.0, math.inf, description="non-vocabulary parameter amplitude"),
        "A2": ParamSpec("A2", 0.0, math.inf, description="vocabulary parameter amplitude"),
        "B": ParamSpec("B", 0.0, math.inf, description="data amplitude"),
        "E": ParamSpec(
            "E", -math.inf, math.inf, init=(-2.0, 8.0),
            description="offset, entered with a minus sign as in the code (L_u is usually < 0)",
        ),
        "beta": ParamSpec(
            "beta", 0.0, 2.0, init=(0.1, 1.0),
            description="exponent shared by the non-vocabulary and data terms (alpha1 = beta)",
        ),
        "alpha2": ParamSpec("alpha2", 0.0, 2.0, init=(0.1, 1.0), description="vocabulary exponent"),
    },
    name="tao_vocab_loss",
    description=(
        "Tao vocabulary law (Approach 3): L_u = -E + A1/N_nv^beta + A2/N_v^alpha2 + B/D^beta "
        "with the non-vocabulary and data exponents tied. Target: unigram-normalised loss L_u "
        "(can be negative: fit with space='linear'). Inputs are in the code's scaled units; the "
        "preset only holds in them."
    ),
    reference=f"{_TAO}, approach3_isoloss.py",
    conventions={
        "N_nv": "non-vocabulary parameters in millions",
        "N_v": "vocabulary parameters V*d in millions, i.e. (V/1e3)*(d/1e3)",
        "D_b": "training tokens in billions as the code computes them: H_to_D(H/1e9, V/1e3), with "
        "H characters and the already-scaled V (a quirk to reproduce for the preset)",
    },
    presets={
        "tao2024": {
            "A1": 1.83139,
            "A2": 0.195842,
            "B": 2.12411,
            "E": 5.53278,
            "beta": 0.446606,
            "alpha2": 0.670737,
        },
    },
)

tao_nnv_opt = Law.from_formula(
    "k*C**a",
    inputs=("C",),
    params={
        "k": ParamSpec("k", 0.0, math.inf, description="coefficient"),
        "a": ParamSpec(
            "a", 0.0, 1.5, init=(0.2, 1.0), description="exponent (the authors fix it at 0.5)"
        ),
    },
    name="tao_nnv_opt",
    description=(
        "Tao compute-optimal non-vocabulary parameters N_nv_opt(C) = k C^a from IsoFLOP optima "
        "(Approach 1; the exponent is fixed at 0.5 in the paper). Target: N_nv."
    ),
    reference=f"{_TAO}, approach1_isoflops.py",
    conventions={"C": "training FLOP, 6 (N_nv + V d) H f(V) with H characters"},
    presets={"tao2024": {"k": math.exp(-2.48465), "a": 0.5}},
)

tao_nv_opt = Law.from_formula(
    "k*C**gamma",
    inputs=("C",),
    params={
        "k": ParamSpec("k", 0.0, math.inf, description="coefficient"),
        "gamma": ParamSpec("gamma", 0.0, 1.5, init=(0.2, 1.0), description="exponent"),
    },
    name="tao_nv_opt",
    description=(
        "Tao compute-optimal vocabulary parameters N_v_opt(C) = k C^gamma (Approach 1): "
        "vocabulary parameters grow slower than non-vocabulary ones. Target: N_v = V d."
    ),
    reference=f"{_TAO}, approach1_isoflops.py",
    conventions={"C": "training FLOP, 6 (N_nv + V d) H f(V) with H characters"},
    presets={"tao2024": {"k": math.exp(-1.58903), "gamma": 0.41636}},
)

krajewski_moe = Law.from_formula(
    "c + (g/G**gamma + a)/N**alpha + b/D**beta",
    inputs=("N", "D", "G"),
    params={
        "c": ParamSpec("c", 0.0, math.inf, init=(0.0, 2.0), description="irreducible loss"),
        "a": ParamSpec("a", 0.0, math.inf, description="parameter amplitude at infinite granularity"),
        "alpha": ParamSpec("alpha", 0.0, 2.0, init=(0.02, 0.5), description="parameter exponent"),
        "b": ParamSpec("b", 0.0, math.inf, description="data amplitude"),
        "beta": ParamSpec("beta", 0.0, 2.0, init=(0.02, 0.5), description="data exponent"),
        "g": ParamSpec("g", 0.0, math.inf, description="extra parameter amplitude of coarse experts"),
        "gamma": ParamSpec("gamma", 0.0, 5.0, init=(0.1, 2.0), description="granularity exponent"),
    },
    name="krajewski_moe",
    description=(
        "Fine-grained MoE law L(N, D, G) = c + (g/G^gamma + a)/N^alpha + b/D^beta (Eq. 9): "
        "Chinchilla's form in which only the parameter amplitude depends on the granularity G. "
        "Fitted with Huber (delta = 0.1) and BFGS at expansion rate E = 64. Target: loss in "
        "nats/token (C4)."
    ),
    reference=(
        "Krajewski, Ludziejewski et al. 2024, 'Scaling Laws for Fine-Grained Mixture of Experts', "
        "arXiv:2402.07871, Sec. 5, Eq. 9 and Table 1"
    ),
    conventions={
        "N": "total non-embedding parameters over all experts, d_model^2 (8E + 4) n_blocks (Sec. 6.1); "
        "an 'E x N_act' model has N = (8E + 4)/12 N_act",
        "D": "training tokens",
        "G": "granularity d_ff/d_expert (G = 1 is the standard MoE whose experts match the FFN)",
    },
    cost_required=(
        "N counts total parameters over all experts, d_model^2 (8E + 4) n_blocks, but a token only "
        "passes through 12 d_model^2 n_blocks of them, so 6*N*D over-charges by (8E + 4)/12 (43x at "
        "E = 64). Pass cost=scalinglaws.laws.moe_cost(expansion_rate=64) (6*N_active*D), or "
        "cost='6*N*D' to charge every expert on purpose."
    ),
    presets={
        # Table 1, MoE row (fitted at E = 64; the dense row is c + a/N^alpha + b/D^beta).
        "krajewski2024": {
            "c": 0.47, "a": 18.1, "alpha": 0.115, "b": 30.8, "beta": 0.147, "g": 2.1, "gamma": 0.58,
        },
    },
)

ouyang_qid = Law.from_formula(
    "k*D**beta/(N**alpha*P**gamma)",
    inputs=("N", "D", "P"),
    params={
        "k": ParamSpec("k", 0.0, math.inf, description="coefficient"),
        "alpha": ParamSpec("alpha", 0.0, 3.0, init=(0.05, 1.0), description="model-size exponent"),
        "beta": ParamSpec("beta", 0.0, 3.0, init=(0.1, 1.5), description="training-token exponent"),
        "gamma": ParamSpec("gamma", 0.0, 20.0, init=(1.0, 10.0), description="bit-width exponent"),
    },
    name="ouyang_qid",
    description=(
        "EXPERIMENTAL: the form and constants were not checked against the paper text. "
        "Quantization-induced degradation Delta_q L(N, D, P) = k D^beta/(N^alpha P^gamma), the rise in "
        "loss after low-bit post-training weight quantization (GPTQ on Pythia checkpoints). The "
        "abstract fixes the directions (grows with D, shrinks with N and bit width); the power-law "
        "product form is from secondary summaries that agree with each other. No preset: the fitted "
        "constants are unverified. Target: quantized minus 16-bit cross-entropy, in nats/token."
    ),
    reference=(
        "Ouyang et al. 2024, 'Low-Bit Quantization Favors Undertrained LLMs', arXiv:2411.17691 "
        "(ACL 2025), unified law; form from secondary sources"
    ),
    conventions={
        "N": "non-embedding parameters",
        "D": "training tokens of the 16-bit checkpoint",
        "P": "weight bit width after quantization (2, 3, 4, ...)",
    },
)

LAWS = (parscale, tao_vocab_loss, tao_nnv_opt, tao_nv_opt, krajewski_moe, ouyang_qid)
