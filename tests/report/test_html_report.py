"""The HTML report is one self-contained page: every image inline and decodable, nothing fetched."""

from __future__ import annotations

import base64
import re
import struct
import sys
import xml.etree.ElementTree as ET

import numpy as np
import polars as pl
import pytest
from report_helpers import backtest_with

import scalinglaws as sl
from scalinglaws.plan import allocate
from scalinglaws.report import render_report
from scalinglaws.report._math import law_latex, math_svg
from scalinglaws.report.sections.plan import isoflop_section

TARGET = {"n_params": 7e10, "n_tokens": 1.4e12}
IMAGE = re.compile(r'<img src="data:(image/[a-z+]+);base64,([A-Za-z0-9+/=]+)"')


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


@pytest.fixture(scope="module")
def page(runs: pl.DataFrame, fitted: sl.FitResult, scores: sl.BacktestResult) -> str:
    plan = allocate(fitted, flops=[1e22, 1e24])
    return render_report(
        fitted, runs, backtest=scores, plan=plan, target=TARGET, command="scalinglaws report runs.csv",
        source="runs.csv", notes=["something odd (ExtrapolationWarning)"], created="2026-01-01 00:00 UTC",
    )


def test_every_image_is_inline_and_decodes(page: str) -> None:
    images = IMAGE.findall(page)
    kinds = [k for k, _ in images]
    assert kinds.count("image/svg+xml") == 1  # the law
    # fit, predicted, residuals, bootstrap pairs, backtest, loss vs compute, contours, N* and D*
    assert kinds.count("image/png") == 8
    assert page.count("<img ") == len(images)  # no image from anywhere else
    for kind, payload in images:
        data = base64.b64decode(payload, validate=True)
        if kind == "image/png":
            width, height = png_size(data)
            assert width > 100
            assert height > 100
        else:
            root = ET.fromstring(data)
            assert root.tag.endswith("svg")
            assert float(root.get("width", "0").removesuffix("pt")) > 0


def test_nothing_can_be_fetched(page: str) -> None:
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert "url(" not in page  # no CSS fetch either
    links = re.findall(r"<link [^>]*>", page)
    assert links == ['<link rel="icon" href="data:,">']  # the empty icon stops a favicon request
    assert "default-src 'none'; img-src data:" in page  # and the CSP forbids any other source


def test_sections_hold_the_results(page: str, fitted: sl.FitResult, scores: sl.BacktestResult) -> None:
    for section in ("law", "parameters", "prediction", "diagnostics", "figures", "backtest", "frontier",
                    "plan", "provenance"):
        assert f'<h2 id="{section}">' in page
    for key in ("fit", "predicted", "residuals", "bootstrap", "backtest", "compute", "contours", "allocation"):
        assert f'<figure id="fig-{key}">' in page
    for name, value in fitted.params.items():
        assert f"<code>{name}</code>" in page
        assert f"{value:.5g}" in page
    assert fitted.bootstrap is not None
    interval = fitted.bootstrap.interval(0.95)["alpha"]
    assert f"[{interval.lower:.4g}, {interval.upper:.4g}]" in page
    point, lower, upper, _ = fitted.predict_interval({k: np.array([v]) for k, v in TARGET.items()}, 0.95, "prediction")
    assert f"<b>{point[0]:.5g}</b>" in page
    assert f"[{lower[0]:.5g}, {upper[0]:.5g}]" in page
    for diagnostic in fitted.diagnostics:
        assert diagnostic.message in page
    assert "something odd (ExtrapolationWarning)" in page
    assert f"{scores.summary()['mean_are']:.2%}" in page
    assert fitted.data_digest in page
    assert "<code>scalinglaws report runs.csv</code>" in page
    assert "N* \u221d C<sup>" in page


def test_warnings_are_visible(page: str, fitted: sl.FitResult) -> None:
    # The target is beyond the runs: a warning box under the prediction and among the diagnostics.
    assert page.count("<div class='sl-warn' data-kind='extrapolation'>") == 2
    n_decades = np.log10(TARGET["n_params"] / fitted.input_ranges["N"][1])
    assert f"{n_decades:.2f} decades in n_params" in page
    assert "data-kind='lack of fit'" not in page  # the planted law fits its own data
    assert "1 warning</span>" in page  # counted in the heading


def test_lack_of_fit_and_under_coverage_are_flagged(runs: pl.DataFrame) -> None:
    wrong = sl.fit(runs, "E + A/N**alpha + B/D")
    page = render_report(wrong, runs, backtest=backtest_with(19, 28), figures=False)
    assert "<b>lack of fit</b>: the residuals trend with n_tokens (D)" in page
    assert page.count("data-kind='under-coverage'") == 2  # in the diagnostics and the backtest
    assert "covered 68% (19 of 28)" in page
    assert "too low</span>" in page  # the coverage badge
    assert "3 warnings" not in page
    assert "2 warnings</span>" in page


