"""Report sections on what the fit says to do: the plan for given budgets, the compute-optimal frontier
(loss against compute, iso-loss contours, N* and D*), and an IsoFLOP analysis of the runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from scalinglaws.report import _html as h
from scalinglaws.report.figures import panels
from scalinglaws.report.sections._blocks import figure

if TYPE_CHECKING:
    from scalinglaws.fit.result import FitResult
    from scalinglaws.plan import Allocation, IsoFlopResult


def plan_section(plan: Allocation) -> str:
    """An allocation (``scalinglaws.plan``): N*, D* and loss per budget, with intervals when present."""
    intervals: Mapping[str, Any] = plan.intervals or {}
    header = ["compute (FLOPs)", "N*", "D*", "tokens / param", "predicted loss"]
    rows = []
    for i, c in enumerate(np.atleast_1d(plan.flops)):
        row = [h.number(c, 3)]
        for key in ("n_params", "n_tokens"):
            value = h.number(np.atleast_1d(getattr(plan, key))[i], 3)
            if key in intervals:
                lo, hi = intervals[key]
                value += (
                    f" <span class='sl-note'>[{h.number(np.atleast_1d(lo)[i], 3)}, "
                    f"{h.number(np.atleast_1d(hi)[i], 3)}]</span>"
                )
            row.append(value)
        row.append(h.number(np.atleast_1d(plan.n_tokens)[i] / np.atleast_1d(plan.n_params)[i], 3))
        loss = h.number(np.atleast_1d(plan.predicted_loss)[i], 4)
        if "predicted_loss" in intervals:
            lo, hi = intervals["predicted_loss"]
            loss += (
                f" <span class='sl-note'>[{h.number(np.atleast_1d(lo)[i], 4)}, "
                f"{h.number(np.atleast_1d(hi)[i], 4)}]</span>"
            )
        row.append(loss)
        rows.append(row)
    caption = f"Compute-optimal allocation under C = {h.esc(plan.cost)} ({h.esc(plan.method)})"
    if intervals:
        caption += f"; brackets: {h.percent(plan.prob, 0)} intervals ({h.esc(plan.interval_method or '')})"
    out = '<h2 id="plan">Plan</h2>' + h.table(header, rows, numeric=[True] * 5, caption=caption + ".")
    out += f"<p>N* \u221d C<sup>{plan.exponent_a:.3f}</sup>, D* \u221d C<sup>{plan.exponent_b:.3f}</sup>"
    if "exponent_a" in intervals:
        (a_lo, a_hi), (b_lo, b_hi) = intervals["exponent_a"], intervals["exponent_b"]
        out += f" (intervals [{float(a_lo):.3f}, {float(a_hi):.3f}] and [{float(b_lo):.3f}, {float(b_hi):.3f}])"
    return out + ".</p><p class='sl-note'>The frontier section draws these allocations over the whole range.</p>"


def frontier_section(
    result: FitResult, data: Any, frontier: Allocation, extent: Sequence[float], prob: float
) -> str:
    """Loss against compute with the frontier L*(C), iso-loss contours and N*(C), D*(C)."""
    lo, hi = extent
    band = (
        f" with its {prob:.0%} bootstrap interval (grey)" if "predicted_loss" in frontier.intervals
        else " (no bootstrap draws, so no interval)"
    )
    out = (
        '<h2 id="frontier">Compute-optimal frontier</h2>'
        f"<p>Over {h.number(lo, 2)} to {h.number(hi, 2)} FLOPs under C = {h.esc(frontier.cost)} "
        f"({h.esc(frontier.method)}): N* \u221d C<sup>{frontier.exponent_a:.3f}</sup>, "
        f"D* \u221d C<sup>{frontier.exponent_b:.3f}</sup>.</p>"
    )
    out += figure(
        partial(panels.compute_figure, result=result, data=data, flops=(lo, hi), prob=prob),
        (7.8, 4.8), "Loss against compute with the compute-optimal frontier",
        "Loss against training compute: runs coloured by model size, the law at fixed model sizes "
        f"(thin curves, same colours) and the lowest loss it reaches at each compute, L*(C) (black){band}.",
        "compute",
    )
    out += figure(
        partial(panels.contours_figure, result=result, data=data, flops=(lo, hi)), (6.8, 5.2),
        "Iso-loss contours in model size and tokens",
        "The fitted loss over model size N and tokens D (contours), iso-FLOP lines at whole decades "
        "of compute (dotted), the efficient frontier N*(C), D*(C) (red) and the runs (black).",
        "contours",
    )
    out += figure(
        partial(panels.allocation_figure, allocation=frontier), (6.0, 4.2),
        "Compute-optimal model size and tokens",
        "Compute-optimal model size N* and tokens D* against compute, with their interval fans.",
        "allocation",
    )
    return out


def isoflop_section(
    isoflop: IsoFlopResult, data: Any, allocation: Allocation | None, figures: bool
) -> str:
    grouped = {
        "exact": "runs grouped by their exact budget value",
        "given": f"runs bucketed to the nearest given budget within \u00b1{isoflop.tolerance:g} decades",
        "found": f"runs bucketed by the nearest log-compute level found in the data (\u00b1{isoflop.tolerance:g} decades)",
    }[isoflop.bucketing]
    interval = isoflop.intervals.get("exponent_a")
    out = '<h2 id="isoflop">IsoFLOP analysis</h2>'
    out += (
        f"<p>{h.esc(isoflop.method)} profiles of {isoflop.budgets.height} budgets ({grouped}; "
        f"{isoflop.n_unassigned} runs on no budget); frontier N<sub>opt</sub> \u221d "
        f"C<sup>{isoflop.exponent_a:.3f}</sup>"
        + (f" [{interval[0]:.3f}, {interval[1]:.3f}]" if interval else "")
        + f", D<sub>opt</sub> \u221d C<sup>{isoflop.exponent_b:.3f}</sup>"
        + (f"; the fitted law gives N* \u221d C<sup>{allocation.exponent_a:.3f}</sup>" if allocation else "")
        + ".</p>"
    )
    out += h.frame_table(isoflop.budgets, caption="One row per budget: the fitted minimum of its profile.")
    if figures:
        out += figure(
            partial(panels.isoflop_figure, isoflop=isoflop, data=data, allocation=allocation), (11.4, 4.6),
            "IsoFLOP profiles and compute-optimal model sizes",
            "Left: loss against model size per compute budget with each budget's fitted profile; stars "
            "are the profile minima with their intervals (hollow: at the edge of the sweep, left out of "
            "the frontier), grey runs are on no budget. Right: the minima against compute with the "
            "fitted power law N<sub>opt</sub>(C)"
            + (" and the fitted law's N*(C) (dashed)" if allocation else "") + ".",
            "isoflop",
        )
    return out
