"""Law discovery: search the forms published scaling laws are made of for the one that extrapolates
best, scored by nested leave-future-out error (no language model, no guesswork).

``scalinglaws.discover`` is this package and, called, the function :func:`scalinglaws.discover.api.discover`
(the package object is callable, as ``scalinglaws.fit`` is), so ``sl.discover(runs, target="loss")``
works. Modules, one job each: :mod:`.grammar` (the typed building blocks), :mod:`.enumeration` (the
seed forms by complexity), :mod:`.refinement` (mutate, add, prune, tie, combine), :mod:`.canonical`
(canonical forms, to merge equivalent forms), :mod:`.catalog` (catalog laws in the search and
equivalence to them), :mod:`.scoring` (nested leave-future-out scores and the ranking),
:mod:`.search` (the beam search under a time budget), :mod:`.result` (:class:`Discovery`).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from scalinglaws import _lazy

if TYPE_CHECKING:
    from scalinglaws.discover.api import discover
    from scalinglaws.discover.result import Discovery, Entry
    from scalinglaws.discover.search import SearchProgress

__all__ = ["Discovery", "Entry", "SearchProgress", "discover"]

__getattr__, __dir__ = _lazy.attributes(
    __name__,
    globals(),
    {
        "Discovery": "scalinglaws.discover.result",
        "Entry": "scalinglaws.discover.result",
        "SearchProgress": "scalinglaws.discover.search",
        "discover": "scalinglaws.discover.api",
    },
)


class _CallableModule(types.ModuleType):
    """This package, callable as :func:`scalinglaws.discover.api.discover`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from scalinglaws.discover.api import discover as discover_function

        return discover_function(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
