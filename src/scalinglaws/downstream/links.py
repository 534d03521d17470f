"""The logit link of a bounded metric: fit a law in logit space, predict the metric itself.

A metric bounded by a floor (random chance) and a ceiling (a perfect score) is often fitted in logit
space: ``z = logit((metric - floor)/(ceiling - floor))`` is unbounded, and a sigmoid link becomes a
line in it (the catalog law ``logit_linear``). :func:`logit_target` adds that column to a table, refusing
scores at or beyond the bounds (their logit is infinite) instead of clipping them; :class:`Logit`
maps predictions (and, being monotone, interval ends) back to the metric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy.special import expit, logit

from scalinglaws.data._rows import bad_rows, describe_rows
from scalinglaws.data.io import read_runs
from scalinglaws.errors import ArgumentError, DataError, MissingColumnError


@dataclass(frozen=True)
class Logit:
    """``z = logit((y - floor)/(ceiling - floor))`` and back: ``y = floor + (ceiling - floor) sigmoid(z)``.

    Raises
    ------
    ArgumentError
        If the bounds are not finite with ``floor < ceiling``.
    """

    floor: float = 0.0
    ceiling: float = 1.0

    def __post_init__(self) -> None:
        try:
            ok = math.isfinite(self.floor) and math.isfinite(self.ceiling) and self.floor < self.ceiling
        except TypeError:
            ok = False
        if not ok:
            raise ArgumentError(
                "`floor` and `ceiling` of Logit must be finite numbers with floor < ceiling. "
                f"Got floor={self.floor!r}, ceiling={self.ceiling!r} instead.",
                argument="floor", function="Logit",
            )

    @property
    def label(self) -> str:
        return f"logit (floor {self.floor:g}, ceiling {self.ceiling:g})"

    def forward(self, values: Any) -> np.ndarray:
        """The logit of the normalised metric; infinite or NaN outside ``(floor, ceiling)``."""
        with np.errstate(all="ignore"):
            return np.asarray(logit((np.asarray(values, dtype=float) - self.floor) / (self.ceiling - self.floor)))

    def inverse(self, values: Any) -> np.ndarray:
        """The metric of a logit value (increasing, so interval ends map to interval ends)."""
        return self.floor + (self.ceiling - self.floor) * np.asarray(expit(np.asarray(values, dtype=float)))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "logit", "floor": self.floor, "ceiling": self.ceiling}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Logit:
        if data.get("kind") != "logit":
            raise DataError(f"unknown link {data.get('kind')!r} in a chain file; this version knows 'logit'.")
        return cls(float(data["floor"]), float(data["ceiling"]))


def logit_target(
    data: Any, column: str, floor: float = 0.0, ceiling: float = 1.0, *, name: str | None = None
) -> tuple[pl.DataFrame, str]:
    """Add ``logit((column - floor)/(ceiling - floor))`` as column ``name`` (default ``logit_<column>``).

    Returns the new table and a one-line record for ``fit(..., provenance=[record])``.

    Raises
    ------
    MissingColumnError
        If ``column`` is absent.
    DataError
        If some scores lie at or outside ``(floor, ceiling)`` (their logit is infinite), or are missing;
        the message names the rows. Drop or fix them explicitly first.
    ArgumentError
        If the bounds are not finite with ``floor < ceiling``.

    Examples
    --------
    >>> frame, note = logit_target({"acc": [0.3, 0.5, 0.9]}, "acc", floor=0.25)
    >>> [round(z, 3) for z in frame["logit_acc"]]
    [-2.639, -0.693, 1.466]
    """
    link = Logit(floor, ceiling)
    frame = read_runs(pl.DataFrame({k: np.asarray(x) for k, x in data.items()}) if isinstance(data, Mapping) else data)
    if column not in frame.columns:
        raise MissingColumnError(f"column {column!r} is missing. Available columns: {sorted(frame.columns)}.")
    out = name if name is not None else f"logit_{column}"
    values = pl.col(column).cast(pl.Float64)
    outside = values.is_null() | values.is_nan() | (values <= floor) | (values >= ceiling)
    n, rows, shown = bad_rows(frame, outside, column)
    if n:
        raise DataError(
            f"column {column!r}: {describe_rows(n, rows, shown)} lie at or outside ({floor:g}, {ceiling:g}) "
            "or are missing, where the logit is infinite or undefined. Drop those rows explicitly, or "
            "widen the floor and ceiling (the floor is the score of a model at chance)."
        )
    transformed = link.forward(frame[column].cast(pl.Float64).to_numpy())
    record = f"added {out} = {link.label} of {column}"
    return frame.with_columns(pl.Series(out, transformed, dtype=pl.Float64)), record
