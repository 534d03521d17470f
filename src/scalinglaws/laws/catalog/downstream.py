"""Links from a model's loss to a bounded downstream metric (accuracy, error, pass rate).

These are the second step of a two-step prediction, (N, D) -> loss -> metric, chained with
``scalinglaws.chain``. The exponential-of-loss link of Gadre et al. (``Err = epsilon - k exp(-gamma L)``)
is the catalog law ``gadre_downstream`` (in :mod:`.curves`); this module adds the sigmoid link with a
floor and a ceiling, and its logit-space form.

- ``bhagia_sigmoid``: ``a/(1 + exp(-k (L - L_0))) + b``, fitted in metric space. The floor ``b`` is the
  random-chance score (hold it there with ``fixed={"b": chance}``); the ceiling is ``a + b``.
- ``logit_linear``: ``c_0 - c_1 L``, fitted to ``logit((metric - floor)/(ceiling - floor))`` (the
  column :func:`scalinglaws.downstream.logit_target` adds). It is the same sigmoid with known floor and
  ceiling, fitted in logit space: residuals are even across the whole range instead of shrinking to
  nothing near the floor and the ceiling, and the fit is a linear regression.
"""

from __future__ import annotations

import math

from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec

_BHAGIA = (
    "Bhagia et al. 2024, 'Establishing Task Scaling Laws via Compute-Efficient Model Ladders', "
    "arXiv:2412.04403, Eq. 2; allenai/OLMo-ladder src/scaling/fitting_functions.py (sigmoid_fit) "
    "@ 249cb179"
)

bhagia_sigmoid = Law.from_formula(
    "a/(1 + exp(-k*(L - L_0))) + b",
    inputs=("L",),
    params={
        "a": ParamSpec(
            "a", 0.0, math.inf, init=(0.1, 1.0),
            description="height: ceiling minus floor (the score of a perfect model is a + b)",
        ),
        "L_0": ParamSpec(
            "L_0", 0.0, math.inf, init=(0.5, 6.0), description="loss at the midpoint of the sigmoid"
        ),
        "k": ParamSpec(
            "k", -100.0, 100.0, init=(-20.0, 20.0),
            description="slope in the loss; negative for accuracy (it falls as the loss grows), "
            "positive for error",
        ),
        "b": ParamSpec(
            "b", 0.0, math.inf, init=(0.0, 0.5),
            description="floor: the score of a model at chance (e.g. 0.25 for 4-way multiple "
            "choice); fix it there with --fix b=0.25",
        ),
    },
    name="bhagia_sigmoid",
    description=(
        "Sigmoid link from loss to a bounded metric, Acc(L) = a/(1 + exp(-k (L - L_0))) + b, with "
        "floor b (random chance) and ceiling a + b: step 2 of the model-ladder two-step prediction. "
        "Target: a task metric such as accuracy. Fit it in linear space (--space linear), usually "
        "with the floor fixed at chance. UNVERIFIED: the formula is checked against the authors' "
        "code, but no published fit is reproduced (the ladder evaluations are not in the shared "
        "data)."
    ),
    reference=_BHAGIA,
    conventions={
        "L": "the model's loss on the task (Bhagia et al.: task loss, nats per token of the correct "
        "answer) or on a validation set",
    },
)

logit_linear = Law.from_formula(
    "c_0 - c_1*L",
    inputs=("L",),
    params={
        "c_0": ParamSpec("c_0", -math.inf, math.inf, init=(-20.0, 20.0), description="intercept"),
        "c_1": ParamSpec(
            "c_1", -math.inf, math.inf, init=(-20.0, 20.0),
            description="slope: how fast the logit of the metric falls per nat of loss (the "
            "sigmoid's -k)",
        ),
    },
    name="logit_linear",
    description=(
        "The sigmoid link fitted in logit space: logit((metric - floor)/(ceiling - floor)) = "
        "c_0 - c_1 L, i.e. metric = floor + (ceiling - floor) sigmoid(c_0 - c_1 L) = bhagia_sigmoid "
        "with a = ceiling - floor, b = floor, k = -c_1, L_0 = c_0/c_1. Target: the logit column made "
        "by scalinglaws.downstream.logit_target (fit with --space linear); chain it with "
        "link=Logit(floor, ceiling) to predict the metric itself. UNVERIFIED: no published fit "
        "in logit space is reproduced."
    ),
    reference=(
        f"{_BHAGIA} (the logit of its sigmoid); Ruan et al. 2024, arXiv:2405.10938, "
        "ryoungj/ObsScaling utils/data.py (apply_funcs 'logit') @ 4d6e1e43"
    ),
    conventions={"L": "the model's loss on the task or on a validation set (nats per token)"},
)

LAWS = (bhagia_sigmoid, logit_linear)
