/* Lambda Lab: run the page's code cells in the reader's browser (Pyodide in a module worker).

   The bars under the cells are in the HTML (live.py); this script makes them work. Nothing else
   loads until the reader presses a button: then worker.mjs starts Python from this site's files.
   - Run: runs the cell in the page's one interpreter; Run all above: every live cell above it
     (hidden ones included), then it, stopping at the first error (unless a cell is tagged
     raises-exception). Runs queue up; the bars of queued cells say so.
   - Outputs replace the notebook's stored ones, drawn as the book draws them: streams, errors
     with their traceback, HTML, images, text, and plotly figures through figures.js.
   - Edit turns the code into a text area (Shift+Enter runs it; Tab indents, Esc then Tab leaves);
     Reset brings back the book's code.
   - Stop ends the worker: Python's state is lost, and the page says so.
   A cell whose code the page hides runs too (Run all above), but its stored output stays.
   window.LambdaLabLive exposes each cell's outputs (nbformat JSON, as Python wrote it) for tests. */
(function () {
  "use strict";
  var script = document.currentScript;
  var dataElement = document.getElementById("ll-live-data");
  if (!script || !dataElement) return;
  var BASE = new URL(".", script.src);
  var PAGE = JSON.parse(dataElement.textContent);
  var CARTESIAN = ["bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
    "image", "pie", "scatter", "scatterternary", "violin"];
  var cells = new Map();
  PAGE.cells.forEach(function (cell) { cells.set(cell.index, cell); });

  var worker = null;
  var starting = null; // a Promise while Python starts, resolved once it is ready
  var queue = []; // {index, requester}
  var current = null; // {index, requester, id, outputs, began}
  var runs = 0;
  var figures = 0;
  var scripts = {};
  var api = (window.LambdaLabLive = { outputs: {}, results: {}, ready: null, busy: false });
  /* Run these cells (notebook indices) in order, as Run all above does: for tests and the console. */
  api.run = function (indices) { enqueue(indices, indices[indices.length - 1]); };

  function bar(index) { return document.querySelector('.ll-live[data-cell="' + index + '"]'); }
  function container(index) { return document.getElementById("ll-cell-" + index); }
  function name(index) {
    var cell = cells.get(index);
    return cell && cell.number ? "code cell " + cell.number : "a hidden cell";
  }
  function megabytes(bytes) { return "about " + (bytes / 1e6).toFixed(1) + " MB"; }

  function say(index, text) {
    var element = bar(index);
    var status = element && element.querySelector(".ll-live-status");
    if (status) status.textContent = text;
    api.results[index] = Object.assign(api.results[index] || {}, { status: text });
  }

  function showStop(index, shown) {
    var element = bar(index);
    var stop = element && element.querySelector(".ll-live-stop");
    if (!stop) return;
    if (!shown && document.activeElement === stop) element.querySelector(".ll-live-run").focus();
    stop.hidden = !shown;
  }

  /* --- Python ------------------------------------------------------------------------------ */

  function start(requester) {
    if (starting) return starting;
    var preload = [];
    queue.concat(current ? [current] : []).forEach(function (item) {
      (cells.get(item.index).packages || []).forEach(function (p) { if (preload.indexOf(p) < 0) preload.push(p); });
    });
    preload = preload.filter(function (p) { return p === "lambdalab"; }); // plotly (4 MB) waits for its cell
    var sizes = PAGE.sizes;
    say(requester, "Loading Python (" + megabytes(sizes.python + (sizes.lambdalab || 0)) + ", first time only)\u2026");
    var began = performance.now();
    worker = new Worker(new URL("worker.mjs", BASE), { type: "module" });
    starting = new Promise(function (resolve, reject) {
      worker.onmessage = function (event) {
        var message = event.data;
        if (message.type === "ready") {
          api.ready = (performance.now() - began) / 1000;
          resolve();
        } else if (message.type === "failed") {
          if (current) failed(message.message);
          else reject(new Error(message.message));
        } else received(message);
      };
      worker.onerror = function (event) {
        event.preventDefault();
        var text = event.message || "the worker stopped";
        if (current) failed(text);
        else reject(new Error(text));
      };
    });
    worker.postMessage({
      type: "start",
      indexURL: new URL("pyodide/", BASE).href,
      kernelURL: new URL("kernel.py", BASE).href,
      prettyURL: new URL("pretty.py", BASE).href,
      preload: preload,
    });
    return starting;
  }

  function enqueue(indices, requester) {
    var busy = !!current || queue.length > 0;
    indices.forEach(function (index) {
      var same = function (item) { return item && item.index === index && item.requester === requester; };
      if (!same(current) && !queue.some(same)) queue.push({ index: index, requester: requester });
    });
    if (busy) say(requester, "Waiting\u2026");
    showStop(requester, true);
    api.busy = true;
    next();
  }

  function next() {
    if (current) return;
    var item = queue.shift();
    if (!item) {
      api.busy = false;
      return;
    }
    current = { index: item.index, requester: item.requester, id: ++runs, outputs: [], began: 0 };
    var run = current;
    start(item.requester).then(function () {
      if (current !== run) return; // stopped meanwhile
      var cell = cells.get(run.index);
      var editor = editorOf(run.index);
      run.began = performance.now();
      worker.postMessage({ type: "run", id: run.id, code: editor ? editor.value : cell.source });
    }, function (error) {
      say(item.requester, "Python could not start: " + error.message);
      reset();
    });
  }

  function received(message) {
    var run = current;
    if (!run || message.id !== run.id) return;
    if (message.type === "loading") {
      var bytes = message.packages.reduce(function (sum, p) { return sum + (PAGE.sizes[p] || 0); }, 0);
      say(run.requester, "Loading " + message.packages.join(", ") + " (" + megabytes(bytes) + ", first time only)\u2026");
    } else if (message.type === "running") {
      run.began = performance.now();
      say(run.requester, run.index === run.requester ? "Running\u2026" : "Running " + name(run.index) + "\u2026");
      if (run.index !== run.requester) say(run.index, "Running (for " + name(run.requester) + ")\u2026");
      showStop(run.index, true); // Stop where the reader sees the cell running, too
      clearOutput(run.index);
    } else if (message.type === "output") {
      run.outputs.push(message.json);
      show(run.index, JSON.parse(message.json));
    } else if (message.type === "done") {
      finish(run, message);
    }
  }

  function finish(run, message) {
    var seconds = (performance.now() - run.began) / 1000;
    var cell = cells.get(run.index);
    api.outputs[run.index] = run.outputs;
    api.results[run.index] = { status: "", ok: message.status === "ok", seconds: seconds };
    var error = message.status !== "ok";
    var took = seconds < 0.1 ? Math.max(1, Math.round(seconds * 1000)) + " ms" : seconds.toFixed(1) + " s";
    var text = error ? "Error: see the traceback below." : "Ran in " + took + ".";
    if (!run.outputs.length) noOutput(run.index);
    if (error && isNameError(run.outputs) && hasLiveAbove(run.index)) {
      text += " A cell above may not have run yet: try Run all above.";
    }
    say(run.index, text);
    current = null;
    var remaining = queue.some(function (item) { return item.requester === run.requester; });
    if (error && !cell.raises && remaining) {
      queue = queue.filter(function (item) { return item.requester !== run.requester; });
      say(run.requester, "Stopped: " + name(run.index) + " above raised an error.");
      remaining = false;
    } else if (run.index !== run.requester && remaining) {
      say(run.requester, "Waiting\u2026");
    }
    if (!remaining) showStop(run.requester, false);
    var requested = queue.some(function (item) { return item.requester === run.index; });
    if (run.index !== run.requester && !requested) showStop(run.index, false);
    next();
  }

  function isNameError(outputs) {
    return outputs.some(function (json) { return JSON.parse(json).ename === "NameError"; });
  }

  function hasLiveAbove(index) {
    return PAGE.cells.some(function (cell) { return cell.live && cell.index < index; });
  }

  function failed(text) {
    var run = current;
    reset();
    if (run) say(run.requester, "Python stopped: " + text);
  }

  /* End the worker and forget every queued run. */
  function reset() {
    if (worker) worker.terminate();
    var requesters = queue.map(function (item) { return item.requester; });
    if (current) requesters.push(current.requester, current.index);
    worker = null;
    starting = null;
    current = null;
    queue = [];
    api.busy = false;
    requesters.forEach(function (index) { showStop(index, false); });
  }

  function stop() {
    var run = current;
    var waiting = queue.map(function (item) { return item.requester; });
    reset();
    var lost = "Stopped. Python was restarted, so everything the cells on this page defined is lost: " +
      "press Run all above to rebuild it.";
    if (run) {
      var area = outputArea(run.index);
      if (area) {
        var note = document.createElement("p");
        note.className = "ll-live-stopped";
        note.textContent = lost;
        area.appendChild(note);
      }
      say(run.index, "Stopped.");
      say(run.requester, lost);
    }
    waiting.forEach(function (index) { if (!run || index !== run.requester) say(index, lost); });
  }

  /* --- Outputs ------------------------------------------------------------------------------ */

  /* Where a run's outputs go: none for a cell whose code the page hides (remove-input, remove-cell):
     its stored output is part of the text (a question, a table) and stays. */
  function outputArea(index) {
    var cell = container(index);
    if (!cell || !bar(index)) return null;
    var area = cell.querySelector(":scope > .ll-live-output");
    if (area) return area;
    area = document.createElement("div");
    area.className = "cell_output docutils container ll-live-output";
    var anchor = bar(index);
    while (anchor && anchor.parentElement !== cell) anchor = anchor.parentElement;
    cell.insertBefore(area, anchor ? anchor.nextSibling : cell.firstChild);
    return area;
  }

  /* The stored outputs a run replaces. A numbered figure caption stays, under the run's figure. */
  function storedOutputs(cell) {
    var stored = [];
    Array.prototype.forEach.call(cell.children, function (child) {
      if (!child.matches(".cell_output:not(.ll-live-output), details.below-input, details.above-output")) return;
      var caption = child.querySelector("figure > figcaption");
      if (!caption) return stored.push(child);
      Array.prototype.forEach.call(child.querySelectorAll("*"), function (element) {
        var aside = !element.contains(caption) && !caption.contains(element);
        if (aside && element.parentElement.contains(caption)) stored.push(element); // a sibling on the way
      });
    });
    return stored;
  }

  /* A fresh output area for a run: the stored outputs are hidden, one button shows them again. */
  function clearOutput(index) {
    var area = outputArea(index);
    if (!area) return;
    area.textContent = "";
    var stored = storedOutputs(area.parentElement);
    stored.forEach(function (child) { child.hidden = true; });
    var label = document.createElement("p");
    label.className = "ll-live-label";
    var text = document.createElement("span");
    text.textContent = "Output of your run";
    label.appendChild(text);
    label.hidden = !stored.length; // else shown with the first output
    if (stored.length) {
      var toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "ll-live-link";
      toggle.textContent = "Show the book\u2019s output";
      toggle.setAttribute("aria-expanded", "false");
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        stored.forEach(function (child) { child.hidden = !open; });
        toggle.setAttribute("aria-expanded", String(open));
        toggle.textContent = (open ? "Hide" : "Show") + " the book\u2019s output";
      });
      label.appendChild(toggle);
    }
    area.appendChild(label);
  }

  function noOutput(index) {
    var area = outputArea(index);
    var label = area && area.querySelector(".ll-live-label span");
    if (label) label.textContent = "Your run showed no output.";
  }

  function block(area, kind, text) {
    var outer = document.createElement("div");
    outer.className = "output " + kind + " highlight-myst-ansi notranslate";
    var inner = document.createElement("div");
    inner.className = "highlight";
    var pre = document.createElement("pre");
    pre.textContent = text;
    inner.appendChild(pre);
    outer.appendChild(inner);
    area.appendChild(outer);
    return pre;
  }

  function show(index, output) {
    var area = outputArea(index);
    if (!area) return; // a cell the page does not show
    area.querySelector(".ll-live-label").hidden = false;
    var type = output.output_type;
    if (type === "stream") {
      var kind = output.name === "stderr" ? "stderr" : "stream";
      var last = area.lastElementChild;
      if (last && last.classList.contains(kind) && last.classList.contains("output")) {
        last.querySelector("pre").textContent += output.text;
      } else block(area, kind, output.text);
    } else if (type === "error") {
      block(area, "traceback", output.traceback.join("\n")).parentElement.parentElement.className =
        "output traceback highlight-ipythontb notranslate";
    } else if (type === "execute_result" || type === "display_data") {
      bundle(area, output.data || {}, index);
    }
  }

  function bundle(area, data, index) {
    if (data["application/vnd.plotly.v1+json"]) return figure(area, data["application/vnd.plotly.v1+json"], index);
    var element;
    if (data["text/html"] !== undefined) {
      element = document.createElement("div");
      element.className = "output text_html";
      element.innerHTML = [].concat(data["text/html"]).join("");
      area.appendChild(element);
    } else if (data["image/svg+xml"] !== undefined) {
      element = document.createElement("div");
      element.className = "output text_html";
      element.innerHTML = [].concat(data["image/svg+xml"]).join("");
      area.appendChild(element);
    } else if (data["image/png"] || data["image/jpeg"]) {
      var image = document.createElement("img");
      var png = data["image/png"];
      image.src = "data:image/" + (png ? "png" : "jpeg") + ";base64," + (png || data["image/jpeg"]);
      image.alt = "Image made by " + name(index);
      area.appendChild(image);
    } else {
      var text = data["text/plain"] !== undefined ? data["text/plain"] : JSON.stringify(data["application/json"], null, 1);
      block(area, "text_plain", [].concat(text).join(""));
    }
  }

  function figure(area, fig, index) {
    var spec = { data: fig.data || [], layout: fig.layout || {}, config: Object.assign({}, fig.config || {}) };
    delete spec.config.plotlyServerURL;
    Object.assign(spec.config, PAGE.figure.config);
    var holder = document.createElement("div");
    holder.className = "output text_html plotly-output";
    holder.setAttribute("role", "figure");
    holder.setAttribute("aria-label", "Figure made by your run of " + name(index));
    area.appendChild(holder);
    var types = spec.data.map(function (trace) { return trace.type || "scatter"; });
    var id = "ll-live-figure-" + ++figures;
    plotlyFor(types).then(function () {
      window.LambdaLabFigures.render(holder, spec, id);
    }, function () {
      block(holder, "stderr", "The figure cannot be drawn: plotly.js did not load.");
    });
  }

  function load(url) {
    if (!scripts[url]) {
      scripts[url] = new Promise(function (resolve, reject) {
        var element = document.createElement("script");
        element.src = url;
        element.onload = resolve;
        element.onerror = reject;
        document.head.appendChild(element);
      });
    }
    return scripts[url];
  }

  /* plotly.js (the cartesian bundle when the traces allow) and figures.js, unless the page has them. */
  function plotlyFor(types) {
    var full = types.some(function (type) { return CARTESIAN.indexOf(type) < 0; });
    var hasFull = !!document.querySelector('script[src*="plotly/plotly.min.js"]');
    var bundle = full ? "../plotly/plotly.min.js" : "../plotly/plotly-cartesian.min.js";
    var plotly = window.Plotly && (!full || hasFull) ? Promise.resolve() : load(new URL(bundle, BASE).href);
    return plotly.then(function () {
      return window.LambdaLabFigures ? null : load(new URL("../figures.js", BASE).href);
    });
  }

  /* --- Editing ------------------------------------------------------------------------------ */

  function editorOf(index) {
    var cell = container(index);
    return cell && cell.querySelector("textarea.ll-live-editor");
  }

  function fit(textarea) {
    textarea.style.height = "auto";
    textarea.style.height = textarea.scrollHeight + 2 + "px";
  }

  function toggleEdit(index, button) {
    var cell = cells.get(index);
    var code = container(index).querySelector(".cell_input .highlight-ipython3, .cell_input [class*='highlight-']");
    var editor = editorOf(index);
    var label = name(index);
    if (editor) {
      bar(index).removeChild(bar(index).querySelector(".ll-live-hint"));
      editor.parentElement.removeChild(editor);
      if (code) code.hidden = false;
      button.textContent = "Edit";
      button.setAttribute("aria-label", "Edit " + label);
      return;
    }
    editor = document.createElement("textarea");
    editor.className = "ll-live-editor";
    editor.value = cell.source;
    editor.spellcheck = false;
    editor.setAttribute("autocapitalize", "off");
    editor.setAttribute("autocomplete", "off");
    editor.setAttribute("aria-label", "Code of " + label);
    var hint = document.createElement("p");
    hint.className = "ll-live-hint";
    hint.id = "ll-live-hint-" + index;
    hint.textContent = "Shift+Enter runs the cell. Tab indents; press Esc, then Tab, to leave the editor.";
    editor.setAttribute("aria-describedby", hint.id);
    var anchor = code || bar(index);
    anchor.parentElement.insertBefore(editor, anchor);
    bar(index).appendChild(hint);
    if (code) code.hidden = true;
    fit(editor);
    editor.addEventListener("input", function () { fit(editor); });
    editor.addEventListener("keydown", function (event) { editorKey(event, editor, index); });
    button.textContent = "Reset";
    button.setAttribute("aria-label", "Reset " + label + " to the book's code");
    editor.focus();
  }

  function editorKey(event, editor, index) {
    if (event.key === "Enter" && (event.shiftKey || event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      enqueue([index], index);
    } else if (event.key === "Escape") {
      editor.llLeave = true;
    } else if (event.key === "Tab" && !editor.llLeave && !event.shiftKey) {
      event.preventDefault();
      var start = editor.selectionStart;
      editor.setRangeText("    ", start, editor.selectionEnd, "end");
      fit(editor);
    } else if (event.key !== "Shift") {
      editor.llLeave = false;
    }
  }

  /* --- Buttons ------------------------------------------------------------------------------ */

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest(".ll-live-button");
    if (!button) return;
    var index = Number(button.closest(".ll-live").getAttribute("data-cell"));
    if (button.classList.contains("ll-live-run")) enqueue([index], index);
    else if (button.classList.contains("ll-live-above")) {
      var above = PAGE.cells.filter(function (cell) { return cell.live && cell.index < index; });
      enqueue(above.map(function (cell) { return cell.index; }).concat([index]), index);
    } else if (button.classList.contains("ll-live-edit")) toggleEdit(index, button);
    else if (button.classList.contains("ll-live-stop")) stop();
  });
})();
