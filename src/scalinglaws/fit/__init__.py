"""The fitting engine: knows laws and tables of columns, nothing about the console or plots.

``scalinglaws.fit`` is this package and, called, the function :func:`scalinglaws.fit.api.fit`: the
package object is callable, so ``sl.fit(runs, "chinchilla")``, ``import scalinglaws.fit.api`` and
``import scalinglaws.fit as engine`` all mean what they say. Its names load on first use, so reading
``scalinglaws.fit.config`` (as the command line does to build its options) loads no solver.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from scalinglaws import _lazy

if TYPE_CHECKING:
    from scalinglaws.fit.api import bootstrap, fit, load, profile
    from scalinglaws.fit.config import FitConfig, FitOptions
    from scalinglaws.fit.covariance import FitStatus
    from scalinglaws.fit.layout import ParamLayout
    from scalinglaws.fit.result import FitResult

__all__ = [
    "FitConfig",
    "FitOptions",
    "FitResult",
    "FitStatus",
    "ParamLayout",
    "bootstrap",
    "fit",
    "load",
    "profile",
]

__getattr__, __dir__ = _lazy.attributes(__name__, globals(), {
    "FitConfig": "scalinglaws.fit.config",
    "FitOptions": "scalinglaws.fit.config",
    "FitResult": "scalinglaws.fit.result",
    "FitStatus": "scalinglaws.fit.covariance",
    "ParamLayout": "scalinglaws.fit.layout",
    "bootstrap": "scalinglaws.fit.api",
    "fit": "scalinglaws.fit.api",
    "load": "scalinglaws.fit.api",
    "profile": "scalinglaws.fit.api",
})


class _CallableModule(types.ModuleType):
    """This package, callable as :func:`scalinglaws.fit.api.fit`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from scalinglaws.fit.api import fit as fit_function

        return fit_function(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
