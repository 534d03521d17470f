"""Laws of loss in parameters, data and compute: Kaplan's single-variable trends, Muennighoff's
data-constrained law, Gadre's over-training law, Jin's average-parameter law, Henighan and Hestness,
Porian's compute-optimal model size and the Farseer surface.

(Just over 400 lines: one family, each law with its constants, conventions and the paper's numbers
beside it; splitting by paper would scatter the family across files.)"""

from __future__ import annotations

import math

from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec

_PF_DAY = 8.64e19
"""FLOP in one petaflop/s-day, the compute unit of Kaplan et al. (Sec. 1.2)."""

_KAPLAN = "Kaplan et al. 2020, arXiv:2001.08361"
_KAPLAN_N = "non-embedding parameters, N ~ 12 n_layer d_model^2 (Kaplan et al. Sec. 1.3, Eq. 2.1)"
_KAPLAN_LOSS = "test cross-entropy in nats/token (WebText2, GPT-2 BPE); constants do not transfer"


def _scale(name: str, lo: float, hi: float, description: str) -> ParamSpec:
    """A positive scale whose start grid spans decades."""
    return ParamSpec(name, 0.0, math.inf, init=(lo, hi), init_scale="log", description=description)


kaplan_n = Law.from_formula(
    "(N_c/N)**alpha_N",
    inputs=("N",),
    params={
        "N_c": _scale("N_c", 1e8, 1e16, "parameter scale: the loss is 1 nat at N = N_c (params)"),
        "alpha_N": ParamSpec("alpha_N", 0.0, 2.0, init=(0.01, 1.0), description="parameter exponent"),
    },
    name="kaplan_n",
    description=(
        "Kaplan L(N) = (N_c/N)^alpha_N: converged loss of a model of N non-embedding parameters "
        "trained on enough data (no irreducible term). Target: " + _KAPLAN_LOSS + "."
    ),
    reference=f"{_KAPLAN}, Eq. 1.1 and Table 5",
    conventions={"N": _KAPLAN_N},
    presets={"kaplan2020": {"N_c": 8.8e13, "alpha_N": 0.076}},
)

kaplan_d = Law.from_formula(
    "(D_c/D)**alpha_D",
    inputs=("D",),
    params={
        "D_c": _scale("D_c", 1e8, 1e16, "data scale: the loss is 1 nat at D = D_c (tokens)"),
        "alpha_D": ParamSpec("alpha_D", 0.0, 2.0, init=(0.01, 1.0), description="data exponent"),
    },
    name="kaplan_d",
    description=(
        "Kaplan L(D) = (D_c/D)^alpha_D: loss of a large model trained on D tokens with early "
        "stopping (no irreducible term). Target: " + _KAPLAN_LOSS + "."
    ),
    reference=f"{_KAPLAN}, Eq. 1.2 and Table 5",
    conventions={"D": "training tokens (dataset size)"},
    presets={"kaplan2020": {"D_c": 5.4e13, "alpha_D": 0.095}},
)

kaplan_c = Law.from_formula(
    f"(C_c*{_PF_DAY}/C)**alpha_C",
    inputs=("C",),
    params={
        "C_c": _scale("C_c", 1e3, 1e12, "compute scale in PF-days (1 PF-day = 8.64e19 FLOP)"),
        "alpha_C": ParamSpec("alpha_C", 0.0, 2.0, init=(0.01, 1.0), description="compute exponent"),
    },
    name="kaplan_c",
    description=(
        "Kaplan L(C) = (C_c/C)^alpha_C for compute-efficient training. C is read in FLOP and "
        "converted to PF-days inside the law, so C_c is in PF-days as printed. Preset "
        "'kaplan2020_min' is L(C_min) (compute at B << B_crit, Eq. 1.3); 'kaplan2020_fixed_batch' "
        "is the naive fit at a fixed batch size. Target: " + _KAPLAN_LOSS + "."
    ),
    reference=f"{_KAPLAN}, Eq. 1.3 and Table 5",
    conventions={
        "C": "training compute in FLOP, C ~ 6 N B S with N non-embedding (Kaplan Sec. 2.1)",
    },
    presets={
        "kaplan2020_min": {"C_c": 3.1e8, "alpha_C": 0.050},
        "kaplan2020_fixed_batch": {"C_c": 1.6e7, "alpha_C": 0.057},
    },
)

