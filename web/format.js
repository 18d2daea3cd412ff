// Formatting for people: sizes, ratios, durations and output file names.

const UNITS = ["bytes", "kB", "MB", "GB"];

export function formatBytes(n) {
  if (!Number.isFinite(n)) return "—";
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

export function formatRatio(ratio) {
  return Number.isFinite(ratio) && ratio > 0 ? `${ratio.toFixed(2)} : 1` : "—";
}

export function formatSeconds(seconds) {
  if (!Number.isFinite(seconds)) return "—";
  return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`;
}

export function formatPercent(loaded, total) {
  if (!total) return `${formatBytes(loaded)}`;
  const percent = Math.min(100, Math.floor((100 * loaded) / total));
  return `${percent} % of ${formatBytes(total)}`;
}

const SUFFIX = { rle: "rle", explicit: "explicit", deflate: "deflate" };

// "scan/CT_small.dcm" -> "scan/CT_small-rle.dcm"; "IM0001" -> "IM0001-rle.dcm"
export function outputName(path, target) {
  const slash = path.lastIndexOf("/");
  const folder = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  const stem = name.replace(/\.(dcm|dicom|dic)$/i, "");
  return `${folder}${stem}-${SUFFIX[target] ?? target}.dcm`;
}

export function baseName(path) {
  return path.slice(path.lastIndexOf("/") + 1);
}
