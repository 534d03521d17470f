"""``discover``'s argument rules, in a module light enough for the command line to read at start."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from scalinglaws import _validation as v

RULES: Mapping[str, v.Rule] = MappingProxyType(
    {
        "budget_s": v.positive(),
        "top": v.at_least(1),
        "seed": v.integer(),
        "max_candidates": v.at_least(1),
    }
)
"""The rule of each scalar argument of ``discover`` (also run by the CLI's option callbacks)."""
