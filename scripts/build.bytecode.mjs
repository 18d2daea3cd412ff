// Bytecode for Pyodide's own Python sources (run by scripts/build.py).
//
//   node scripts/build.bytecode.mjs OUT_DIR PYODIDE_DIR PACKAGE...
//
// Pyodide's standard library archive (python_stdlib.zip, npm package) holds sources only:
// OUT_DIR/python_stdlib.zip is the same archive with every module replaced by its
// sourceless .pyc (as `pyodide py-compile` writes them; a file Python cannot compile stays
// as it is), which the worker gives loadPyodide() as its `stdLibURL`.
//
// Pyodide's official numpy and micropip wheels carry .py files only, so every start of
// the page compiled them again (about half of `import numpy` in the worker). This loads
// PACKAGE... from PYODIDE_DIR (the build's pyodide/ folder, official wheels checked
// against pyodide-lock.json) into the pinned Pyodide, imports them, and writes what they
// imported from site-packages as unchecked hash-based .pyc files (PEP 552: valid whatever
// the sources' timestamps after unpacking) into OUT_DIR/TOP.zip, one archive per top-level
// package, with paths relative to site-packages. The worker unpacks an archive into
// site-packages right after loading its package; the wheels themselves stay untouched.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const require = createRequire(import.meta.url);
const { loadPyodide } = require("pyodide");

const COLLECT = `
import importlib.util, io, marshal, os, site, sys, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

def collect(packages):
    for name in packages:
        __import__(name)
    root = site.getsitepackages()[0]
    found = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        if not (path.startswith(root + "/") and path.endswith(".py")):
            continue
        with open(path, "rb") as f:
            source = f.read()
        code = compile(source, path, "exec", dont_inherit=True, optimize=0)
        pyc = _code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False)
        cached = os.path.relpath(importlib.util.cache_from_source(path), root)
        found.setdefault(cached.split("/")[0], {})[cached] = bytes(pyc)
    archives = {}
    for top, files in found.items():
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, files[name])
        archives[top] = out.getvalue()
    return archives

def stdlib(data):
    source = zipfile.ZipFile(io.BytesIO(bytes(data)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            name, content = info.filename, source.read(info)
            if name.endswith(".py"):
                try:
                    code = compile(content, name, "exec", dont_inherit=True, optimize=0)
                    name, content = name + "c", importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)
                except SyntaxError:
                    pass
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            archive.writestr(entry, content)
    return out.getvalue()
`;

async function main() {
  const [outDir, pyodideDir, ...packages] = process.argv.slice(2);
  if (!outDir || !pyodideDir || packages.length === 0) {
    console.error("usage: node scripts/build.bytecode.mjs OUT_DIR PYODIDE_DIR PACKAGE...");
    process.exit(2);
  }
  const indexURL = resolve(pyodideDir) + "/";
  const pyodide = await loadPyodide({ indexURL, stdout: () => {}, stderr: (m) => console.error(m) });
  await pyodide.loadPackage(packages, { messageCallback: () => {}, errorCallback: (m) => console.error(m) });
  pyodide.runPython(COLLECT);
  const collect = pyodide.globals.get("collect");
  const archives = collect(pyodide.toPy(packages));
  mkdirSync(outDir, { recursive: true });
  for (const [top, data] of archives.toJs()) {
    writeFileSync(join(resolve(outDir), `${top}.zip`), data);
    console.log(`bytecode for ${top} (${data.length} bytes)`);
  }
  archives.destroy();
  collect.destroy();
  const rewrite = pyodide.globals.get("stdlib");
  const compiled = rewrite(pyodide.toPy(new Uint8Array(readFileSync(join(indexURL, "python_stdlib.zip")))));
  writeFileSync(join(resolve(outDir), "python_stdlib.zip"), compiled.toJs());
  console.log(`bytecode for the standard library (${compiled.length} bytes)`);
  compiled.destroy();
  rewrite.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