def test_isoflop_section_draws_profiles_and_optima(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    from scalinglaws.plan import isoflop_grid, isoflop_profiles

    law, truth = sl.get_law("chinchilla"), sl.testing.PLANTED["chinchilla"]
    grid = isoflop_grid([1e18, 1e19, 1e20], n_sizes=9)
    sweep = grid.with_columns(loss=pl.Series(law.predict(truth, {"N": grid["n_params"].to_numpy(),
                                                                 "D": grid["n_tokens"].to_numpy()})))
    analysis = isoflop_profiles(sweep, n_boot=20)
    page = render_report(fitted, runs, isoflop=analysis, isoflop_data=sweep, figures=False)
    assert '<h2 id="isoflop">' in page
    assert "runs grouped by their exact budget value; 0 runs on no budget" in page
    law = allocate(fitted, flops=1e20)
    assert f"the fitted law gives N* \u221d C<sup>{law.exponent_a:.3f}</sup>" in page
    assert '<a href="#isoflop">IsoFLOP</a>' in page
    section = isoflop_section(analysis, sweep, law, figures=True)
    assert '<figure id="fig-isoflop"><img src="data:image/png;base64,' in section


def test_a_law_without_n_and_d_has_no_frontier() -> None:
    runs = sl.testing.synthetic_runs("power", seed=1)
    page = render_report(sl.fit(runs, "power"), runs)
    assert '<h2 id="frontier">' not in page
    assert '<h2 id="figures">' in page


def test_without_figures_the_page_says_how_to_get_them(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    page = render_report(fitted, runs, figures=False)
    assert "image/png" not in page
    assert "pip install &#x27;scalinglaws[plot]&#x27;" in page
    assert '<h2 id="backtest">' not in page
    assert '<h2 id="prediction">' not in page
    assert '<h2 id="frontier">' not in page  # the frontier section is its figures


def test_bootstrap_argument_is_attached(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    bare = sl.fit(runs, "chinchilla")
    assert fitted.bootstrap is not None
    page = render_report(bare, runs, bootstrap=fitted.bootstrap, figures=False)
    assert "intervals are bootstrap percentiles" in page


def test_render_report_rejects_a_bad_probability(runs: pl.DataFrame, fitted: sl.FitResult) -> None:
    with pytest.raises(ValueError, match=r"`prob` of render_report must be strictly between 0 and 1. Got 1.5"):
        render_report(fitted, runs, prob=1.5, figures=False)


def test_missing_matplotlib_leaves_math_as_text_and_figures_out(
    monkeypatch: pytest.MonkeyPatch, runs: pl.DataFrame, fitted: sl.FitResult
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.mathtext", None)
    page = render_report(fitted, runs, figures=False)
    assert "<code>loss = E + A/N**alpha + B/D**beta</code>" in page
    with pytest.raises(ImportError, match=r"pip install 'scalinglaws\[plot\]'"):
        render_report(fitted, runs)


@pytest.mark.parametrize("law", sl.list_laws(), ids=lambda law: law.name)
def test_catalog_laws_render_as_math(law: sl.Law) -> None:
    latex = law_latex(law)
    # An implicit law shows its own equation; the others give the loss.
    assert latex.count(" = ") == 1
    assert latex.startswith("L = ") != bool(law.solve_for)
    svg = math_svg(latex)
    assert svg is not None
    assert svg.lstrip().startswith("<?xml")


def test_unrenderable_math_falls_back() -> None:
    assert math_svg(r"\begin{cases} x \end{cases}") is None


def test_other_optima_and_priors_are_in_the_report() -> None:
    # A one-break BNSL has several basins; a prior on its exponent makes the fit a MAP fit.
    runs = sl.testing.synthetic_runs("bnsl", n_runs=40, noise=0.02, seed=4)
    result = sl.fit(runs, "bnsl", priors={"c0": (0.3, 0.2)})
    assert len(result.optima) > 1
    assert result.priors
    page = render_report(result, runs, figures=False)
    section = page[page.index('<h2 id="optima">') : page.index('<h2 id="diagnostics">')]
    assert "prior mean" in section
    assert "<code>c0</code>" in section
    assert section.count("the fit") == 1  # one optimum is the fit, the others are listed beside it
    for optimum in result.optima:
        assert f"{optimum.objective:.6g}"[:5] in section


def test_a_single_optimum_without_priors_has_no_optima_section() -> None:
    runs = sl.testing.synthetic_runs("power", n_runs=30, noise=0.01, seed=0)
    result = sl.fit(runs, "power")
    assert len(result.optima) == 1
    assert not result.priors
    assert 'id="optima"' not in render_report(result, runs, figures=False)
