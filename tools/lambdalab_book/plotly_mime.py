"""Render plotly's notebook mime type on the static site, offline.

A notebook cell that shows a plotly figure stores only
``application/vnd.plotly.v1+json`` (plotly's default in a kernel), which
JupyterLab renders natively. myst-nb has no renderer for it, so this plugin
(registered under the ``myst_nb.mime_renderers`` entry point) turns it into a
``<div class="plotly-graph-div">`` plus a ``Plotly.newPlot`` call. The div id
is a hash of the figure, so rebuilding gives the same HTML. plotly.js itself
is added, from a local copy, only to pages that contain a figure (see
``lambdalab_book.setup``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from docutils import nodes

PLOTLY_MIME = "application/vnd.plotly.v1+json"


def figure_html(figure: dict[str, Any]) -> str:
    """Return a responsive, self-contained div for ``figure`` without plotly.js or MathJax."""
    import plotly.io as pio

    digest = hashlib.sha256(json.dumps(figure, sort_keys=True).encode()).hexdigest()[:16]
    figure = dict(figure)
    # plotly.js uses config, not the figure, for display options.
    config = dict(figure.pop("config", {}) or {})
    config.setdefault("responsive", True)
    # The page's MathJax 3 is not the MathJax 2 that plotly.js would typeset with.
    config.setdefault("typesetMath", False)
    config.pop("plotlyServerURL", None)
    return pio.to_html(
        figure,
        config=config,
        include_plotlyjs=False,
        include_mathjax=False,
        full_html=False,
        div_id=f"plotly-{digest}",
        default_width="100%",
        validate=False,
    )


class PlotlyMimeRenderer:
    """myst-nb mime render plugin for plotly figures."""

    mime_priority_overrides: ClassVar[list[tuple[str, str, int | None]]] = [
        ("html", PLOTLY_MIME, 1),
        ("dirhtml", PLOTLY_MIME, 1),
        ("singlehtml", PLOTLY_MIME, 1),
    ]

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool) -> list[nodes.Element] | None:
        if data.mime_type != PLOTLY_MIME:
            return None
        content = data.content
        figure = json.loads(content) if isinstance(content, (str, bytes)) else dict(content)
        html = figure_html(figure)
        return [nodes.raw(text=html, format="html", classes=["output", "text_html", "plotly-output"])]
