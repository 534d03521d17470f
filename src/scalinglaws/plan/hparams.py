"""Recommended learning rate and batch size for a planned run (N parameters, D tokens), from a fitted
hyper-parameter law or a published preset, with the range over which that law was fitted.

Published laws (catalog ``laws/catalog/hparams.py``):

- Step Law (Li et al. 2025): eta_opt(N, D) = 1.79 N^-0.713 D^0.307, B_opt(D) = 0.58 D^0.571 tokens.
- DeepSeek LLM (2024): eta_opt(C) = 0.3118 C^-0.125, B_opt(C) = 0.2920 C^0.3271, with C = M*D and M the
  non-embedding FLOPs per token; here C = 6ND unless ``flops`` is given (6N approximates M when
  attention FLOPs are small against the weights').
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from scalinglaws.errors import ArgumentError, ExtrapolationWarning
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import DEFAULT_COST, Law, cost_model, get_law


@dataclass(frozen=True)
class Validity:
    """Input ranges a hyper-parameter law was fitted on (``nan`` where a bound is not known) and where
    they come from."""

    ranges: Mapping[str, tuple[float, float]]
    note: str


VALIDITY: Mapping[str, Validity] = {
    "steplaw_lr": Validity(
        {"N": (math.nan, 1e9), "D": (math.nan, 1e11)},
        "Step Law grids reach 1B parameters on 100B tokens (step-law.github.io, Fig. 1); the lower "
        "ends of the fitted range are not verified. N is believed to be non-embedding parameters.",
    ),
    "steplaw_batch": Validity(
        {"D": (math.nan, 1e11)},
        "Step Law grids reach 100B tokens (step-law.github.io, Fig. 1); the lower end is not verified.",
    ),
    "deepseek_lr": Validity(
        {"C": (1e17, 2e19)},
        "DeepSeek LLM Sec. 3.1: fitted on compute budgets 1e17 to 2e19 FLOPs (validated at 1e20); "
        "C = M*D with M the non-embedding FLOPs per token.",
    ),
    "deepseek_batch": Validity(
        {"C": (1e17, 2e19)},
        "DeepSeek LLM Sec. 3.1: fitted on compute budgets 1e17 to 2e19 FLOPs (validated at 1e20); "
        "batch size in tokens (unit as the paper's convention, not verified).",
    ),
}
"""Fitted ranges of the catalog's published hyper-parameter laws."""


@dataclass(frozen=True)
class HparamRecommendation:
    """Learning rate and batch size (tokens) for one planned run, where they come from, and whether the
    run lies inside the range each law was fitted on (``outside`` lists every input that does not)."""

    n_params: float
    n_tokens: float
    flops: float
    learning_rate: float
    batch_size: float
    lr_source: str
    batch_source: str
    lr_validity: str
    batch_validity: str
    outside: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_params": self.n_params, "n_tokens": self.n_tokens, "flops": self.flops,
            "learning_rate": self.learning_rate, "batch_size_tokens": self.batch_size,
            "lr_source": self.lr_source, "batch_source": self.batch_source,
            "lr_validity": self.lr_validity, "batch_validity": self.batch_validity,
            "outside": list(self.outside),
        }


def _evaluate(
    source: FitResult | Law | str, preset: str | None, values: Mapping[str, float], role: str
) -> tuple[float, str, str, list[str]]:
    function = "recommend_hparams"
    if isinstance(source, FitResult):
        law, params = source.law, source.params_for(None)
        ranges = dict(source.input_ranges)
        note = "range of the fitted data"
        label = f"fit of {law.label}"
    else:
        law = get_law(source) if isinstance(source, str) else source
        if preset is None:
            if not law.presets:
                raise ArgumentError(
                    f"`{role}` of {function}: law {law.label!r} has no published preset; pass a fit instead."
                )
            preset = next(iter(law.presets))
        if preset not in law.presets:
            raise ArgumentError(
                f"`{role}_preset` of {function} must be one of {sorted(law.presets)} for law "
                f"{law.label!r}. Got {preset!r} instead."
            )
        params = law.presets[preset]
        validity = VALIDITY.get(law.name)
        ranges = dict(validity.ranges) if validity else {}
        note = validity.note if validity else "fitted range not recorded"
        label = f"{law.label} ({preset})"
    unknown = [name for name in law.inputs if name not in values]
    if unknown:
        raise ArgumentError(
            f"`{role}` of {function} must be a law in N, D or C. Got {law.label!r} with inputs "
            f"{list(law.inputs)} instead."
        )
    value = float(law.predict(params, {n: np.array([values[n]]) for n in law.inputs})[0])
    outside = []
    for name in law.inputs:
        lo, hi = ranges.get(name, (math.nan, math.nan))
        x = values[name]
        if (not math.isnan(lo) and x < lo) or (not math.isnan(hi) and x > hi):
            outside.append(f"{role}: {name}={x:.3g} outside the fitted range [{lo:.3g}, {hi:.3g}]")
    return value, label, note, outside


def recommend_hparams(
    n_params: float,
    n_tokens: float,
    *,
    lr: FitResult | Law | str = "steplaw_lr",
    lr_preset: str | None = None,
    batch: FitResult | Law | str = "steplaw_batch",
    batch_preset: str | None = None,
    flops: float | None = None,
) -> HparamRecommendation:
    """Peak learning rate and batch size (tokens) for a run of ``n_params`` on ``n_tokens``.

    Parameters
    ----------
    lr, batch
        A fitted hyper-parameter law (FitResult) or a catalog law (``"steplaw_lr"``, ``"deepseek_lr"``;
        ``"steplaw_batch"``, ``"deepseek_batch"``) used with its preset (``lr_preset``/``batch_preset``,
        default the first published one).
    flops
        Compute of the run for laws in C; default 6 * n_params * n_tokens.

    Warns
    -----
    ExtrapolationWarning
        When the run lies outside the range a law was fitted on.

    Raises
    ------
    ValueError
        If ``n_params`` or ``n_tokens`` is not positive, a preset is unknown, or a law's inputs are not
        among N, D and C.
    """
    for name, value in (("n_params", n_params), ("n_tokens", n_tokens)):
        if not (math.isfinite(value) and value > 0):
            raise ArgumentError(f"`{name}` of recommend_hparams must be positive. Got {value!r} instead.")
    compute = float(cost_model(DEFAULT_COST).flops(n_params, n_tokens)) if flops is None else float(flops)
    values = {"N": float(n_params), "D": float(n_tokens), "C": compute}
    rate, lr_label, lr_note, lr_out = _evaluate(lr, lr_preset, values, "lr")
    size, batch_label, batch_note, batch_out = _evaluate(batch, batch_preset, values, "batch")
    outside = tuple(lr_out + batch_out)
    if outside:
        warnings.warn(
            "recommended hyper-parameters extrapolate: " + "; ".join(outside)
            + ". Treat them as a starting point for a small sweep. Silence with "
            "warnings.simplefilter('ignore', scalinglaws.ExtrapolationWarning).",
            ExtrapolationWarning,
            stacklevel=2,
        )
    return HparamRecommendation(
        n_params=float(n_params), n_tokens=float(n_tokens), flops=compute, learning_rate=rate,
        batch_size=size, lr_source=lr_label, batch_source=batch_label, lr_validity=lr_note,
        batch_validity=batch_note, outside=outside,
    )