kaplan_ns = Law.from_formula(
    "(N_c/N)**alpha_N + (S_c/S)**alpha_S",
    inputs=("N", "S"),
    params={
        "N_c": _scale("N_c", 1e8, 1e16, "parameter scale (params)"),
        "alpha_N": ParamSpec("alpha_N", 0.0, 2.0, init=(0.01, 1.0), description="parameter exponent"),
        "S_c": _scale("S_c", 10.0, 1e6, "step scale (optimizer steps)"),
        "alpha_S": ParamSpec("alpha_S", 0.0, 3.0, init=(0.1, 2.0), description="step exponent"),
    },
    name="kaplan_ns",
    description=(
        "Kaplan L(N, S_min) = (N_c/N)^alpha_N + (S_c/S_min)^alpha_S: the learning curve of a model "
        "of N parameters after S_min steps at large batch. Convert steps S at batch B with "
        "S_min = S/(1 + B_crit(L)/B) (Eq. 5.4; see law kaplan_bcrit). Target: " + _KAPLAN_LOSS + "."
    ),
    reference=f"{_KAPLAN}, Eq. 1.6/5.6 and Table 3",
    conventions={
        "N": _KAPLAN_N,
        "S": "S_min, the optimizer steps the run would need at B >> B_crit (Eq. 5.4); fitted on all "
        "steps after warmup",
    },
    presets={"kaplan2020": {"N_c": 6.5e13, "alpha_N": 0.077, "S_c": 2.1e3, "alpha_S": 0.76}},
)

# N_opt(U) of the Chinchilla frontier for a budget spending U tokens, written in closed form:
# G^(1 + beta/alpha) * U^(beta/alpha) = (alpha*A/(beta*B))^(1/alpha) * U^(beta/alpha), which is the
# datablations README's D_to_N(U) = (U*G)^(beta/alpha)*G.
_U_N = "min(N, (alpha*A/(beta*B))**(1/alpha)*U**(beta/alpha))"

muennighoff = Law.from_formula(
    f"E + A/({_U_N}*(1 + R_N*(1 - exp(-max(N/{_U_N} - 1, 0)/R_N))))**alpha"
    " + B/(U*(1 + R_D*(1 - exp(-max(D/U - 1, 0)/R_D))))**beta",
    inputs=("N", "D", "U"),
    params={
        "E": ParamSpec("E", 0.0, math.inf, description="irreducible loss"),
        "A": _scale("A", 10.0, 1e4, "parameter-term amplitude (also sets the frontier N_opt(U))"),
        "alpha": ParamSpec("alpha", 0.0, 2.0, init=(0.1, 1.0), description="parameter exponent"),
        "beta": ParamSpec("beta", 0.0, 2.0, init=(0.1, 1.0), description="data exponent"),
        "B": _scale("B", 10.0, 1e5, "data-term amplitude (also sets the frontier N_opt(U))"),
        "R_N": ParamSpec(
            "R_N", 1e-3, 1e3, init=(1.0, 50.0), init_scale="log",
            description="R*_N: decay constant of the value of excess parameters; effective "
            "parameters saturate at U_N*(1 + R*_N)",
        ),
        "R_D": ParamSpec(
            "R_D", 1e-3, 1e3, init=(1.0, 50.0), init_scale="log",
            description="R*_D: decay constant (in epochs) of the value of repeated data; effective "
            "data saturate at U*(1 + R*_D)",
        ),
    },
    name="muennighoff",
    description=(
        "Muennighoff data-constrained law: Chinchilla's E + A/N'^alpha + B/D'^beta with effective "
        "data D' = U(1 + R*_D(1 - exp(-R_D/R*_D))), R_D = max(D/U - 1, 0) repeated epochs, and "
        "effective parameters N' = U_N(1 + R*_N(1 - exp(-R_N/R*_N))), U_N = min(N, N_opt(U)) "
        "with N_opt(U) the Chinchilla-frontier size for U tokens, R_N = N/U_N - 1. Target: final "
        "validation loss in nats/token (C4, GPT-2 tokenizer for the preset)."
    ),
    reference=(
        "Muennighoff et al. 2023, arXiv:2305.16264, Eq. 5; huggingface/datablations README "
        "(Parametric Fit) @ 13701315"
    ),
    conventions={
        "N": "parameters (GPT-2-style models; as counted by the datablations runs)",
        "D": "total training tokens, repeats included",
        "U": "unique training tokens (U <= D)",
    },
    presets={
        # datablations README `func`: a, b, e are logs of A, B, E; alpha = beta tied in the fit.
        "muennighoff2023": {
            "E": math.exp(0.6254804),
            "A": math.exp(6.255414),
            "alpha": 0.3526596,
            "beta": 0.3526596,
            "B": math.exp(7.3049974),
            "R_N": 5.309743,
            "R_D": 15.387756,
        },
    },
)

