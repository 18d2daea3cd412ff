// Precompile pure-Python wheels to .pyc with Pyodide's own CPython (run by scripts/build.py).
//
//   node scripts/build.precompile.mjs OUT_DIR WHEEL...
//
// Each wheel is rewritten into OUT_DIR under the same file name: every module is
// replaced by its sourceless .pyc (as Pyodide ships its own packages) unless listed in
// SOURCE_PREFIXES, entries listed in DROP_PREFIXES are left out and RECORD is rewritten. The .pyc files carry
// the bytecode magic of the exact interpreter inside the pinned Pyodide, so the
// browser imports them without compiling anything.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { loadPyodide } = require("pyodide");

// Bundled test images inside pydicom's wheel: never used by the app, 1.1 MB compressed.
const DROP_PREFIXES = ["pydicom/data/test_files/"];
// Kept as source: never imported by the service, and their .pyc would be twice as large
// (pydicom's structured-reporting code dictionaries).
const SOURCE_PREFIXES = ["pydicom/sr/"];

const REWRITE = `
import base64, hashlib, io, zipfile, importlib.util, marshal

def _record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()

def _pyc(source, name):
    code = compile(source, name, "exec", dont_inherit=True, optimize=0)
    # A sourceless .pyc (as "compileall -b" writes): magic, flags 0, no timestamp.
    header = importlib.util.MAGIC_NUMBER + bytes(12)
    return header + marshal.dumps(code)

def rewrite(wheel, drop, keep_source):
    src = zipfile.ZipFile(io.BytesIO(wheel))
    entries = []
    record_name = None
    for info in src.infolist():
        name = info.filename
        if name.endswith(".dist-info/RECORD"):
            record_name = name
            continue
        if any(name.startswith(p) for p in drop) or name.endswith("/"):
            continue
        data = src.read(name)
        if name.endswith(".py") and not any(name.startswith(p) for p in keep_source):
            name, data = name + "c", _pyc(data, name)
        entries.append((name, data))
    lines = [f"{n},{_record_hash(d)},{len(d)}" for n, d in entries]
    lines.append(f"{record_name},,")
    entries.append((record_name, ("\\n".join(lines) + "\\n").encode()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data)
    return out.getvalue()
`;

async function main() {
  const [outDir, ...wheels] = process.argv.slice(2);
  if (!outDir || wheels.length === 0) {
    console.error("usage: node scripts/build.precompile.mjs OUT_DIR WHEEL...");
    process.exit(2);
  }
  const pyodide = await loadPyodide({ stdout: () => {}, stderr: (m) => console.error(m) });
  pyodide.runPython(REWRITE);
  const rewrite = pyodide.globals.get("rewrite");
  for (const wheel of wheels) {
    const data = new Uint8Array(readFileSync(wheel));
    const result = rewrite(pyodide.toPy(data), pyodide.toPy(DROP_PREFIXES), pyodide.toPy(SOURCE_PREFIXES));
    const bytes = result.toJs();
    result.destroy();
    const target = join(resolve(outDir), basename(wheel));
    writeFileSync(target, bytes);
    console.log(`precompiled ${basename(wheel)} (${bytes.length} bytes)`);
  }
  rewrite.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
