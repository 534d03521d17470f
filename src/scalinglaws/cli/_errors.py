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
101  unexpected internal error (a bug); ``scalinglaws --debug ...`` (``--debug`` anywhere on the
     line) prints the traceback
130  interrupted (Ctrl-C); every file is written whole or not at all, so none is left half-written
==== =====================================================================================

Running out of memory is not a bug: it exits 2 with a message saying so (and how to need less).

Typer handles its own exceptions (usage errors exit 2, ``typer.Exit`` carries its code); every other
exception raised by any command, including those of sub-apps such as ``data``, reaches
:meth:`ExitCodeGroup.invoke` and is turned into a code by :func:`exit_code`.
"""

from __future__ import annotations

import traceback
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from scalinglaws.cli import _console
from scalinglaws.errors import (
    ArgumentError,
    ChunkError,
    DataError,
    FitError,
    LawSpecError,
    MissingColumnError,
    SchemaError,
    ToolkitError,
)

SUCCESS = 0
FAILURE = 1
USAGE = 2
INTERNAL = 101
INTERRUPTED = 130
"""The shell's code for a command ended by SIGINT (128 + 2)."""

_EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    # Order matters: the first class the exception is an instance of decides.
    (ArgumentError, USAGE),  # fix the command: an option's value
    (MissingColumnError, USAGE),  # fix the command: --map, --target, --weights, --group
    (SchemaError, USAGE),  # fix the file: a column that should hold numbers holds text
    (LawSpecError, USAGE),  # fix the command: --law, --param, --init, --shared
    (MemoryError, USAGE),  # ask for less: fewer resamples, a smaller table
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
    "target_flops": "compute",
    "budget": "spend",
    "separator": "separator",
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
    params = {
        p.name: p for p in getattr(command, "params", ())
        if getattr(p, "opts", None) and not getattr(p, "hidden", False)  # old spellings are hidden
    }
    for name in candidates:
        if name in params:
            opts = params[name].opts
            return str(max(opts, key=len))
    return None


def message_for(exc: Exception, command: Any) -> str:
    """The error line for an exception, naming the option for an argument error."""
    if isinstance(exc, MemoryError):
        from scalinglaws.data.io import available_memory

        free = available_memory()
        room = "" if free is None else f" ({free / 1e9:.1f} GB available now)"
        return (
            f"out of memory{room}: the command needs more memory than this machine has. Ask for less "
            "(fewer --bootstrap resamples, a smaller table, fewer budgets) or use a machine with more "
            "memory. This is not a bug in scalinglaws."
        )
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
    """The exit code for an exception that escaped a command (a failed chunk: that of its cause)."""
    if isinstance(exc, ChunkError) and isinstance(exc.cause, Exception):
        return exit_code(exc.cause)
    for kind, code in _EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return INTERNAL


_COMMAND = "scalinglaws.command"
"""Key in the (shared) click context ``meta`` of the command being run."""


def plain_flags(params: list[Any]) -> list[Any]:
    """Show on/off flags in help as the flag alone (``--json``), not ``--json <bool>``: typer gives
    every option a type label, which for a flag says nothing (it takes no value)."""
    for param in params:
        if getattr(param, "is_flag", False) and getattr(param, "metavar", None) is None:
            param.metavar = ""
    return params


class Command(TyperCommand):
    """A command whose help shows flags without a type label (see :func:`plain_flags`)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return plain_flags(super().get_params(ctx))


class CommandGroup(TyperGroup):
    """A command group that records which command it runs, so errors can name that command's flags."""

    def get_params(self, ctx: Any) -> list[Any]:
        return plain_flags(super().get_params(ctx))

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta[_COMMAND] = command
        return name, command, rest


DEBUG = "--debug"


def hoist_debug(args: list[str]) -> list[str]:
    """``--debug`` anywhere on the line (before a ``--``) moves to the front, where the top-level
    option lives: ``scalinglaws fit runs.csv --debug`` works like ``scalinglaws --debug fit runs.csv``."""
    end = args.index("--") if "--" in args else len(args)
    if DEBUG not in args[:end] or (args[:1] == [DEBUG] and DEBUG not in args[1:end]):
        return args
    return [DEBUG, *(a for i, a in enumerate(args) if not (a == DEBUG and i < end))]


class ExitCodeGroup(CommandGroup):
    """The top-level command group: runs a command, shows warnings and maps its errors to exit codes."""

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        import sys

        line = list(sys.argv[1:] if args is None else args)
        return super().main(hoist_debug(line), *rest, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        debug = bool(ctx.params.get("debug", False))
        try:
            with _console.warnings_to_stderr():
                return super().invoke(ctx)
        except _FRAMEWORK:
            raise
        except KeyboardInterrupt as exc:
            _console.error(
                "interrupted. Files are written whole or not at all, so no output was left half-written "
                "(an output that existed before is unchanged)."
            )
            raise typer.Exit(INTERRUPTED) from exc
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
