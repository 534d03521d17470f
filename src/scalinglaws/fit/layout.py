"""The fitted parameter vector of a (possibly grouped) fit, as a structured value.

An ungrouped fit's vector is the law's parameters in order. A grouped fit has one copy of each
parameter per group, except the ``shared`` ones, which appear once: for groups ``a, b`` of Chinchilla
with shared ``alpha, beta`` the vector is ``E[a], A[a], B[a], alpha, beta, E[b], A[b], B[b]``. The
``"E[a]"`` spelling is a display name only: everything that needs a group's values asks the layout
(``position``, ``index``, ``group_values``), never parses a name back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from scalinglaws.errors import DataError


@dataclass(frozen=True)
class ParamLayout:
    """Law parameter names, group labels (None for an ungrouped fit) and the shared parameters."""

    law_names: tuple[str, ...]
    groups: tuple[str, ...] | None = None
    shared: tuple[str, ...] = ()

    @staticmethod
    def label(name: str, group: str | None) -> str:
        """The display name of ``name`` in ``group`` (``"A[pile]"``), or ``name`` when shared/ungrouped."""
        return name if group is None else f"{name}[{group}]"

    @cached_property
    def _table(self) -> tuple[tuple[str, ...], tuple[str, ...], dict[str | None, tuple[int, ...]]]:
        names: list[str] = []
        base: list[str] = []
        where: dict[str, int] = {}
        index: dict[str | None, tuple[int, ...]] = {}
        for group in [None] if self.groups is None else list(self.groups):
            positions = []
            for name in self.law_names:
                label = self.label(name, None if name in self.shared else group)
                if label not in where:
                    where[label] = len(names)
                    names.append(label)
                    base.append(name)
                positions.append(where[label])
            index[group] = tuple(positions)
        return tuple(names), tuple(base), index

    @property
    def names(self) -> tuple[str, ...]:
        """Display names of the vector's entries, in order."""
        return self._table[0]

    @property
    def base_names(self) -> tuple[str, ...]:
        """The law parameter each entry is a copy of."""
        return self._table[1]

    @property
    def size(self) -> int:
        return len(self.names)

    def index(self, group: str | None = None) -> np.ndarray:
        """Positions of the law's parameters (in law order) for ``group``.

        Raises
        ------
        DataError
            If the fit is grouped and ``group`` is not one of its groups.
        """
        table = self._table[2]
        if self.groups is None:
            return np.array(table[None], dtype=int)
        if group not in table:
            raise DataError(
                f"`group` must be one of the fitted groups {sorted(self.groups)}. Got {group!r} instead."
            )
        return np.array(table[group], dtype=int)

    def group_values(self, values: Mapping[str, Any] | Sequence[Any] | np.ndarray, group: str | None = None) -> dict[str, Any]:
        """The law's parameters of ``group`` by name, from values by display name or in vector order."""
        if isinstance(values, Mapping):
            return {n: values[self.names[i]] for n, i in zip(self.law_names, self.index(group), strict=True)}
        return {n: values[i] for n, i in zip(self.law_names, self.index(group), strict=True)}

    def blocks(self) -> list[tuple[str | None, np.ndarray]]:
        """``(group, positions)`` for every group in order (one ``(None, ...)`` when ungrouped)."""
        groups: list[str | None] = [None] if self.groups is None else list(self.groups)
        return [(g, self.index(g)) for g in groups]
