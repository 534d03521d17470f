"""Test-time compute laws: coverage (pass@k) against the number of samples k.

Brown et al. 2024 ("Large Language Monkeys", arXiv:2407.21787, Sec. 3.1, Eq. 2-3) model the log of
coverage (the fraction of problems solved by at least one of k samples) as a power law in k and
exponentiate it: ``coverage = exp(a * k**b)``, with a < 0 and b < 0 so that coverage rises towards 1.
Schaeffer et al. 2025 (arXiv:2502.17578) write the same curve as ``-log pass@k = a' k^(-b')``.

A verifier that cannot certify every correct answer (flaky or incomplete tests, a reward model or
majority vote picking among samples) caps the success rate below coverage: Brown et al. Sec. 4.1 find
such selection methods plateau after ~100 samples. ``brown_coverage_ceiling`` puts that cap on the
curve as a ceiling ``c``.
"""

from __future__ import annotations

from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec

_BROWN = (
    "Brown, Juravsky, Ehrlich, Clark, Le, Re and Mirhoseini 2024, 'Large Language Monkeys: Scaling "
    "Inference Compute with Repeated Sampling', arXiv:2407.21787, Sec. 3.1, Eq. 3"
)

_PARAMS = {
    "a": ParamSpec(
        "a", -50.0, 0.0, init=(-5.0, -0.05),
        description="log coverage at k = 1 (a = log pass@1; negative)",
    ),
    "b": ParamSpec(
        "b", -3.0, 0.0, init=(-1.0, -0.05),
        description="power-law exponent of log coverage in k (negative: coverage rises with k)",
    ),
}

_K = {"k": "number of independent samples (attempts) per problem, k >= 1"}

brown_coverage = Law.from_formula(
    "exp(a*k**b)",
    inputs=("k",),
    params=dict(_PARAMS),
    name="brown_coverage",
    description=(
        "Repeated-sampling coverage as an exponentiated power law: coverage(k) = exp(a k^b) with "
        "a, b < 0 (log coverage is a power law in the number of samples k; Brown et al. fit it with "
        "SciPy curve_fit on 40 log-spaced k per model and task). Target: coverage (pass@k) in (0, 1], "
        "e.g. from the unbiased pass@k estimator. UNVERIFIED constants: the paper shows its fits only "
        "as curves (Fig. 5, App. C), so no preset is shipped; the form is checked against Eq. 3 and "
        "the restatement -log pass@k = a' k^-b' of Schaeffer et al. 2025."
    ),
    reference=_BROWN,
    conventions=_K,
)

brown_coverage_ceiling = Law.from_formula(
    "c*exp(a*k**b)",
    inputs=("k",),
    params={
        **_PARAMS,
        "c": ParamSpec(
            "c", 0.0, 1.0, init=(0.2, 1.0),
            description="ceiling: the fraction of problems the verifier can certify as k grows",
        ),
    },
    name="brown_coverage_ceiling",
    description=(
        "Verifier-limited success rate: success(k) = c exp(a k^b), Brown et al.'s coverage curve "
        "capped at a ceiling c <= 1 (c = 1 is brown_coverage). The cap models selection that stops "
        "improving with more samples (majority vote and reward models plateau beyond ~100 samples, "
        "Brown et al. Sec. 4.1) or tests that reject some correct answers (Sec. 4.2). UNVERIFIED: the "
        "ceiling is this catalog's extension of Eq. 3, not a form the paper fits; there is no preset. "
        "Target: success rate in (0, 1]."
    ),
    reference=f"{_BROWN}; ceiling after Sec. 4.1-4.2 (plateauing verifiers)",
    conventions=_K,
)

LAWS = (brown_coverage, brown_coverage_ceiling)
