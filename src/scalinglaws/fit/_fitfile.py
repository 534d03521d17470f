"""Check a parsed fit file before a :class:`FitResult` is built from it.

A fit file is user input: edited by hand, truncated, written by another version. Every problem becomes a
:class:`DataError` that names the entry (``params.E``, ``covariance``), what it must be and what it holds,
so that ``scalinglaws predict`` says what is wrong with the file instead of failing inside NumPy (or,
worse, predicting NaN from a NaN parameter without a word).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from scalinglaws.errors import DataError

REQUIRED = (
    "law", "params", "status", "message", "objective", "rss", "n_points", "n_params", "nfev", "n_starts",
    "n_converged", "starts", "covariance", "stderr", "config", "data_digest", "version", "groups",
    "input_ranges", "diagnostics", "bootstrap",
)
"""Entries every fit file has (later entries, such as ``optima``, have defaults)."""


def _bad(entry: str, rule: str, value: Any) -> DataError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return DataError(
        f"not a valid scalinglaws fit: `{entry}` must be {rule}. Got {shown} instead. The file is damaged "
        "or was edited; write it again with `scalinglaws fit ... --out FILE` (or `FitResult.save`)."
    )


def is_number(value: Any) -> bool:
    """A JSON number (after decoding, non-finite numbers are floats too); never a bool or a string."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(entry: str, value: Any, *, finite: bool = False) -> float:
    if not is_number(value):
        raise _bad(entry, "a number", value)
    if finite and not math.isfinite(value):
        raise _bad(entry, "a finite number", value)
    return float(value)


def _count(entry: str, value: Any) -> int:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        raise _bad(entry, "a whole number >= 0", value)
    return value


def _mapping(entry: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(entry, "an object", value)
    return value


def _matrix(entry: str, value: Any, size: int) -> None:
    if not (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == size
        and all(isinstance(row, Sequence) and not isinstance(row, str) and len(row) == size for row in value)
    ):
        rows = len(value) if isinstance(value, Sequence) else "?"
        raise _bad(entry, f"a {size} x {size} matrix (one row and column per parameter)",
                   f"{rows} rows" if isinstance(value, Sequence) else value)
    for i, row in enumerate(value):
        for j, x in enumerate(row):
            _number(f"{entry}[{i}][{j}]", x)


def check_keys(data: Mapping[str, Any]) -> None:
    """Raise a :class:`DataError` naming the entries a fit document lacks."""
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise DataError(
            f"not a valid scalinglaws fit: it lacks {missing}. The file is truncated or was edited; write "
            "it again with `scalinglaws fit ... --out FILE`."
        )


def check(data: Mapping[str, Any], names: Sequence[str], law_names: Sequence[str]) -> None:
    """Raise a :class:`DataError` naming the first entry of ``data`` (a decoded fit file) that is wrong.

    ``names`` are the display names the parameters must have (``A[g]`` in a grouped fit) and
    ``law_names`` the law's own parameter names.
    """
    check_keys(data)
    params = _mapping("params", data["params"])
    for name, value in params.items():
        if not is_number(value):
            raise _bad(f"params.{name}", "a number", value)
        if not math.isfinite(value):
            raise _bad(f"params.{name}", "a finite number (a fit never ends at NaN or infinity)", value)
    absent = [n for n in names if n not in params]
    if absent:
        raise DataError(
            f"not a valid scalinglaws fit: `params` lacks {absent}, which its law needs (it has "
            f"{list(params)}). The file is damaged or was edited; write it again with `scalinglaws fit`."
        )
    extra = [n for n in params if n not in names]
    if extra:
        raise _bad("params", f"exactly the parameters {list(names)}", sorted(params))
    for entry in ("objective", "rss"):
        _number(entry, data[entry])
    for entry in ("n_points", "n_params", "nfev", "n_starts", "n_converged"):
        _count(entry, data[entry])
    if data["stderr"] is not None:
        for name, value in _mapping("stderr", data["stderr"]).items():
            if name not in params:
                raise _bad("stderr", f"standard errors of parameters among {list(names)}", name)
            _number(f"stderr.{name}", value)
    if data["covariance"] is not None:
        _matrix("covariance", data["covariance"], len(names))
    if data.get("group_covariance") is not None:
        for group, block in _mapping("group_covariance", data["group_covariance"]).items():
            _matrix(f"group_covariance.{group}", block, len(law_names))
    for name, bounds in _mapping("input_ranges", data["input_ranges"]).items():
        entry = f"input_ranges.{name}"
        if not (isinstance(bounds, Sequence) and not isinstance(bounds, str) and len(bounds) == 2):
            raise _bad(entry, "a pair [lowest, highest]", bounds)
        lo, hi = (_number(entry, x) for x in bounds)
        if not lo <= hi:
            raise _bad(entry, "a pair [lowest, highest] with lowest <= highest", bounds)
    if data["groups"] is not None:
        for group, values in _mapping("groups", data["groups"]).items():
            for name in law_names:
                value = _mapping(f"groups.{group}", values).get(name)
                _number(f"groups.{group}.{name}", value, finite=True)
    boot = data["bootstrap"]
    if boot is not None:
        boot = _mapping("bootstrap", boot)
        for key in ("param_names", "draws", "converged", "method", "seed", "residuals"):
            if key not in boot:
                raise _bad("bootstrap", f"an object with {key!r}", sorted(boot))
        if list(boot["param_names"]) != list(names):
            raise _bad("bootstrap.param_names", f"the fit's parameters {list(names)}", boot["param_names"])
        draws = boot["draws"]
        if not isinstance(draws, Sequence) or any(
            not isinstance(row, Sequence) or len(row) != len(names) for row in draws
        ):
            raise _bad("bootstrap.draws", f"rows of {len(names)} numbers, one row per resample", "rows of other lengths")
        if not isinstance(boot["converged"], Sequence) or len(boot["converged"]) != len(draws):
            raise _bad("bootstrap.converged", f"{len(draws)} true/false values, one per draw", boot["converged"])
