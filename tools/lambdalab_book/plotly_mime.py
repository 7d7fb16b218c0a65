"""Render plotly's notebook mime type on the static site: offline, deferred, accessible.

A notebook cell that shows a plotly figure stores only
``application/vnd.plotly.v1+json`` (plotly's default in a kernel), which
JupyterLab renders natively. myst-nb has no renderer for it, so this plugin
(registered under the ``myst_nb.mime_renderers`` entry point) turns it into:

- a ``<div class="plotly-graph-div">`` with the figure's height reserved (no layout shift),
  described (``aria-describedby``) by the cell's text alternative;
- the figure's JSON in a ``<script type="application/json">``, drawn by ``figures.js`` once the
  deferred plotly.js has loaded, so that neither blocks the first paint;
- a native radio group for each plotly slider (plotly's SVG slider cannot be reached by
  keyboard or named for a screen reader), which applies the slider's steps;
- the text alternative, in a "Describe this figure in words" disclosure for every reader.

The div id is a hash of the figure, so rebuilding gives the same HTML. The text alternative
comes from the cell metadata ``{"lambdalab": {"alt": "..."}}``; the numbered caption from
myst-nb's ``{"mystnb": {"figure": {"caption": ..., "name": ...}}}``.
"""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any, ClassVar

from docutils import nodes

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# Display options the site imposes on every figure: no plotly logo, no Chart Studio links
# (they would upload the data to a plotly server), math left to the page's MathJax.
SITE_CONFIG: dict[str, Any] = {
    "responsive": True,
    "displaylogo": False,
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "typesetMath": False,
    "modeBarButtonsToRemove": ["sendDataToCloud", "editInChartStudio", "select2d", "lasso2d"],
}


def figure_alt(cell_metadata: dict[str, Any]) -> str:
    """The cell's text alternative for its figure (empty when the notebook gives none)."""
    return str((cell_metadata.get("lambdalab") or {}).get("alt", "")).strip()


def _script_json(value: Any) -> str:
    """JSON safe to put inside a ``<script>`` element."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")


def _slider_controls(figure_id: str, sliders: list[dict[str, Any]]) -> str:
    groups = []
    for s, slider in enumerate(sliders):
        steps = slider.get("steps") or []
        active = int(slider.get("active", 0) or 0)
        prefix = str((slider.get("currentvalue") or {}).get("prefix", "")).strip().rstrip(":") or "Step"
        options = []
        for k, step in enumerate(steps):
            label = html.escape(str(step.get("label", k)))
            checked = " checked" if k == active else ""
            options.append(
                f'<label class="ll-choice"><input type="radio" name="{figure_id}-s{s}" value="{k}"'
                f' data-slider="{s}"{checked}><span>{label}</span></label>'
            )
        groups.append(
            f'<fieldset class="ll-figure-control" data-for="{figure_id}"><legend>{html.escape(prefix)}</legend>'
            + "".join(options)
            + "</fieldset>"
        )
    return "".join(groups)


def figure_html(figure: dict[str, Any], alt: str = "") -> str:
    """Return the figure's container: plot div, JSON, native controls and text alternative."""
    digest = hashlib.sha256(json.dumps(figure, sort_keys=True).encode()).hexdigest()[:16]
    figure_id = f"plotly-{digest}"
    figure = dict(figure)
    config = dict(figure.pop("config", {}) or {})
    config.pop("plotlyServerURL", None)
    config.update(SITE_CONFIG)
    layout = figure.get("layout") or {}
    height = int(layout.get("height") or 450)
    sliders = layout.get("sliders") or []
    spec = {"data": figure.get("data") or [], "layout": layout, "config": config}
    # Not role="img": plotly's div holds controls (modebar, legend) that must stay reachable.
    label = f' aria-describedby="{figure_id}-alt"' if alt else ""
    parts = [
        f'<div class="ll-figure" data-figure="{figure_id}">',
        f'<div id="{figure_id}" class="plotly-graph-div"{label} style="height:{height}px; width:100%;"></div>',
        f'<script type="application/json" class="ll-figure-data">{_script_json(spec)}</script>',
        _slider_controls(figure_id, sliders),
    ]
    if alt:
        parts.append(
            '<details class="ll-figure-alt"><summary>Describe this figure in words</summary>'
            f'<p id="{figure_id}-alt">{html.escape(alt)}</p></details>'
        )
    parts.append("</div>")
    return "".join(parts)


class PlotlyMimeRenderer:
    """myst-nb mime render plugin for plotly figures and saved ipywidgets."""

    mime_priority_overrides: ClassVar[list[tuple[str, str, int | None]]] = [
        ("html", PLOTLY_MIME, 1),
        ("dirhtml", PLOTLY_MIME, 1),
        ("singlehtml", PLOTLY_MIME, 1),
    ]

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool) -> list[nodes.Element] | None:
        if data.mime_type == WIDGET_VIEW:
            from . import widgets

            return widgets.render_view(renderer, data)
        if data.mime_type != PLOTLY_MIME:
            return None
        content = data.content
        figure = json.loads(content) if isinstance(content, (str, bytes)) else dict(content)
        html_text = figure_html(figure, figure_alt(data.cell_metadata or {}))
        return [nodes.raw(text=html_text, format="html", classes=["output", "text_html", "plotly-output"])]
