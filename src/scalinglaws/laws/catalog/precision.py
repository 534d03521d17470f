"""Precision laws (Kumar et al. 2024): effective parameters under low-precision training, and the loss
added by post-training quantization.

Kumar, Ankner, Spector, Bordelon, Muennighoff, Paul, Pehlevan, Re and Raghunathan 2024, "Scaling Laws
for Precision", arXiv:2411.04330 (ICLR 2025):

- Finding 2 (Eq. 4): training weights, activations and KV cache in P_w, P_a, P_kv bits acts like a
  model of N_eff = N prod_x (1 - e^(-P_x/gamma_x)) parameters in Chinchilla's law
  L = A N_eff^-alpha + B D^-alpha + E (alpha = beta tied, App. K).
- Eq. 2: post-training quantization of a BF16-trained model to P_post bits adds
  delta_PTQ = C_T D^gamma_D / N^gamma_N e^(-P_post/gamma_post), which grows with the data.

App. K: "we include biases in our exponent fits ... a fit of the form e^(x/gamma_x) in the main text is
really computed with offset": each exponential carries an offset n_x, e^(n_x - P_x/gamma_x). With those
offsets the Table 2 constants give the paper's compute-optimal training precision of 7 bits (Finding 3,
"7-8 bits"); without them the optimum runs off to the lowest precision. The factor 1 - e^(n_x - P/gamma_x)
is positive only above P = n_x gamma_x bits (0.8 for weights, 3.1 for activations, 2.3 for the KV cache):
the paper's runs with P_a or P_kv <= 3 diverged and were not fitted (App. L).
"""

from __future__ import annotations

import math

from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec

_REFERENCE = (
    "Kumar, Ankner, Spector, Bordelon, Muennighoff, Paul, Pehlevan, Re and Raghunathan 2024, "
    "'Scaling Laws for Precision', arXiv:2411.04330 (ICLR 2025)"
)


def _sensitivity(part: str) -> ParamSpec:
    return ParamSpec(
        f"gamma_{part}", 0.0, 20.0, init=(0.5, 4.0),
        description=f"precision sensitivity of the {_PARTS[part]}: bits over which its factor saturates",
    )


def _offset(part: str) -> ParamSpec:
    return ParamSpec(
        f"n_{part}", -5.0, 5.0, init=(-1.0, 3.0),
        description=f"offset of the {_PARTS[part]}' exponential, e^(n - P/gamma) (App. K)",
    )


_PARTS = {"w": "weights", "a": "activations", "kv": "KV cache"}

_FACTOR = "(1 - exp(n_{0} - P_{0}/gamma_{0}))"

kumar_precision = Law.from_formula(
    "A*(N*" + "*".join(_FACTOR.format(p) for p in _PARTS) + ")**(-alpha) + B*D**(-alpha) + E",
    inputs=("N", "D", "P_w", "P_a", "P_kv"),
    params={
        "A": ParamSpec("A", 0.0, math.inf, init=(10.0, 1e5), init_scale="log",
                       description="parameter-term amplitude"),
        "B": ParamSpec("B", 0.0, math.inf, init=(10.0, 1e5), init_scale="log",
                       description="data-term amplitude"),
        "E": ParamSpec("E", 0.0, math.inf, init=(0.5, 4.0), description="irreducible loss"),
        "alpha": ParamSpec("alpha", 0.0, 2.0, init=(0.1, 1.0),
                           description="exponent of both N_eff and D (tied, App. K)"),
        **{name: spec for p in _PARTS for name, spec in
           ((f"gamma_{p}", _sensitivity(p)), (f"n_{p}", _offset(p)))},
    },
    name="kumar_precision",
    description=(
        "Low-precision training as fewer parameters (Finding 2, Eq. 4): L = A N_eff^-alpha + "
        "B D^-alpha + E with N_eff = N (1 - e^(n_w - P_w/gamma_w))(1 - e^(n_a - P_a/gamma_a))"
        "(1 - e^(n_kv - P_kv/gamma_kv)), integer quantization of the forward pass. The offsets n are "
        "App. K's exponent biases. Equal precisions P in training cost C = (6/16) N D P (Eq. 5). "
        "Target: final validation loss (Dolma), nats/token."
    ),
    reference=f"{_REFERENCE}, Eq. 3-5 and App. K, Table 2",
    conventions={
        "N": "non-embedding parameters (OLMo-style models, 30M-220M in the fits)",
        "D": "training tokens",
        "P_w": "bits of the weights in the quantized forward pass (integer type)",
        "P_a": "bits of the activations (> n_a gamma_a = 3.1 at the preset)",
        "P_kv": "bits of the attention KV cache (> 2.3 at the preset)",
    },
    presets={
        # App. K, Table 2 (integer-type fits with alpha = beta tied).
        "kumar2024": {
            "A": 4.299e3, "alpha": 0.4965, "B": 1.806e4, "E": 2.7648,
            "gamma_w": 2.6745, "n_w": 0.3037, "gamma_a": 2.2102, "n_a": 1.4072,
            "gamma_kv": 0.9578, "n_kv": 2.4185,
        },
    },
)

kumar_ptq = Law.from_formula(
    "C_T*D**gamma_D/N**gamma_N*exp(-P_post/gamma_post)",
    inputs=("N", "D", "P_post"),
    params={
        "C_T": ParamSpec("C_T", 0.0, math.inf, init=(1e-3, 10.0), init_scale="log",
                         description="degradation scale (Table 2's C_T times e^b, its offset)"),
        "gamma_D": ParamSpec("gamma_D", 0.0, 3.0, init=(0.1, 1.0),
                             description="growth of the degradation with training tokens"),
        "gamma_N": ParamSpec("gamma_N", 0.0, 3.0, init=(0.1, 1.0),
                             description="shrinkage of the degradation with model size"),
        "gamma_post": ParamSpec("gamma_post", 0.0, 10.0, init=(0.2, 3.0),
                                description="bits over which the degradation falls by e"),
    },
    name="kumar_ptq",
    description=(
        "Post-training-quantization degradation (Finding 1, Eq. 2): delta_PTQ = C_T D^gamma_D / "
        "N^gamma_N e^(-P_post/gamma_post) for models trained in BF16 and quantized with GPTQ; "
        "over-trained models degrade more, so beyond a critical data size more pretraining raises "
        "the loss after quantization (App. E.1). App. K's offset b of the exponential, e^(b - "
        "P/gamma), only rescales C_T, so it is folded into C_T (C_T = 0.0598 e^1.1277 at the preset). "
        "UNVERIFIED reading of the preset: Table 2 lists C_T, gamma_D, gamma_N and then an unlabelled "
        "'gamma' (0.5907) and 'b' (1.1277), read here as gamma_post and its offset. Target: loss "
        "after quantization minus loss before, nats/token."
    ),
    reference=f"{_REFERENCE}, Eq. 2, App. E.1 and App. K, Table 2",
    conventions={
        "N": "non-embedding parameters",
        "D": "training tokens of the BF16 checkpoint",
        "P_post": "bits the weights are quantized to after training (integer, GPTQ)",
    },
    presets={
        "kumar2024": {
            # C_T e^b with Table 2's C_T = 0.0598 and offset b = 1.1277.
            "C_T": 0.0598 * math.exp(1.1277), "gamma_D": 0.5068, "gamma_N": 0.3439,
            "gamma_post": 0.5907,
        },
    },
)

LAWS = (kumar_precision, kumar_ptq)
