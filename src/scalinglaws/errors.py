"""Exceptions and warnings raised by scalinglaws.

Every error is a ``ToolkitError`` and also a builtin (``ValueError`` or ``RuntimeError``), so callers can
catch either.
"""

from __future__ import annotations


class ToolkitError(Exception):
    """Base class of every scalinglaws error."""


class ArgumentError(ToolkitError, ValueError):
    """An argument of a public function (or an option of a command) has a value it cannot take.

    ``argument`` names it and ``function`` the function it was passed to, so the command line can name
    its own option instead (``--train-fraction`` for ``train_fractions`` of ``backtest``). ``rule`` and
    ``value`` (when given) are the two halves of the message: "must be <rule>. Got <value> instead."
    """

    def __init__(
        self,
        message: str,
        *,
        argument: str | None = None,
        function: str | None = None,
        rule: str | None = None,
        value: object = None,
    ) -> None:
        super().__init__(message)
        self.argument = argument
        self.function = function
        self.rule = rule
        self.value = value


class DataError(ToolkitError, ValueError):
    """The input table cannot be used as it is: bad values, wrong types or missing columns."""


class SchemaError(DataError):
    """A column has the wrong type or an unknown role."""


class MissingColumnError(DataError):
    """A column the law or the command needs is absent from the table."""


class LawSpecError(ToolkitError, ValueError):
    """A law cannot be built: unparsable formula, bad bounds or a name clash."""


class FitError(ToolkitError, RuntimeError):
    """The fit produced no usable estimate."""


class NonFiniteFitError(FitError):
    """The objective is not finite at any start, so nothing could be fitted."""


class ConvergenceError(FitError):
    """Raised under ``strict=True`` when the fit status is not ``CONVERGED``."""


class ExecutorError(ToolkitError, RuntimeError):
    """Work sent to an executor (a Ray cluster) could not be run: the cluster cannot be reached, or a
    worker kept dying after its retries. (A missing Ray is an ``ImportError`` naming the extra.)"""


class ChunkError(ExecutorError):
    """A chunk of work run by an executor raised.

    ``index`` and ``name`` say which chunk (``name`` says what it held, e.g. ``"groups 64-95"``),
    ``cause`` is what it raised (also the ``__cause__``), and ``finished`` maps the index of every chunk
    that did finish to its result, so nothing that finished is lost.
    """

    def __init__(
        self, message: str, *, index: int, name: str, cause: BaseException, finished: dict[int, object]
    ) -> None:
        super().__init__(message)
        self.index = index
        self.name = name
        self.cause = cause
        self.finished = finished


class ToolkitWarning(UserWarning):
    """Base class of every scalinglaws warning."""


class ExtrapolationWarning(ToolkitWarning):
    """A prediction lies far outside the range of the fitted data."""


class IdentifiabilityWarning(ToolkitWarning):
    """Some parameters are weakly determined by the data."""
