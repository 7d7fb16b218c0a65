/* Lambda Lab: Python for one page, in a module worker, so that the page stays responsive.

   Loads Pyodide from this site's own folder (indexURL and lockFileURL must be absolute URLs in a
   module worker), the kernel (kernel.py) and IPython's pretty printer (pretty.py), then runs the
   cells run.js sends, one at a time, in one namespace. Wheels come from the site's lock file
   (checked against its sha256): `preload` (what the first cells import, usually lambdalab) while
   Python starts, the rest before the first cell that imports them (plotly with its two
   dependencies at the first `import plotly`). Nothing is fetched from another host.

   Messages in:  {type: "start", indexURL, kernelURL, prettyURL, preload}, {type: "run", id, code}
   Messages out: {type: "ready", seconds}, {type: "failed", message},
                 {type: "loading", id, packages}, {type: "running", id},
                 {type: "output", id, json}, {type: "done", id, status, execution_count} */

let pyodide = null;
let kernel = null;
let current = null; // the id of the run whose outputs the kernel is sending
let lock = {};
let chain = Promise.resolve();
const HOME = "/lambdalab_live";

self.onmessage = (event) => {
  chain = chain.then(() => handle(event.data)).catch((error) => {
    self.postMessage({ type: "failed", message: String((error && error.message) || error) });
  });
};

async function handle(message) {
  if (message.type === "start") await start(message);
  else if (message.type === "run") await run(message);
}

async function text(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  return response.text();
}

async function start({ indexURL, kernelURL, prettyURL, preload }) {
  const began = performance.now();
  const { loadPyodide } = await import(new URL("pyodide.mjs", indexURL).href);
  const lockText = await text(new URL("pyodide-lock.json", indexURL).href);
  lock = JSON.parse(lockText).packages;
  // Python, the kernel and the pretty printer download side by side.
  const [python, kernelSource, prettySource] = await Promise.all([
    loadPyodide({ indexURL, lockFileContents: lockText, packageBaseUrl: indexURL, stdout: quiet, stderr: quiet }),
    text(kernelURL),
    text(prettyURL).catch(() => ""),
  ]);
  pyodide = python;
  // The kernel and the pretty printer as modules of their own, found on sys.path.
  pyodide.FS.mkdirTree(HOME);
  pyodide.FS.writeFile(`${HOME}/lambdalab_live_kernel.py`, kernelSource);
  if (prettySource) pyodide.FS.writeFile(`${HOME}/lambdalab_live_pretty.py`, prettySource);
  pyodide.runPython(`import sys; sys.path.append("${HOME}")`);
  const module = pyodide.pyimport("lambdalab_live_kernel");
  kernel = module.make((json) => {
    self.postMessage({ type: "output", id: current, json }); // as Python wrote it: 1.0 stays a float
  });
  module.destroy();
  await install((preload || []).filter((name) => name in lock));
  self.postMessage({ type: "ready", seconds: (performance.now() - began) / 1000 });
}

function quiet() {}

async function install(packages) {
  if (!packages.length) return;
  const errors = [];
  await pyodide.loadPackage(packages, { messageCallback: quiet, errorCallback: (m) => errors.push(m) });
  if (errors.length) throw new Error(errors.join("\n"));
}

/* The lock file's packages a cell's imports need that are not installed yet. */
function missing(code) {
  let names = [];
  try {
    const found = pyodide.pyodide_py.code.find_imports(code);
    names = found.toJs();
    found.destroy();
  } catch (error) {
    return []; // not valid Python: the kernel reports the SyntaxError
  }
  const wanted = new Set();
  const visit = (name) => {
    if (wanted.has(name) || pyodide.loadedPackages[name]) return;
    wanted.add(name);
    (lock[name].depends || []).forEach(visit);
  };
  for (const [name, info] of Object.entries(lock)) {
    if (names.some((n) => info.imports.includes(n.split(".")[0]))) visit(name);
  }
  return [...wanted];
}

async function run({ id, code }) {
  if (!kernel) throw new Error("Python did not start");
  current = id;
  const packages = missing(code);
  if (packages.length) {
    self.postMessage({ type: "loading", id, packages });
    await install(packages);
  }
  self.postMessage({ type: "running", id });
  const result = JSON.parse(await kernel.run(code));
  self.postMessage({ type: "done", id, ...result });
}
