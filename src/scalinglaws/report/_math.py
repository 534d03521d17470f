"""A law as math: LaTeX from its sympy expression, drawn to SVG by matplotlib's mathtext (no TeX, no network)."""

from __future__ import annotations

import base64
import io
import re

from scalinglaws.laws import Law, parse_formula


def law_latex(law: Law, target: str = "loss") -> str:
    """``L = E + A N^{-\\alpha} + ...``: the law's formula as LaTeX, with the target on the left."""
    import sympy

    if law.solve_for:  # an implicit law: its own equation
        lhs, rhs = (sympy.latex(parse_formula(side)) for side in law.formula.split("="))
        return f"{lhs} = {rhs}"
    left = "L" if target == "loss" else r"\mathrm{" + target.replace("_", r"\_") + "}"
    return f"{left} = {sympy.latex(law.compiled.expr)}"


def math_svg(latex: str, fontsize: float = 17.0) -> str | None:
    """The SVG text of ``latex`` drawn by mathtext, or None when matplotlib is missing or cannot draw it."""
    try:
        from matplotlib import mathtext
        from matplotlib.font_manager import FontProperties
    except ImportError:
        return None
    buffer = io.BytesIO()
    try:
        mathtext.math_to_image(
            f"${latex}$", buffer, prop=FontProperties(size=fontsize), format="svg"
        )
    except (ValueError, RuntimeError):  # a construct mathtext does not know (\begin{cases}, ...)
        return None
    text = buffer.getvalue().decode("utf-8")
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.DOTALL)


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