gadre_overtrain = Law.from_formula(
    "E + (a*M**eta + b*M**(-eta))*C**(-eta)",
    inputs=("C", "M"),
    params={
        "E": ParamSpec("E", 0.0, math.inf, description="irreducible loss"),
        "a": ParamSpec("a", 0.0, math.inf, description="amplitude of the parameter-limited term"),
        "b": ParamSpec("b", 0.0, math.inf, description="amplitude of the data-limited term"),
        "eta": ParamSpec(
            "eta", 0.0, 2.0, init=(0.02, 1.0),
            description="compute exponent; the Chinchilla form with alpha = beta = 2*eta",
        ),
    },
    name="gadre_overtrain",
    description=(
        "Gadre over-training law L(C, M) = E + (a M^eta + b M^-eta) C^-eta with token multiplier "
        "M = D/N: the Chinchilla form with equal exponents, rewritten with C = 6ND. Equal to the "
        "authors' code form E + alpha_c N^-2eta + beta_c 6^-eta (MN)^-2eta with a = alpha_c 6^eta, "
        "b = beta_c. Target: validation loss in nats/token (C4 eval in the paper's main fits)."
    ),
    reference=(
        "Gadre et al. 2024, arXiv:2403.08540, Sec. 3; mlfoundations/scaling scaling/laws.py "
        "(powlaw_ours) @ a003c491"
    ),
    conventions={
        "C": "training compute in FLOP, C = 6 N D",
        "M": "token multiplier D/N (Chinchilla-optimal is about 20)",
    },
)

jin_avg_params = Law.from_formula(
    "E + A/N_avg**alpha + B/D**beta",
    inputs=("N_avg", "D"),
    params={
        "E": ParamSpec("E", 0.0, math.inf, description="irreducible loss"),
        "A": ParamSpec("A", 0.0, math.inf, description="parameter-term amplitude"),
        "B": ParamSpec("B", 0.0, math.inf, description="data-term amplitude"),
        "alpha": ParamSpec("alpha", 0.0, 5.0, init=(0.05, 2.0), description="parameter exponent"),
        "beta": ParamSpec("beta", 0.0, 5.0, init=(0.05, 2.0), description="data exponent"),
    },
    name="jin_avg_params",
    description=(
        "Jin et al. Chinchilla law for pruned/sparsified pre-training, with N replaced by the "
        "average parameter count over training: L = E + A/N_avg^alpha + B/D^beta. Form from the "
        "abstract; no published constants are shipped."
    ),
    reference="Jin et al. 2025, 'The Journey Matters', ICLR 2025 (abstract; sparsellm.com)",
    conventions={
        "N_avg": "average parameter count over pre-training, (1/T) * integral of N(t) dt "
        "(whether the average runs over steps or tokens is not verified)",
        "D": "training tokens",
    },
)

