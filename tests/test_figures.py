"""The book's figure conventions: palette, notebook figure metadata, widget snapshots, icons."""

from __future__ import annotations

import json
import math
from pathlib import Path

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lambdalab as ll
from lambdalab_book import execute, icons, plotly_mime, widgets

PLOTLY = "application/vnd.plotly.v1+json"
WHITE, DARK_PAGE = "#ffffff", "#14181e"  # the theme's light and dark page backgrounds
NOTEBOOKS = execute.notebooks()


def test_palette_is_readable_on_light_and_dark_pages() -> None:
    """WCAG 2.1 non-text contrast: at least 3:1 against both page backgrounds."""
    for colour in ll.figures.PALETTE:
        assert ll.figures.contrast_ratio(colour, WHITE) >= 3, colour
        assert ll.figures.contrast_ratio(colour, DARK_PAGE) >= 3, colour
    assert len(set(ll.figures.PALETTE)) == len(ll.figures.DASHES) == len(set(ll.figures.DASHES))
    styles = [ll.figures.line(i) for i in range(len(ll.figures.PALETTE))]
    assert len({(s["color"], s["dash"]) for s in styles}) == len(styles)
    with pytest.raises(ValueError, match="palette has 6 styles"):
        ll.figures.line(6)


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert ll.figures.contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert ll.figures.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12), max_size=20))
def test_rounded_keeps_six_significant_digits(values: list[float]) -> None:
    out = ll.figures.rounded(values)
    assert all(type(x) is float for x in out)
    for x, r in zip(values, out, strict=True):
        assert math.isclose(x, r, rel_tol=5e-6, abs_tol=1e-300)
    assert ll.figures.rounded(out) == out


def figures_of(path: Path) -> list[tuple[dict, dict]]:
    nb = nbformat.read(path, as_version=4)
    return [
        (cell.metadata, output["data"][PLOTLY])
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if PLOTLY in output.get("data", {})
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_figure_has_caption_alt_and_house_style(path: Path) -> None:
    for metadata, figure in figures_of(path):
        spec = metadata.get("mystnb", {}).get("figure", {})
        assert spec.get("name", "").startswith("fig-"), "a figure needs a name to be numbered and referenced"
        assert len(spec.get("caption", "")) > 60, "the caption states the figure's takeaway"
        assert len(plotly_mime.figure_alt(metadata)) > 200, "the text alternative describes what the figure shows"
        assert "hide-input" in metadata.get("tags", []), "the plotting code is folded behind the figure"
        layout = figure.get("layout", {})
        assert not (layout.get("title") or {}).get("text"), "no title: the caption says it, and titles overflow phones"
        styles = [(t.get("line", {}).get("color"), t.get("line", {}).get("dash")) for t in figure["data"]]
        assert all(colour in ll.figures.PALETTE for colour, _ in styles), styles
        assert len(set(styles)) == len(styles), "every series has its own colour and dash"
        assert "bdata" not in json.dumps(figure), "figure data as rounded plain lists (ll.figures.rounded)"


def test_figure_html_carries_data_controls_and_description() -> None:
    figure = {
        "data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}],
        "layout": {
            "height": 300,
            "sliders": [
                {
                    "active": 1,
                    "currentvalue": {"prefix": "Duration: "},
                    "steps": [{"label": "1 ms", "args": [{"y": [[1, 2]]}]}, {"label": "<2 ms>", "args": []}],
                }
            ],
        },
        "config": {"plotlyServerURL": "https://chart-studio.plotly.com"},
    }
    html = plotly_mime.figure_html(figure, alt="Two points </script> rising")
    assert html == plotly_mime.figure_html(figure, alt="Two points </script> rising")
    assert "height:300px" in html and "<legend>Duration</legend>" in html
    assert 'value="1" data-slider="0" checked' in html and "&lt;2 ms&gt;" in html
    assert "chart-studio" not in html and '"displaylogo":false' in html
    assert "</script> rising" not in html.split("ll-figure-data")[1].split("</script>")[0]
    assert 'aria-describedby="plotly-' in html and "Two points &lt;/script&gt; rising" in html
    data = json.loads(html.split('class="ll-figure-data">')[1].split("</script>")[0].replace("<\\/", "</"))
    assert data["config"]["showSendToCloud"] is False and data["layout"]["sliders"]


def test_widget_snapshot_renders_values_without_controls() -> None:
    state = {
        "a": {
            "model_name": "VBoxModel",
            "state": {"children": ["IPY_MODEL_b", "IPY_MODEL_c", "IPY_MODEL_d", "IPY_MODEL_e"]},
        },
        "b": {
            "model_name": "FloatLogSliderModel",
            "state": {"description": "rate", "value": 50.0, "min": -3, "max": 4, "base": 10, "readout_format": ".3g"},
        },
        "c": {
            "model_name": "ToggleButtonsModel",
            "state": {"description": "era", "_options_labels": ["2019", "today"], "index": 1},
        },
        "d": {"model_name": "HTMLModel", "state": {"value": "<table><tr><td>150.81</td></tr></table>"}},
        "e": {"model_name": "ColorPickerModel", "state": {"description": "colour"}},
    }
    html = widgets.snapshot_html(state, "a", "../_sources/x.ipynb")
    assert "Snapshot." in html and 'href="../_sources/x.ipynb"' in html
    assert '<span class="ll-w-label">rate</span><span class="ll-w-value">50</span>' in html
    assert "left: 67.1%" in html  # log10(50) = 1.7 on a -3..4 track
    assert 'll-visually-hidden">today</span>' in html and "150.81" in html
    assert "(ColorPicker: live in Jupyter)" in html
    assert "<input" not in html and "<button" not in html and "tabindex" not in html


def test_icons_css_draws_the_used_icons_from_fontawesome() -> None:
    fake = (
        'var p={bars:[448,512,[],"f0c9","M0 96h448"],"angle-left":[320,512,[],"f104","M41 233l160"]};'
        'd("fas",p),d("fa-solid",p);var p={github:[496,512,[],"f09b","M165 397"]};d("fab",p)'
    )
    css, missing = icons.icons_css(fake, {"bars", "github", "lg", "no-such-icon"})
    assert ".fa-solid.fa-bars" in css and ".fa-brands.fa-github" in css and "angle-left" not in css
    assert "width:0.8750em" in css and "M0 96h448" in css
    assert missing == {"no-such-icon"}
