"""Look laws up by name: ``"chinchilla"`` -> :class:`Law`. Users can register their own."""

from __future__ import annotations

from scalinglaws.errors import LawSpecError
from scalinglaws.laws._law import Law
from scalinglaws.laws.catalog import architecture, core, curves, hparams, mixtures, nd, schedules

_REGISTRY: dict[str, Law] = {
    law.name: law
    for module in (core, nd, curves, architecture, hparams, mixtures, schedules)
    for law in module.LAWS
}


def get_law(name: str) -> Law:
    """Return the catalog law called ``name``.

    Raises
    ------
    LawSpecError
        If no law has that name.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LawSpecError(
            f"`law` {name!r} is not in the catalog. Known laws: {', '.join(sorted(_REGISTRY))}. "
            "To fit a formula, write it out, e.g. 'E + A*N**-alpha'."
        ) from None


def list_laws() -> tuple[Law, ...]:
    """Every registered law, in registration order."""
    return tuple(_REGISTRY.values())


def register_law(law: Law, *, replace: bool = False) -> None:
    """Add ``law`` to the registry under ``law.name``.

    Raises
    ------
    LawSpecError
        If the law has no name, or the name is taken and ``replace`` is false.
    """
    if not law.name:
        raise LawSpecError("`law` passed to register_law needs a `name`.")
    if law.name in _REGISTRY and not replace:
        raise LawSpecError(f"a law named {law.name!r} is registered already; pass replace=True.")
    _REGISTRY[law.name] = law
