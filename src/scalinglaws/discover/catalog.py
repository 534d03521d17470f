"""The catalog in the search: every catalog law whose inputs can be mapped to the search's inputs, and
which of them a form is equivalent to.

A catalog input is mapped when a search input has its symbol, or reads the column the symbol reads
(``N`` -> ``n_params``). A catalog law with one generic input ``x`` (``power``, ``bnsl``,
``henighan``...) is bound to each scale input in turn (``power[x=D]``). Laws over histories of a
schedule and implicit laws are left out (they need inputs a run table does not have, and a root solve
per evaluation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scalinglaws.discover.canonical import canonical
from scalinglaws.discover.grammar import Input
from scalinglaws.laws import COLUMN_ALIASES, Law, list_laws

GENERIC_INPUT = "x"
"""The name catalog laws give an input that stands for any scale."""


@dataclass(frozen=True)
class Binding:
    """A catalog law with the column each of its inputs reads here."""

    law: Law
    mapping: Mapping[str, str]
    label: str

    @property
    def identity(self) -> str:
        return canonical(self.law.formula, self.mapping).identity


def bindings(inputs: Sequence[Input], laws: Sequence[Law] | None = None) -> list[Binding]:
    """Every catalog law (or every one of ``laws``) mapped onto ``inputs``, in catalog order."""
    by_column = {i.column: i for i in inputs}
    by_symbol = {i.symbol: i for i in inputs}
    out = []
    for law in list_laws() if laws is None else laws:
        if law.solve_for or law.compiled.history_inputs:
            continue
        mapped = {}
        for name in law.inputs:
            found = (
                by_symbol.get(name)
                or by_column.get(name)
                or by_column.get(COLUMN_ALIASES.get(name, ""))
            )
            if found is None:
                break
            mapped[name] = found
        if len(mapped) == len(law.inputs) and len({i.column for i in mapped.values()}) == len(
            mapped
        ):
            if _usable(law, mapped):
                out.append(Binding(law, {n: i.column for n, i in mapped.items()}, law.name))
            continue
        if law.inputs == (GENERIC_INPUT,):
            for i in inputs:
                if i.kind == "scale":
                    out.append(Binding(law, {GENERIC_INPUT: i.column}, f"{law.name}[x={i.symbol}]"))
    return out


def _usable(law: Law, mapped: Mapping[str, Input]) -> bool:
    """Whether the data are in the law's domain: inputs it takes powers or logs of are positive."""
    return all(mapped[n].low > 0 for n in law.positive_inputs)


def equivalents(identity: str, catalog: Sequence[Binding]) -> tuple[str, ...]:
    """Labels of the catalog laws whose canonical form is ``identity``."""
    return tuple(b.label for b in catalog if b.identity == identity)
