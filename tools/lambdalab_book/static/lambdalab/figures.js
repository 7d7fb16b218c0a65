/* Lambda Lab: draw the page's plotly figures from their JSON, after plotly.js (both deferred).

   - Colours follow the page: text, axes and grid are recoloured for light or dark mode, and
     again whenever the reader switches (the theme sets <html data-theme>).
   - Each plotly slider is replaced by the native radio group rendered under the figure, which
     keyboards and screen readers can use; choosing a step applies the slider step's args.
   - On narrow screens (phones) margins and legend text shrink so the plot keeps its width; on
     touch screens and phones a swipe over a figure scrolls the page instead of zooming, and the
     modebar (which would cover the legend) is left out.
   Every drawn figure gets data-drawn="true" (the browser tests and the speed benchmark wait on it).
   LambdaLabFigures.render draws a figure a reader's run made (live/run.js), the same way. */
(function () {
  "use strict";
  var NARROW = 600;

  function themeLayout(gd) {
    var root = document.documentElement;
    var dark = root.getAttribute("data-theme") === "dark";
    var css = getComputedStyle(root);
    var text = (css.getPropertyValue("--pst-color-text-base") || "").trim() || (dark ? "#ced6dd" : "#222832");
    var grid = dark ? "rgba(206,214,221,0.16)" : "rgba(34,40,50,0.12)";
    var axis = dark ? "rgba(206,214,221,0.45)" : "rgba(34,40,50,0.45)";
    var narrow = gd.clientWidth < NARROW;
    var update = {
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      "font.color": text,
      "legend.font.color": text,
      "legend.bgcolor": "rgba(0,0,0,0)",
      "hoverlabel.bgcolor": dark ? "#1e2329" : "#ffffff",
      "hoverlabel.font.color": text,
    };
    ["xaxis", "yaxis", "xaxis2", "yaxis2"].forEach(function (axisName) {
      if (axisName === "xaxis" || axisName === "yaxis" || (gd.layout && gd.layout[axisName])) {
        update[axisName + ".gridcolor"] = grid;
        update[axisName + ".linecolor"] = axis;
        update[axisName + ".zerolinecolor"] = axis;
        update[axisName + ".tickfont.color"] = text;
        update[axisName + ".title.font.color"] = text;
      }
    });
    var wide = gd.llWide || {};
    update["legend.font.size"] = narrow ? 11 : wide.legendSize;
    update["margin.l"] = narrow ? Math.min(48, wide.left || 48) : wide.left;
    update["margin.r"] = narrow ? 8 : wide.right;
    return update;
  }

  function applyStep(gd, slider, index) {
    var step = (slider.steps || [])[index];
    if (!step || !step.args) return Promise.resolve();
    var args = step.args;
    var method = step.method || "restyle";
    if (method === "update") return window.Plotly.update(gd, args[0] || {}, args[1] || {}, args[2]);
    if (method === "relayout") return window.Plotly.relayout(gd, args[0] || {});
    if (method === "animate") return window.Plotly.animate(gd, args[0], args[1]);
    return window.Plotly.restyle(gd, args[0] || {}, args[1]);
  }

  function draw(container, figure) {
    var gd = container.querySelector(".plotly-graph-div");
    var source = container.querySelector("script.ll-figure-data");
    if (!gd || !(source || figure)) return;
    var spec = figure || JSON.parse(source.textContent);
    var sliders = spec.layout.sliders || [];
    var controls = container.querySelectorAll("fieldset.ll-figure-control");
    if (controls.length) delete spec.layout.sliders; // the native controls take over
    var touch = window.matchMedia("(pointer: coarse)").matches || window.innerWidth < NARROW;
    if (touch) {
      spec.layout.dragmode = false;
      spec.config.displayModeBar = false;
    }
    var margin = spec.layout.margin || {};
    var legendFont = (spec.layout.legend || {}).font || {};
    gd.llWide = { left: margin.l, right: margin.r, legendSize: legendFont.size };
    window.Plotly.newPlot(gd, spec.data, spec.layout, spec.config).then(function () {
      return window.Plotly.relayout(gd, themeLayout(gd));
    }).then(function () {
      gd.setAttribute("data-drawn", "true");
    });
    controls.forEach(function (fieldset) {
      fieldset.addEventListener("change", function (event) {
        var input = event.target;
        var slider = sliders[Number(input.getAttribute("data-slider"))];
        if (slider) applyStep(gd, slider, Number(input.value));
      });
    });
  }

  /* The native radio group for each plotly slider (as plotly_mime.py writes it for a stored figure). */
  function sliderControls(figureId, sliders) {
    return sliders.map(function (slider, s) {
      var fieldset = document.createElement("fieldset");
      fieldset.className = "ll-figure-control";
      fieldset.setAttribute("data-for", figureId);
      var legend = document.createElement("legend");
      var prefix = String((slider.currentvalue || {}).prefix || "").trim().replace(/:$/, "");
      legend.textContent = prefix || "Step";
      fieldset.appendChild(legend);
      (slider.steps || []).forEach(function (step, k) {
        var label = document.createElement("label");
        label.className = "ll-choice";
        var input = document.createElement("input");
        input.type = "radio";
        input.name = figureId + "-s" + s;
        input.value = String(k);
        input.setAttribute("data-slider", String(s));
        input.checked = k === Number(slider.active || 0);
        var text = document.createElement("span");
        text.textContent = step.label === undefined ? String(k) : String(step.label);
        label.appendChild(input);
        label.appendChild(text);
        fieldset.appendChild(label);
      });
      return fieldset;
    });
  }

  /* Draw a figure made at run time (the "Run" buttons): the same container, controls and colours as a
     stored figure. `figure` is {data, layout, config}; returns the container, appended to `parent`. */
  function render(parent, figure, figureId) {
    var container = document.createElement("div");
    container.className = "ll-figure";
    container.setAttribute("data-figure", figureId);
    var gd = document.createElement("div");
    gd.id = figureId;
    gd.className = "plotly-graph-div";
    gd.style.height = (Number((figure.layout || {}).height) || 450) + "px";
    gd.style.width = "100%";
    container.appendChild(gd);
    sliderControls(figureId, (figure.layout || {}).sliders || []).forEach(function (fieldset) {
      container.appendChild(fieldset);
    });
    parent.appendChild(container);
    draw(container, figure);
    return container;
  }

  window.LambdaLabFigures = { render: render };

  function restyleAll() {
    document.querySelectorAll(".ll-figure .plotly-graph-div[data-drawn]").forEach(function (gd) {
      window.Plotly.relayout(gd, themeLayout(gd));
    });
  }

  function start() {
    if (!window.Plotly) {
      console.error("Lambda Lab: plotly.js did not load; figures cannot be drawn.");
      return;
    }
    document.querySelectorAll(".ll-figure").forEach(function (container) { draw(container); });
    new MutationObserver(restyleAll).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-theme"],
    });
    var wasNarrow = window.innerWidth < NARROW;
    window.addEventListener("resize", function () {
      var narrow = window.innerWidth < NARROW;
      if (narrow !== wasNarrow) {
        wasNarrow = narrow;
        restyleAll();
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