alabdulmohsin_m4 = Law.from_formula(
    "(L - eps_inf)/(eps_0 - L)**alpha = beta*x**c",
    inputs=("x",),
    params={
        "eps_inf": ParamSpec("eps_inf", 0.0, math.inf, init=(0.0, 2.0), description="loss at infinite x"),
        "eps_0": ParamSpec(
            "eps_0", 0.0, math.inf, init=(1.0, 10.0), init_scale="log",
            description="loss at the start (random guessing), above every observed loss",
        ),
        "alpha": ParamSpec(
            "alpha", 0.0, 10.0, init=(0.1, 2.0), description="shape of the transition from eps_0"
        ),
        "beta": ParamSpec("beta", 0.0, math.inf, init=(1e-2, 1e3), init_scale="log", description="scale"),
        "c": ParamSpec("c", -5.0, 0.0, init=(-1.0, -0.05), description="scaling exponent (negative)"),
    },
    name="alabdulmohsin_m4",
    solve_for="L",
    bracket=("eps_inf", "eps_0"),
    description=(
        "Alabdulmohsin et al. estimator M4, an implicit law: the excess loss over eps_inf, divided by "
        "the remaining gap to eps_0 to the power alpha, is a power law in x: (L - eps_inf)/(eps_0 - "
        "L)^alpha = beta x^c. The loss L is solved from it between eps_inf and eps_0; alpha = 0 is a "
        "power law plus constant. The authors fit log-ratios by alternating least squares; here the loss "
        "itself is fitted like any law. Target: loss or error rate (lower is better)."
    ),
    reference=(
        "Alabdulmohsin, Neyshabur & Zhai 2022, 'Revisiting Neural Scaling Laws in Language and Vision', "
        "arXiv:2209.06640; google-research/google-research revisiting_neural_scaling_laws/methods/m4.py "
        "@ 1d4d2f1a"
    ),
    conventions={"x": "training data size (examples or tokens), or model size or compute"},
)

henighan = Law.from_formula(
    "L_inf + (x_0/x)**alpha",
    inputs=("x",),
    params={
        "L_inf": ParamSpec(
            "L_inf", 0.0, math.inf, description="irreducible loss, read as the entropy of the data"
        ),
        "x_0": _scale("x_0", 1.0, 1e12, "scale of x at which the reducible loss is 1 nat"),
        "alpha": ParamSpec("alpha", 0.0, 5.0, init=(0.02, 2.0), description="exponent"),
    },
    name="henighan",
    description=(
        "Henighan power law plus constant L(x) = L_inf + (x_0/x)^alpha, x = N or C; the reducible "
        "term is read as D_KL(true || model). Target: cross-entropy in nats of the domain. Form "
        "only: the per-domain constants are not verified, so none are shipped."
    ),
    reference="Henighan et al. 2020, arXiv:2010.14701 (abstract)",
    conventions={
        "x": "model parameters N (non-embedding) or training compute C, as in the paper",
    },
)

hestness = Law.from_formula(
    "alpha*m**beta_g",
    inputs=("m",),
    params={
        "alpha": ParamSpec("alpha", 0.0, math.inf, description="amplitude of the learning curve"),
        "beta_g": ParamSpec(
            "beta_g", -5.0, 0.0, init=(-1.0, -0.01),
            description="learning-curve exponent (negative; set by the problem domain)",
        ),
    },
    name="hestness",
    description=(
        "Hestness generalization error eps(m) = alpha m^beta_g in the power-law region of the "
        "learning curve (between the small-data and irreducible-error regions). Target: held-out "
        "generalization error or loss. Form only: the published exponents are not verified."
    ),
    reference="Hestness et al. 2017, arXiv:1712.00409 (abstract)",
    conventions={
        "m": "training-set size (examples, tokens or utterances, as the domain counts them)",
    },
)

