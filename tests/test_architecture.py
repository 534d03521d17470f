"""The shape of the package: one-way arrows between its parts, no shadowed modules, a light import.

The import graph is read from the source (every ``import`` statement, including those inside functions
and under ``TYPE_CHECKING``), so an arrow cannot hide in a lazy import.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import scalinglaws

SRC = Path(scalinglaws.__file__).resolve().parent

ROOT = "root"
"""The package's ``__init__`` and its private top-level helpers, which may import anything."""

BOTTOM = {"errors", "_validation", "_views", "_lazy", "executors"}
"""Modules every part may import: exceptions, argument rules, the notebook-view registry, lazy names,
where chunks of work run."""

ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "_validation": {"errors"},
    "_views": set(),
    "_lazy": set(),
    "_pickle": set(),
    "executors": {"errors"},
    "laws": {"errors", "_validation"},
    "schedules": {"errors"},
    "data": {"errors", "_validation", "schedules"},
    "fit": {"errors", "_validation", "_views", "laws", "data"},
    "trust": {"errors", "_validation", "_views", "laws", "data", "fit"},
    "discover": {"errors", "_validation", "laws", "data", "fit", "trust"},
    "plan": {"errors", "_validation", "laws", "data", "fit"},
    "downstream": {"errors", "_validation", "laws", "data", "fit"},
    "observational": {"errors", "_validation", "laws", "data", "fit"},
    "testing": {"errors", "laws", "data", "schedules"},
    "report": {"errors", "_validation", "_views", "laws", "data", "fit", "trust", "plan"},
    "cli": {"errors", "_validation", "laws", "data", "fit", "trust", "plan", "report", "testing", ROOT,
            "schedules", "downstream", "observational", "discover"},
}
"""Which parts each part may import: laws <- fit <- (trust, plan, discover) <- report <- cli, with data
below fit."""


def part_of(module: str) -> str:
    pieces = module.split(".")
    if pieces[0] != "scalinglaws":
        return ""
    if len(pieces) == 1:
        return ROOT
    return pieces[1]


def imports_of(path: Path, module: str) -> Iterator[str]:
    """Every scalinglaws module ``path`` imports (absolute form)."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            # ``from scalinglaws import fit`` imports the submodule scalinglaws.fit, not the root
            submodules = [f"{name}.{alias.name}" for alias in node.names]
            yield from submodules
            if not any((SRC.parent / m.replace(".", "/")).with_suffix(".py").is_file()
                       or (SRC.parent / m.replace(".", "/")).is_dir() for m in submodules):
                yield name


def source_modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC.parent).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def part_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    known = {m for m, _ in source_modules()}
    for module, path in source_modules():
        here = part_of(module)
        edges = graph.setdefault(here, set())
        for imported in imports_of(path, module):
            if imported not in known:
                continue
            there = part_of(imported)
            if there and there != here:
                edges.add(there)
    return graph


def test_parts_import_only_what_the_architecture_allows() -> None:
    graph = part_graph()
    allowed = {part: edges | (BOTTOM - {part}) if part not in BOTTOM else edges for part, edges in ALLOWED.items()}
    unexpected = {part: sorted(edges - allowed.get(part, set())) for part, edges in graph.items() if part != ROOT}
    unexpected = {p: e for p, e in unexpected.items() if e}
    assert not unexpected, f"imports against the architecture (part -> parts): {unexpected}"


def test_engine_trust_and_laws_never_import_the_renderer_or_the_cli() -> None:
    graph = part_graph()
    for part in ("fit", "laws", "trust"):
        assert not graph.get(part, set()) & {"report", "cli"}, part


def test_no_cycle_between_parts() -> None:
    graph = {p: e - {ROOT} for p, e in part_graph().items() if p != ROOT}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                pytest.fail(f"import cycle between parts: {' -> '.join([*path, node, nxt])}")
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_the_checker_sees_a_forbidden_arrow(tmp_path: Path) -> None:
    # The walk must see imports inside functions (the lazy ones), or the tests above prove nothing.
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from scalinglaws.report import render_report\n")
    assert "scalinglaws.report" in set(imports_of(source, "scalinglaws.fit.probe"))


def test_no_public_name_shadows_a_submodule() -> None:
    # `from scalinglaws.trust import backtest` must not be able to mean both a function and a module.
    # The one deliberate exception is `scalinglaws.fit`, a package that is callable as the fit function.
    clashes = []
    for info in pkgutil.walk_packages(scalinglaws.__path__, "scalinglaws."):
        if not info.ispkg:
            continue
        package = importlib.import_module(info.name)
        submodules = {m.name for m in pkgutil.iter_modules(package.__path__)}
        for name in getattr(package, "__all__", ()):
            if name in submodules and not isinstance(getattr(package, name), type(package)):
                clashes.append(f"{info.name}.{name}")
    root_modules = {m.name for m in pkgutil.iter_modules(scalinglaws.__path__)}
    clashes += [
        f"scalinglaws.{n}" for n in scalinglaws.__all__
        if n in root_modules and not isinstance(getattr(scalinglaws, n), type(scalinglaws))
    ]
    assert not clashes


JAX_MODULES = ("scalinglaws.laws._jax", "scalinglaws.fit._jax")
"""The only modules that import jax (the JAX backend's kernels); every other module runs without it."""


def third_party_imports(path: Path) -> Iterator[str]:
    """The top-level names of the modules ``path`` imports with absolute imports."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            yield node.module.split(".")[0]


def test_only_the_jax_backend_imports_jax() -> None:
    importers = {m for m, path in source_modules() if "jax" in set(third_party_imports(path))}
    assert importers, "the JAX backend's kernels import jax; the walk must see them"
    outside = sorted(m for m in importers if not m.startswith(JAX_MODULES))
    assert not outside, f"modules outside the JAX backend that import jax: {outside}"


def test_fit_is_the_engine_package_and_callable() -> None:
    import scalinglaws.fit as engine
    import scalinglaws.fit.api

    assert engine is scalinglaws.fit
    assert callable(engine)
    assert scalinglaws.fit.api.fit.__name__ == "fit"
    runs = scalinglaws.testing.synthetic_runs("power", n_runs=20, seed=0)
    assert engine(runs, "power").params == scalinglaws.fit.api.fit(runs, "power").params


HEAVY = ("sympy", "scipy", "matplotlib", "polars", "pandas", "rich", "typer", "jax")


@pytest.mark.parametrize("statement", ["import scalinglaws", "import scalinglaws.fit.config"])
def test_import_loads_no_heavy_module(statement: str) -> None:
    code = f"import sys; {statement}; print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_cli_help_loads_no_numeric_or_plotting_module() -> None:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom scalinglaws.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0, r.output\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sympy', 'scipy', 'matplotlib', 'polars'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout
