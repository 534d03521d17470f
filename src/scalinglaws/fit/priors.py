"""Priors on parameters: borrow strength from published fits when a ladder is short.

A prior is normal on the parameter's value, ``N(mean, sd**2)``: given directly (``priors={"alpha":
(0.34, 0.05)}``, ``--prior alpha=0.34:0.05``) or taken from a catalog preset's published constants with
``sd = prior_width * |value|`` (``prior_from="chinchilla:hoffmann2022"``, ``--prior-from``). The fit
is then the MAP estimate inside the same engine: the prior's negative log density, converted into the
units of the robust objective (:func:`scalinglaws.fit.covariance.objective_weight`), is added to the
objective as a quadratic penalty; intervals come from the posterior precision (data plus prior).

:func:`report` says how much each prior was overridden by the data: the estimate's shift in prior
standard deviations, and the data's share of the posterior precision (0: the prior alone; 1: the
data alone).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from scalinglaws.errors import LawSpecError
from scalinglaws.fit._problem import Prior, Problem
from scalinglaws.fit.config import FitConfig
from scalinglaws.laws import Law, get_law


def resolve(law: Law, config: FitConfig) -> dict[str, tuple[float, float]]:
    """The priors of a fit by parameter name: the preset's (when ``prior_from``), then the explicit ones.

    Raises
    ------
    LawSpecError
        If a prior names a parameter the law does not have, the preset does not exist, or it shares no
        parameter with the law.
    """
    priors: dict[str, tuple[float, float]] = {}
    if config.prior_from is not None:
        name, _, preset = config.prior_from.partition(":")
        source = get_law(name)
        if preset not in source.presets:
            raise LawSpecError(
                f"`prior_from` {config.prior_from!r}: law {name!r} has no preset {preset!r}; its presets are "
                f"{sorted(source.presets) or 'none'}."
            )
        values = source.presets[preset]
        shared = [n for n in law.param_names if n in values]
        if not shared:
            raise LawSpecError(
                f"`prior_from` {config.prior_from!r} shares no parameter with law {law.label!r} "
                f"({list(law.param_names)}); the preset gives {sorted(values)}."
            )
        for n in shared:
            priors[n] = (float(values[n]), config.prior_width * max(abs(float(values[n])), 1e-12))
    unknown = [n for n in config.priors if n not in law.param_names]
    if unknown:
        raise LawSpecError(
            f"`priors` name {unknown}, which are not parameters of law {law.label!r} ({list(law.param_names)})."
        )
    priors.update(config.priors)
    held = [n for n in priors if law.spec(n).fixed is not None]
    if held:
        raise LawSpecError(f"parameter(s) {held} are fixed and have a prior; drop one of the two.")
    return priors


def build(problem: Problem, priors: Mapping[str, tuple[float, float]], weight: float) -> Prior:
    """The prior of ``problem``: every copy of a parameter (one per group) gets the parameter's prior."""
    index, mean, sd = [], [], []
    for j, name in enumerate(problem.law.param_names):
        if name not in priors:
            continue
        for position in sorted({int(block.index[j]) for block in problem.blocks}):
            index.append(position)
            mean.append(priors[name][0])
            sd.append(priors[name][1])
    sd_array = np.array(sd, dtype=float)
    return Prior(np.array(index, dtype=int), np.array(mean, dtype=float), sd_array, weight / sd_array**2)


@dataclass(frozen=True)
class PriorEffect:
    """How far the data moved one parameter from its prior."""

    name: str
    mean: float
    sd: float
    estimate: float
    shift: float
    """(estimate - mean) / sd."""
    data_share: float | None
    """1 - posterior variance / prior variance: 0 when the prior alone sets it, 1 when the data do."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "mean": self.mean, "sd": self.sd, "estimate": self.estimate,
            "shift": self.shift, "data_share": self.data_share,
        }


def report(
    priors: Mapping[str, tuple[float, float]],
    params: Mapping[str, float],
    stderr: Mapping[str, float] | None,
    names: Mapping[str, str],
) -> tuple[PriorEffect, ...]:
    """One :class:`PriorEffect` per prior and fitted copy (``names``: display name -> law parameter)."""
    out = []
    for display, base in names.items():
        if base not in priors:
            continue
        mean, sd = priors[base]
        se = None if stderr is None else stderr.get(display)
        share = None if se is None or not math.isfinite(se) else max(0.0, 1.0 - (se / sd) ** 2)
        out.append(PriorEffect(display, mean, sd, params[display], (params[display] - mean) / sd, share))
    return tuple(out)
