"""The ``scalinglaws`` command: thin adapters over the public API.

Every command calls the same functions a notebook user calls (``scalinglaws.fit``, ``FitResult.predict``,
``get_law``...). Only this package touches files and the console: results go to stdout, diagnostics to
stderr (see ``_console``), and exceptions become exit codes in one place (see ``_errors``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from scalinglaws.cli import compare, demo, fit, laws, observational, plot, predict, report, trust
from scalinglaws.cli import plan as plan_cli
from scalinglaws.cli._console import result
from scalinglaws.cli._errors import Command, ExitCodeGroup
from scalinglaws.cli.data import data_app

__all__ = ["app"]

app = typer.Typer(
    name="scalinglaws",
    cls=ExitCodeGroup,
    epilog="Start with `scalinglaws demo`; then `scalinglaws fit runs.csv --law chinchilla`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


def _version(value: bool) -> None:
    if value:
        from scalinglaws import __version__

        result(f"scalinglaws {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="On an unexpected error, print the full traceback (anywhere on the line)."
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Fit, trust, compare and use neural scaling laws.

    Exit codes:
    0 success;
    1 the fit is not converged under --strict, or the table has bad rows;
    2 usage, configuration or file error;
    101 internal error (rerun with --debug to see the traceback).
    """


app.command("demo", cls=Command, epilog=demo.EPILOG)(demo.demo_command)
app.command("laws", cls=Command, epilog=laws.EPILOG)(laws.laws_command)
app.command("fit", cls=Command, epilog=fit.EPILOG)(fit.fit_command)
app.command("predict", cls=Command, epilog=predict.EPILOG)(predict.predict_command)
app.command("backtest", cls=Command, epilog=trust.BACKTEST_EPILOG)(trust.backtest_command)
app.command("select", cls=Command, epilog=trust.SELECT_EPILOG)(trust.select_command)
app.command("report", cls=Command, epilog=report.EPILOG)(report.report_command)
app.command("plot", cls=Command, epilog=plot.EPILOG)(plot.plot_command)
app.command("plan", cls=Command, epilog=plan_cli.PLAN_EPILOG)(plan_cli.plan_command)
app.command("suggest", cls=Command, epilog=plan_cli.SUGGEST_EPILOG)(plan_cli.suggest_command)
app.command("isoflop", cls=Command, epilog=plan_cli.ISOFLOP_EPILOG)(plan_cli.isoflop_command)
app.command("observational", cls=Command, epilog=observational.EPILOG)(observational.observational_command)
app.command("compare", cls=Command, epilog=compare.EPILOG)(compare.compare_command)
app.add_typer(data_app, name="data")
