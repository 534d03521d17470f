"""Strict JSON, the one encoding of every document scalinglaws writes (fit files, ``--json`` outputs).

JSON has no NaN or infinity, and Python's ``json`` writes them anyway as the invalid literals ``NaN`` and
``Infinity`` unless told not to. Here a non-finite number is always the object ``{"$float": "inf"}``
(``"-inf"``, ``"nan"``), read back to the same float by :func:`decode`; ``null`` means "no value" (a
missing standard error, say), never a number. NumPy scalars and arrays become plain numbers and lists,
tuples become lists, and the output never contains ``NaN``/``Infinity`` (``allow_nan=False``), so any
strict parser reads it. The schemas in ``scalinglaws/schemas`` describe the non-finite object as
``#/$defs/nonfinite``.

Objects' ``to_dict`` methods return plain Python with floats as they are (infinite bounds, NaN draws);
whatever writes them as JSON goes through :func:`dumps`, and whatever reads them through :func:`loads`.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np

__all__ = ["NONFINITE_KEY", "decode", "dumps", "encode", "loads"]

NONFINITE_KEY = "$float"
"""The key of the object that stands for a non-finite number."""

_NAMES = {math.inf: "inf", -math.inf: "-inf"}


def _number(value: float) -> Any:
    if math.isfinite(value):
        return value
    return {NONFINITE_KEY: "nan" if math.isnan(value) else _NAMES[value]}


def encode(value: Any) -> Any:
    """``value`` as plain JSON types: non-finite floats as ``{"$float": ...}``, NumPy values as Python ones.

    Raises
    ------
    TypeError
        If ``value`` holds something JSON cannot represent (an arbitrary object).
    """
    if isinstance(value, enum.Enum):  # before str: a str-valued enum is a str too
        return encode(value.value)
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _number(float(value))
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return encode(value.tolist())
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON: {value!r}")


def decode(value: Any) -> Any:
    """The inverse of :func:`encode` on parsed JSON: ``{"$float": "inf"}`` objects become floats."""
    if isinstance(value, dict):
        if len(value) == 1 and NONFINITE_KEY in value and isinstance(value[NONFINITE_KEY], str):
            return float(value[NONFINITE_KEY])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def dumps(value: Any, *, indent: int | None = None) -> str:
    """One strict JSON document for ``value`` (see the module docstring)."""
    return json.dumps(encode(value), indent=indent, allow_nan=False)


def _reject(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON (a non-finite number is written {{\"$float\": ...}})")


def loads(text: str | bytes) -> Any:
    """Parse strict JSON (``NaN``/``Infinity`` literals are refused) and :func:`decode` it.

    Raises
    ------
    ValueError
        If ``text`` is not strict JSON (``json.JSONDecodeError`` is a ``ValueError``).
    """
    return decode(json.loads(text, parse_constant=_reject))


SCHEMAS = (
    "fit", "chain", "predict", "backtest", "select", "report", "plan", "suggest", "isoflop", "compare",
    "observational", "demo", "laws", "law", "data-validate", "data-describe", "data-import",
)
"""The JSON schemas shipped in ``scalinglaws/schemas`` (``<name>.schema.json``): the fit file and the
``--json`` output of each command (``common`` holds the pieces they share)."""


def schema(name: str) -> dict[str, Any]:
    """The JSON schema (draft 2020-12) ``name`` of :data:`SCHEMAS`, or ``"common"``.

    Raises
    ------
    ValueError
        If there is no schema of that name.
    """
    from importlib.resources import files

    if name not in (*SCHEMAS, "common"):
        raise ValueError(f"`name` of schema must be one of {list(SCHEMAS)}. Got {name!r} instead.")
    text = files("scalinglaws").joinpath("schemas", f"{name}.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate(document: Any, name: str) -> None:
    """Check a parsed document (as :func:`json.loads` gives it, not decoded) against schema ``name``.

    Needs the ``jsonschema`` package (``pip install "scalinglaws[test]"``).

    Raises
    ------
    jsonschema.ValidationError
        If the document does not follow the schema.
    ImportError
        If ``jsonschema`` is not installed.
    """
    try:
        import jsonschema
        from referencing import Registry, Resource
    except ImportError as exc:  # pragma: no cover - the test extra has it
        raise ImportError('validating JSON needs jsonschema: pip install "scalinglaws[test]"') from exc
    common = schema("common")
    registry = Registry().with_resource(common["$id"], Resource.from_contents(common))
    jsonschema.Draft202012Validator(schema(name), registry=registry).validate(document)
