// Run the codec checks (tests/pyodide/checks.py) inside Pyodide in Node; print their JSON on stdout.
//
//   node tests/pyodide/run_checks.mjs --numpy WHEEL --pydicom WHEEL --py DIR --cases DIR [--codecs DIST]
//   node tests/pyodide/run_checks.mjs ... --cases DIR --fuzz INDEX,INDEX,...
//   node tests/pyodide/run_checks.mjs ... --cases DIR --script FILE.py
//
// With --codecs, DIST is a build (scripts/build.py) whose codecs/ the page's codec bridge
// (web/codecs.js) loads, registered as Python's `dicompress_codecs` exactly as the worker
// does; the checks are then tests/pyodide/codec_checks.py, given the bridge's `need`.
// With --fuzz, DIR is a fuzz case folder (tests/fuzz_campaign.py's): the cases of those
// indices are converted one after the other by tests/pyodide/fuzz_case.py, and each
// prints a line {"index", "outcome": "started"} before and its outcome after, with the
// seconds it took, so the caller knows which case a hang or a crash belongs to.
// With --script, FILE.py (a benchmark of scripts/, say) is imported instead of the checks and
// its run(DIR) prints what it returns, as the checks' run does.
//
// Pyodide comes from the pinned npm package (node_modules/pyodide). numpy is Pyodide's
// official wheel and pydicom the pinned pure-Python wheel, both loaded from local files
// (the caller provides them, sha256-checked by scripts/build.py); nothing is downloaded.
// DIR of --py (the working tree's py/, so the current source of dicompress is tested),
// this folder and the case folder are mounted into Pyodide's file system with NODEFS.
// Everything Pyodide prints goes to stderr, so stdout carries the JSON document only.
// Any failure exits with status 1 and one line on stderr that says what went wrong.
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..", "..");
const PYODIDE = resolve(ROOT, "node_modules", "pyodide");
const MOUNTS = { py: "/mnt/py", checks: "/mnt/checks", cases: "/mnt/cases", script: "/mnt/script" };

function fail(message) {
  console.error(`run_checks: ${message}`);
  process.exit(1);
}

function options() {
  const { values } = parseArgs({
    options: {
      numpy: { type: "string" },
      pydicom: { type: "string" },
      py: { type: "string" },
      cases: { type: "string" },
      codecs: { type: "string" },
      fuzz: { type: "string" },
      script: { type: "string" },
    },
  });
  if (values.codecs) values.codecs = resolve(values.codecs);
  if (values.script) values.script = resolve(values.script);
  if (values.fuzz !== undefined && !/^\d+(,\d+)*$/.test(values.fuzz)) fail("--fuzz takes INDEX,INDEX,...");
  for (const name of ["numpy", "pydicom", "py", "cases"]) {
    if (!values[name]) fail(`--${name} is required`);
    values[name] = resolve(values[name]);
    if (!existsSync(values[name])) fail(`--${name} ${values[name]} does not exist`);
  }
  return values;
}

async function startPyodide() {
  if (!existsSync(resolve(PYODIDE, "pyodide.mjs"))) fail(`no Pyodide at ${PYODIDE}; run npm ci`);
  const require = createRequire(import.meta.url);
  const { loadPyodide } = require(PYODIDE);
  return loadPyodide({
    indexURL: PYODIDE + "/",
    stdout: (line) => console.error(line),
    stderr: (line) => console.error(line),
  });
}

// loadPackage reports a broken wheel through errorCallback and resolves anyway: collect and fail.
async function loadWheels(pyodide, wheels) {
  const errors = [];
  await pyodide.loadPackage(wheels, {
    messageCallback: (line) => console.error(line),
    errorCallback: (line) => errors.push(line),
  });
  if (errors.length) fail(`loading ${wheels.join(", ")} failed:\n${errors.join("\n")}`);
}

function mount(pyodide, hostDir, target) {
  pyodide.FS.mkdirTree(target);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: hostDir }, target);
}

// The page's codec bridge over the build's codec files, registered as the worker does.
async function codecBridge(pyodide, dist) {
  const { Codecs } = await import(pathToFileURL(resolve(ROOT, "web", "codecs.js")).href);
  const manifest = JSON.parse(readFileSync(resolve(dist, "manifest.json"), "utf8"));
  // Emscripten's scripts take their Node path here: require("fs") and __dirname at start-up
  // (CommonJS names an ES module lacks; the wasm itself is handed over as wasmBinary).
  globalThis.require ??= createRequire(import.meta.url);
  globalThis.__dirname ??= resolve(dist, "codecs");
  const codecs = new Codecs(async (family) => {
    const entry = manifest.codecs[family];
    const module = await import(pathToFileURL(resolve(dist, entry.script.url)).href);
    const wasmBinary = entry.wasm ? new Uint8Array(readFileSync(resolve(dist, entry.wasm.url))) : null;
    return { factory: module.default, wasmBinary, Decoder: module.Decoder };
  });
  pyodide.registerJsModule("dicompress_codecs", {
    decode: (family, bytes) => codecs.decode(family, bytes),
    encode: (family, bytes, frame) => codecs.encode(family, bytes, frame),
  });
  return (families) => codecs.need(families.toJs ? families.toJs() : families);
}

async function main() {
  const args = options();
  const pyodide = await startPyodide();
  await loadWheels(pyodide, [args.numpy, args.pydicom]);
  mount(pyodide, args.py, MOUNTS.py);
  mount(pyodide, HERE, MOUNTS.checks);
  mount(pyodide, args.cases, MOUNTS.cases);
  // No __pycache__ written into the mounted working tree.
  pyodide.runPython(`
import sys
sys.dont_write_bytecode = True
sys.path[:0] = ["${MOUNTS.py}", "${MOUNTS.checks}"]
`);
  if (args.codecs) {
    const need = await codecBridge(pyodide, args.codecs);
    const run = pyodide.pyimport("codec_checks").run;
    process.stdout.write((await run(MOUNTS.cases, need)) + "\n");
    return;
  }
  if (args.fuzz !== undefined) {
    runFuzz(pyodide, args.fuzz.split(",").map(Number));
    return;
  }
  let module = "checks";
  if (args.script) {
    mount(pyodide, dirname(args.script), MOUNTS.script);
    pyodide.runPython(`import sys; sys.path.insert(0, "${MOUNTS.script}")`);
    module = basename(args.script, ".py");
  }
  const run = pyodide.pyimport(module).run;
  process.stdout.write(run(MOUNTS.cases) + "\n");
}

// Writes to a pipe are synchronous on Linux: a line is out before the next case starts.
function runFuzz(pyodide, indices) {
  const fuzzCase = pyodide.pyimport("fuzz_case");
  fuzzCase.quiet();
  for (const index of indices) {
    process.stdout.write(JSON.stringify({ index, outcome: "started" }) + "\n");
    const start = performance.now();
    const line = JSON.parse(fuzzCase.convert_case(MOUNTS.cases, index));
    line.seconds = (performance.now() - start) / 1000;
    process.stdout.write(JSON.stringify(line) + "\n");
  }
}

main().catch((err) => fail(err && err.message ? err.message : String(err)));
