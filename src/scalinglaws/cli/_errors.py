"""Exit codes, and the one place where exceptions become them.

==== =====================================================================================
code meaning
==== =====================================================================================
0    success
1    the command ran but its result is not usable: the fit is not ``CONVERGED`` under
     ``--strict`` (:class:`ConvergenceError`), no start had a finite objective
     (:class:`NonFiniteFitError`), or the table has bad rows or values (:class:`DataError`)
2    usage, configuration or I/O error: a bad option value (typer's ``BadParameter``, or the
     library's :class:`ArgumentError`, reported under the option's name), a missing or unreadable
     file, an unknown law or unparsable formula (:class:`LawSpecError`), a column named by the
     command (or needed by the law) that the table lacks (:class:`MissingColumnError`)
101  unexpected internal error (a bug); ``scalinglaws --debug ...`` prints the traceback
==== =====================================================================================

Typer handles its own exceptions (usage errors exit 2, ``typer.Exit`` carries its code); every other
exception raised by any command, including those of sub-apps such as ``data``, reaches
:meth:`ExitCodeGroup.invoke` and is turned into a code by :func:`exit_code`.
"""

from __future__ import annotations

import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from scalinglaws.cli import _console
from scalinglaws.errors import (
    ArgumentError,
    DataError,
    FitError,
    LawSpecError,
    MissingColumnError,
    ToolkitError,
)

SUCCESS = 0
FAILURE = 1
USAGE = 2
INTERNAL = 101

_EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    # Order matters: the first class the exception is an instance of decides.
    (ArgumentError, USAGE),  # fix the command: an option's value
    (MissingColumnError, USAGE),  # fix the command: --map, --target, --weights, --group
    (LawSpecError, USAGE),  # fix the command: --law, --param, --init, --shared
    (DataError, FAILURE),  # fix the table: bad rows or values
    (FitError, FAILURE),  # the fit ran and gave no usable estimate
    (ToolkitError, FAILURE),
)


_CLICK_EXCEPTION: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)
"""click's ``ClickException``, the base of usage errors, wherever this typer keeps it: typer used click
until 0.2x and carries its own copy of it since (so ``import click`` is neither needed nor right)."""
_FRAMEWORK = (typer.Exit, typer.Abort, _CLICK_EXCEPTION)


OPTION_OF_ARGUMENT = {
    "mapping": "map_",
    "bounds": "param",
    "fixed": "fix",
    "train_fractions": "train_fraction",
    "n_boot": "bootstrap",
    "prob": "interval",
    "flops": "compute",
    "target_flops": "target_compute",
}
"""Library argument -> the command's parameter, where their names differ."""
OPTION_OF_FUNCTION_ARGUMENT = {("render_report", "target"): "at", ("target_columns", "target"): "at"}
"""The same for one function, where the argument's name means another flag elsewhere."""


def option_name(command: Any, function: str | None, argument: str | None) -> str | None:
    """The flag of ``command`` that carries the library's ``argument`` (``--train-fraction``)."""
    if command is None or argument is None:
        return None
    candidates = [
        OPTION_OF_FUNCTION_ARGUMENT.get((function or "", argument)),
        argument,
        OPTION_OF_ARGUMENT.get(argument),
    ]
    params = {p.name: p for p in getattr(command, "params", ()) if getattr(p, "opts", None)}
    for name in candidates:
        if name in params:
            opts = params[name].opts
            return str(max(opts, key=len))
    return None


def message_for(exc: Exception, command: Any) -> str:
    """The error line for an exception, naming the option for an argument error."""
    if isinstance(exc, ArgumentError):
        option = option_name(command, exc.function, exc.argument)
        if option is not None:
            if exc.rule is not None:
                detail = f"must be {exc.rule}. Got {exc.value!r} instead."
            else:
                detail = str(exc)
                for prefix in (f"`{exc.argument}` of {exc.function} ", f"`{exc.argument}` "):
                    if detail.startswith(prefix):
                        detail = detail[len(prefix) :]
                        break
            return f"Invalid value for '{option}': {detail}"
    return str(exc)


def exit_code(exc: Exception) -> int:
    """The exit code for an exception that escaped a command."""
    for kind, code in _EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return INTERNAL


_COMMAND = "scalinglaws.command"
"""Key in the (shared) click context ``meta`` of the command being run."""


class CommandGroup(TyperGroup):
    """A command group that records which command it runs, so errors can name that command's flags."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta[_COMMAND] = command
        return name, command, rest


class ExitCodeGroup(CommandGroup):
    """The top-level command group: runs a command, shows warnings and maps its errors to exit codes."""

    def invoke(self, ctx: Any) -> Any:
        debug = bool(ctx.params.get("debug", False))
        try:
            with _console.warnings_to_stderr():
                return super().invoke(ctx)
        except _FRAMEWORK:
            raise
        except Exception as exc:
            code = exit_code(exc)
            if debug:
                _console.stderr().print(
                    "".join(traceback.format_exception(exc)).rstrip(), markup=False
                )
            if code == INTERNAL:
                hint = (
                    "please report it with the traceback above"
                    if debug
                    else "rerun with `scalinglaws --debug ...` to see the traceback, and report it"
                )
                _console.error(
                    f"internal error: {type(exc).__name__}: {exc}. This is a bug in scalinglaws; {hint}."
                )
            else:
                _console.error(message_for(exc, ctx.meta.get(_COMMAND)))
            raise typer.Exit(code) from exc
