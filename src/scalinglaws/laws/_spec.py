"""``ParamSpec``: the bounds, start range and (optionally) fixed value of one law parameter."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from scalinglaws.errors import LawSpecError


@dataclass(frozen=True)
class ParamSpec:
    """Bounds and starting range of one parameter.

    Parameters
    ----------
    name
        The symbol used in the formula.
    lower, upper
        Bounds; ``-inf``/``inf`` for none. The fit never leaves them.
    init
        Range ``(lo, hi)`` that the start grid covers. Defaults to the bounds where both are finite,
        otherwise a range of width 2 next to the finite bound, otherwise ``(0, 2)``.
    init_scale
        ``"log"`` spaces the start grid geometrically (for break points and scales spanning decades).
    init_from
        Name of an input whose observed range replaces ``init`` at fit time (for a break point that
        lies somewhere inside the data).
    description
        What the parameter means, shown by ``scalinglaws laws NAME``.
    fixed
        Hold the parameter at this value (inside the bounds): it is not fitted, has no standard error,
        and every output marks it as fixed (``--fix NAME=VALUE``).
    """

    name: str
    lower: float = -math.inf
    upper: float = math.inf
    init: tuple[float, float] | None = None
    init_scale: Literal["linear", "log"] = "linear"
    init_from: str | None = None
    description: str = ""
    fixed: float | None = None

    def __post_init__(self) -> None:
        if not self.lower < self.upper:
            raise LawSpecError(
                f"bounds of parameter `{self.name}` must satisfy lower < upper. "
                f"Got ({self.lower}, {self.upper}) instead."
            )
        if self.fixed is not None:
            if not (math.isfinite(self.fixed) and self.lower <= self.fixed <= self.upper):
                raise LawSpecError(
                    f"fixed value of parameter `{self.name}` must be finite and inside its bounds "
                    f"[{self.lower}, {self.upper}]. Got {self.fixed!r} instead. Widen the bounds "
                    "(`--param`) or fix it at another value."
                )
            return
        lo, hi = self.init_range
        if not (math.isfinite(lo) and math.isfinite(hi) and self.lower <= lo <= hi <= self.upper):
            raise LawSpecError(
                f"initial range of parameter `{self.name}` must be finite and inside its bounds "
                f"[{self.lower}, {self.upper}]. Got ({lo}, {hi}) instead."
            )
        if self.init_scale == "log" and lo <= 0 and self.init_from is None:
            raise LawSpecError(
                f"initial range of parameter `{self.name}` must be positive for init_scale='log'. "
                f"Got ({lo}, {hi}) instead."
            )

    @property
    def init_range(self) -> tuple[float, float]:
        if self.fixed is not None:
            return (float(self.fixed), float(self.fixed))
        if self.init is not None:
            return (float(self.init[0]), float(self.init[1]))
        finite_lower, finite_upper = math.isfinite(self.lower), math.isfinite(self.upper)
        if finite_lower and finite_upper:
            return (self.lower, self.upper)
        if finite_lower:
            return (self.lower, self.lower + 2.0)
        if finite_upper:
            return (self.upper - 2.0, self.upper)
        return (0.0, 2.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lower": float(self.lower),
            "upper": float(self.upper),
            "init": list(self.init) if self.init is not None else None,
            "init_scale": self.init_scale,
            "init_from": self.init_from,
            "description": self.description,
            **({} if self.fixed is None else {"fixed": self.fixed}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParamSpec:
        init = data.get("init")
        return cls(
            name=data["name"],
            lower=float(data["lower"]),
            upper=float(data["upper"]),
            init=(float(init[0]), float(init[1])) if init is not None else None,
            init_scale=data.get("init_scale", "linear"),
            init_from=data.get("init_from"),
            description=data.get("description", ""),
            fixed=None if data.get("fixed") is None else float(data["fixed"]),
        )
