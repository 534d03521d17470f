"""Look laws up by name: ``"chinchilla"`` -> :class:`Law`. Users can register their own.

The catalog is built on first use, not at import: ``import scalinglaws`` and ``scalinglaws --help``
parse no formula.
"""

from __future__ import annotations

import difflib
from functools import cache

from scalinglaws.errors import LawSpecError
from scalinglaws.laws._law import Law

_REGISTERED: dict[str, Law] = {}
"""Laws registered by users (and catalog names they replaced), on top of the catalog."""


@cache
def _catalog() -> dict[str, Law]:
    from scalinglaws.laws.catalog import (
        architecture,
        core,
        curves,
        distillation,
        downstream,
        hparams,
        inference,
        mixtures,
        nd,
        posttraining,
        precision,
        schedules,
    )

    modules = (
        core, nd, curves, downstream, architecture, hparams, mixtures, schedules,
        inference, posttraining, distillation, precision,
    )
    return {law.name: law for module in modules for law in module.LAWS}


def _registry() -> dict[str, Law]:
    return {**_catalog(), **_REGISTERED}


def get_law(name: str) -> Law:
    """Return the catalog law called ``name``.

    Raises
    ------
    LawSpecError
        If no law has that name (the message suggests the closest names).
    """
    registry = _registry()
    try:
        return registry[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(registry), n=3)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise LawSpecError(
            f"`law` {name!r} is not in the catalog. Known laws: {', '.join(sorted(registry))}.{hint} "
            "To fit a formula, write it out, e.g. 'E + A*N**-alpha'."
        ) from None


def list_laws() -> tuple[Law, ...]:
    """Every registered law, in registration order."""
    return tuple(_registry().values())


def register_law(law: Law, *, replace: bool = False) -> None:
    """Add ``law`` to the registry under ``law.name``.

    Raises
    ------
    LawSpecError
        If the law has no name, or the name is taken and ``replace`` is false.
    """
    if not law.name:
        raise LawSpecError("`law` passed to register_law needs a `name`.")
    if law.name in _registry() and not replace:
        raise LawSpecError(f"a law named {law.name!r} is registered already; pass replace=True.")
    _REGISTERED[law.name] = law