hestness_model_size = Law.from_formula(
    "sigma*m**beta_p",
    inputs=("m",),
    params={
        "sigma": ParamSpec("sigma", 0.0, math.inf, description="amplitude"),
        "beta_p": ParamSpec(
            "beta_p", 0.0, 2.0, init=(0.05, 1.5),
            description="model-size exponent (below 1: sub-linear growth)",
        ),
    },
    name="hestness_model_size",
    description=(
        "Hestness best-fitting model size s(m) = sigma m^beta_p as a function of training-set "
        "size. Target: parameter count of the best-fitting model. Form only: the published "
        "exponents are not verified."
    ),
    reference="Hestness et al. 2017, arXiv:1712.00409 (abstract)",
    conventions={"m": "training-set size (examples)"},
)

# Porian et al.'s released fits (data/summary_df*.pickle.xz, fit_results['bs_median_weighted']),
# N*(C) = n_coef * C^n_exponent with C in FLOP: RefinedWeb, each correction added in turn.
_PORIAN_PRESETS = {
    "rw_kaplan_like": {"k": 4.2319659184965657e-08, "a": 0.8353000424913991},
    "rw_head_counted": {"k": 1.2701847832482018e-05, "a": 0.7064699122200796},
    "rw_short_warmup": {"k": 0.0014309165592833362, "a": 0.6020375267309686},
    "rw_matched_cosine": {"k": 0.0047692867893526685, "a": 0.5714947855747434},
    "rw_tuned": {"k": 0.11892648397493802, "a": 0.49689507817885203},
    "owt2_kaplan_like": {"k": 1.2849964079364733e-08, "a": 0.8635108173346319},
    "owt2_tuned": {"k": 0.046935346310548694, "a": 0.5184542057238083},
}

porian_n_opt = Law.from_formula(
    "k*C**a",
    inputs=("C",),
    params={
        "k": ParamSpec("k", 0.0, math.inf, description="coefficient (params per FLOP^a)"),
        "a": ParamSpec("a", 0.0, 2.0, init=(0.2, 1.2), description="compute-optimal exponent"),
    },
    name="porian_n_opt",
    description=(
        "Compute-optimal model size N*(C) = k C^a, fitted to IsoFLOP optima. Porian et al. show "
        "a moves from Kaplan's ~0.83 to Chinchilla's ~0.5 as the head is counted, warmup is "
        "shortened, cosine decay is matched to the budget and LR/batch/beta2 are tuned; one "
        "preset per setting (RefinedWeb 'rw_*', OpenWebText2 'owt2_*'). Target: N*, the "
        "IsoFLOP-optimal parameter count; in the '*_kaplan_like' presets N is non-embedding "
        "without the head, otherwise it includes the head (standard count)."
    ),
    reference=(
        "Porian et al. 2024, arXiv:2406.19146, Sec. 3-4; formll/resolving-scaling-law-discrepancies "
        "@ 0dc60d91, data/summary_df*.pickle.xz, fit_results['bs_median_weighted']"
    ),
    conventions={
        "C": "training compute in FLOP, C = 6 N D, with N counted as the target N*",
    },
    presets=_PORIAN_PRESETS,
)

_FARSEER = (
    "Li et al. 2025, 'Predictable Scale: Part II, Farseer', arXiv:2506.10972, Eq. 3 (form) and "
    "Eq. 15 (fitted law), App. F (N counts non-embedding parameters)"
)
_FARSEER_EQ15 = {
    "a1": -0.124, "alpha": 0.123, "b1": 0.424, "a2": 88.01, "beta": -0.1, "b2": -6.287,
    "a3": -0.021, "gamma": 0.169, "b3": -0.091,
}
"""Eq. 15 as printed (2-4 digits), with N in parameters; fitted on 201M-6.4B parameter models."""

