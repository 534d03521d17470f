"""Results pickle: the read-only mappings they hold (``types.MappingProxyType``, which pickle cannot
store by itself) are stored as the dict they show and come back read-only.

So a fit, a bootstrap or a backtest can go to another process (``concurrent.futures``, joblib, the
report's figure worker) or a cache. The package root imports this module once.
"""

from __future__ import annotations

import copyreg
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


def read_only(items: dict[Any, Any]) -> Mapping[Any, Any]:
    """``items`` behind a read-only view (what an unpickled proxy becomes)."""
    return MappingProxyType(items)


def _reduce(mapping: Mapping[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return read_only, (dict(mapping),)


copyreg.pickle(MappingProxyType, _reduce)
