// Formatting for people: sizes, ratios, durations and file names.

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

export function baseName(path) {
  return path.slice(path.lastIndexOf("/") + 1);
}