def _farseer_levels_and_slopes(printed: dict[str, float]) -> dict[str, float]:
    """Eq. 15's (a, power, b) per term as the catalog's (c, g, power) with N in billions.

    Each term is exp(a N^power + b). With n = N/1e9 the amplitude becomes a' = a 1e9^power, and
    exp(a' n^power + b) = exp(c + g (n^power - 1)/power) with c = a' + b (the log-term at 1B) and
    g = a' power (its slope in log N at 1B): the same function, rewritten exactly.
    """
    values: dict[str, float] = {}
    for term, power in (("1", "alpha"), ("2", "beta"), ("3", "gamma")):
        amplitude = printed["a" + term] * 1e9 ** printed[power]
        values["c" + term] = amplitude + printed["b" + term]
        values["g" + term] = amplitude * printed[power]
        values[power] = printed[power]
    return values


_FARSEER_LI2025 = _farseer_levels_and_slopes(_FARSEER_EQ15)
"""Eq. 15 in the catalog's parameters (N in billions, levels and slopes at 1B)."""


def _farseer_term(term: str, power: str) -> str:
    return f"exp(c{term} + g{term}*((N/1e9)**{power} - 1)/{power})"


def _farseer_params(
    term: str, power: str, what: str, init: dict[str, tuple[float, float]]
) -> dict[str, ParamSpec]:
    return {
        f"c{term}": ParamSpec(
            f"c{term}", -50.0, 50.0, init=init["c"], description=f"log of {what} at N = 1B"
        ),
        f"g{term}": ParamSpec(
            f"g{term}", -50.0, 50.0, init=init["g"], description=f"slope of the log of {what} in log N at 1B"
        ),
        power: ParamSpec(power, -1.0, 1.0, init=init["power"], description=f"power of N in {what}"),
    }


farseer = Law.from_formula(
    f"{_farseer_term('3', 'gamma')} + {_farseer_term('2', 'beta')}*D**(-{_farseer_term('1', 'alpha')})",
    inputs=("N", "D"),
    params={
        **_farseer_params("1", "alpha", "the data exponent A(N)",
                          {"c": (-3.0, 0.0), "g": (-1.0, 0.5), "power": (0.05, 0.3)}),
        **_farseer_params("2", "beta", "the data coefficient B(N)",
                          {"c": (0.0, 10.0), "g": (-3.0, 0.5), "power": (-0.3, -0.02)}),
        **_farseer_params("3", "gamma", "the model term",
                          {"c": (-2.0, 1.0), "g": (-1.0, 0.5), "power": (0.05, 0.3)}),
    },
    name="farseer",
    description=(
        "Farseer L(N, D) = exp(a3 N^gamma + b3) + exp(a2 N^beta + b2) D^-exp(a1 N^alpha + b1): the "
        "data coefficient B(N) and the data exponent A(N) are stretched exponentials of N, so the "
        "law is not separable. Each term exp(a N^p + b) is written here as "
        "exp(c + g (n^p - 1)/p) with n = N/1e9: c is the log-term at 1B, g its slope in log N "
        "there. This is the same function (the preset is Eq. 15 exactly: a = g/p 1e9^-p, "
        "b = c - g/p), but its parameters stay finite as p -> 0, where the term becomes the power "
        "law e^c n^g (p = 0 itself is 0/0: fix p at 1e-6 for that law). In the paper's (a, p, b) "
        "that limit is a ridge to infinity (a -> +-inf, b -> -+inf), along which a fit crawls to "
        "its iteration limit or its bounds. The authors "
        "fit it piecewise (finite differences in D per N, then A(N) and B(N), then the N-only "
        "residual) and report that an end-to-end fit finds worse optima; here it is fitted end to "
        "end like any law. Target: bits per character (BPC) on the authors' validation set."
    ),
    reference=_FARSEER,
    conventions={
        "N": "non-embedding parameters (App. G: excluding embeddings extrapolates better)",
        "D": "training tokens (BPE vocabulary of 65,536)",
    },
    presets={"li2025": _FARSEER_LI2025},
)

LAWS = (
    kaplan_n,
    kaplan_d,
    kaplan_c,
    kaplan_ns,
    muennighoff,
    alabdulmohsin_m4,
    gadre_overtrain,
    jin_avg_params,
    henighan,
    hestness,
    hestness_model_size,
    porian_n_opt,
    farseer,
)
