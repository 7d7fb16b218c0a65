"""Saved ipywidgets on the static site: an honest snapshot, not controls that compute nothing.

Without a kernel, ipywidgets' HTML manager draws sliders and buttons that move but never run
their Python callbacks: pressing "2019" would leave today's bill in the table. So the site
renders the saved widget state as static HTML instead: each control as its label and saved
value (a slider's position drawn as a still track), HTML outputs as they were, inside a frame
that says it is a snapshot and links to the notebook, where the controls are live. No script,
nothing to tab to that does nothing, and screen readers read the values as text.

Widget types without a rendering here show their name and say they are live in Jupyter.
"""

from __future__ import annotations

import html
import json
import math
import posixpath
from typing import Any

from docutils import nodes

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
REF = "IPY_MODEL_"

SLIDERS = {"IntSliderModel", "FloatSliderModel", "FloatLogSliderModel"}
RANGE_SLIDERS = {"IntRangeSliderModel", "FloatRangeSliderModel"}
CHOICES = {"ToggleButtonsModel", "DropdownModel", "RadioButtonsModel", "SelectModel", "SelectionSliderModel"}
BOXES = {"VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel"}
HTMLS = {"HTMLModel", "HTMLMathModel"}
TEXTS = {
    "LabelModel",
    "TextModel",
    "TextareaModel",
    "IntTextModel",
    "FloatTextModel",
    "BoundedIntTextModel",
    "BoundedFloatTextModel",
}
BOOLS = {"CheckboxModel", "ToggleButtonModel"}


def _format(value: Any, spec: str | None) -> str:
    """A readout as ipywidgets shows it (d3-format specs such as ``.3g`` mostly match Python's)."""
    if isinstance(value, float) and spec:
        try:
            text = format(value, spec.replace("~", ""))
        except ValueError:
            text = f"{value:g}"
        return text
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class Snapshot:
    """Static HTML for one widget tree of a notebook's saved state."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def model(self, ref: str) -> tuple[str, dict[str, Any]]:
        entry = self.state.get(ref.removeprefix(REF), {})
        return str(entry.get("model_name", "")), dict(entry.get("state", {}))

    def render(self, ref: str) -> str:
        name, s = self.model(ref)
        label = html.escape(str(s.get("description", "")))
        if name in BOXES:
            kind = "ll-w-row" if name == "HBoxModel" else "ll-w-column"
            return f'<div class="{kind}">' + "".join(self.render(c) for c in s.get("children", [])) + "</div>"
        if name in HTMLS:
            return f'<div class="ll-w-html">{s.get("value", "")}</div>'
        if name in SLIDERS:
            return self._slider(name, s, label)
        if name in RANGE_SLIDERS:
            low, high = s.get("value", [None, None])
            fmt = s.get("readout_format")
            return self._control(label, f"{_format(low, fmt)} to {_format(high, fmt)}")
        if name in CHOICES:
            return self._choices(s, label)
        if name in TEXTS:
            return self._control(label, html.escape(str(s.get("value", ""))))
        if name in BOOLS:
            return self._control(label, "on" if s.get("value") else "off")
        if name == "ButtonModel":
            button = html.escape(str(s.get("description")))
            return f'<div class="ll-w-control"><span class="ll-w-button">{button}</span></div>'
        if name == "OutputModel":
            return "".join(self._output(o) for o in s.get("outputs", []))
        shown = html.escape(name.removesuffix("Model") or "widget")
        return self._control(label, f"<em>({shown}: live in Jupyter)</em>")

    def _control(self, label: str, value: str, extra: str = "") -> str:
        return (
            f'<div class="ll-w-control"><span class="ll-w-label">{label}</span>'
            f'<span class="ll-w-value">{value}</span>{extra}</div>'
        )

    def _slider(self, name: str, s: dict[str, Any], label: str) -> str:
        value, low, high = s.get("value", 0), s.get("min", 0), s.get("max", 1)
        if name == "FloatLogSliderModel":
            base = float(s.get("base", 10))
            position = math.log(max(float(value), 1e-300), base)
        else:
            position = float(value)
        share = 0.0 if high == low else min(1.0, max(0.0, (position - low) / (high - low)))
        track = (
            f'<span class="ll-w-track" aria-hidden="true">'
            f'<span class="ll-w-knob" style="left: {100 * share:.1f}%"></span></span>'
        )
        return self._control(label, html.escape(_format(value, s.get("readout_format"))), track)

    def _choices(self, s: dict[str, Any], label: str) -> str:
        options = [str(o) for o in s.get("_options_labels", [])]
        index = s.get("index")
        chips = "".join(
            f'<span class="ll-w-option{" ll-w-selected" if i == index else ""}">{html.escape(o)}</span>'
            for i, o in enumerate(options)
        )
        chosen = html.escape(options[index]) if isinstance(index, int) and 0 <= index < len(options) else "none"
        return (
            f'<div class="ll-w-control"><span class="ll-w-label">{label}</span>'
            f'<span class="ll-w-value ll-visually-hidden">{chosen}</span>'
            f'<span class="ll-w-options" aria-hidden="true">{chips}</span></div>'
        )

    def _output(self, output: dict[str, Any]) -> str:
        if output.get("output_type") == "stream":
            return f'<pre class="ll-w-stream">{html.escape(str(output.get("text", "")))}</pre>'
        data = output.get("data", {})
        if "text/html" in data:
            return f'<div class="ll-w-html">{"".join(data["text/html"])}</div>'
        if "text/plain" in data:
            return f'<pre class="ll-w-stream">{html.escape("".join(data["text/plain"]))}</pre>'
        return ""


def snapshot_html(state: dict[str, Any], model_id: str, notebook_href: str | None) -> str:
    """The snapshot of widget ``model_id``, framed and labelled as a snapshot."""
    body = Snapshot(state).render(model_id)
    run_live = (
        f' <a class="ll-download-notebook" href="{html.escape(notebook_href)}" download>Download the notebook</a>'
        " to use them live in Jupyter."
        if notebook_href
        else " Run the notebook in Jupyter to use them live."
    )
    return (
        '<figure class="ll-widget-snapshot" role="group" aria-label="Snapshot of interactive controls">'
        '<figcaption class="ll-snapshot-note"><strong>Snapshot.</strong> These controls show the values saved '
        f"when the chapter was run; on this page they do not respond.{run_live}</figcaption>"
        f'<div class="ll-snapshot-body">{body}</div></figure>'
    )


def render_view(renderer: Any, data: Any) -> list[nodes.Element]:
    """myst-nb hook: the snapshot for one ``widget-view+json`` output."""
    content = data.content
    view = json.loads(content) if isinstance(content, (str, bytes)) else dict(content)
    inner = getattr(renderer, "renderer", None)
    client = getattr(inner, "nb_client", None)
    metadata = getattr(client, "nb_metadata", {}) or {}
    state = (metadata.get("widgets") or {}).get(WIDGET_STATE, {}).get("state", {})
    href = None
    env = getattr(inner, "sphinx_env", None)
    if env is not None:
        docname = str(env.docname)
        source = env.doc2path(docname, base=False)
        up = "../" * docname.count("/")
        href = posixpath.join(up + "_sources", docname + posixpath.splitext(str(source))[1])
    text = snapshot_html(state, str(view.get("model_id", "")), href)
    return [nodes.raw(text=text, format="html", classes=["output", "text_html", "widget-snapshot"])]
