/**
 * format.js — number formatting and file downloads shared by the pages.
 *
 *   import { fmt, fmtPoint, downloadText, toCSV } from "/static/js/shared/format.js";
 *   fmt(0.000123)            → "1.23e-4"      fmt(3.14159) → "3.142"     fmt(null) → "—"
 *   fmtPoint([-3.6, 1.9])    → "(−3.6, 1.9)"
 *   downloadText("runs.csv", toCSV(header, rows), "text/csv");
 */

/** A compact, readable number: 4 significant digits, exponent form for tiny/huge values. */
export function fmt(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  let text;
  if (abs >= 1e-3 && abs < 1e5) {
    text = String(Number(value.toPrecision(digits)));
  } else {
    const [mant, exp] = value.toExponential(digits - 1).split("e");
    text = `${String(Number(mant))}e${Number(exp)}`;
  }
  return text.replace(/^-/, "−");
}

/** "(x, y)" with fmt on each coordinate. */
export function fmtPoint(point, digits = 4) {
  if (!point) return "—";
  return `(${fmt(point[0], digits)}, ${fmt(point[1], digits)})`;
}

/** Parse a number typed by a person ("−3,6" is not accepted; "1e-3" and "−3.6" are). */
export function parseNumber(text) {
  const cleaned = String(text ?? "").trim().replace(/\u2212/g, "-");
  if (cleaned === "") return NaN;
  const n = Number(cleaned);
  return Number.isFinite(n) ? n : NaN;
}

function csvCell(value) {
  if (value === null || value === undefined) return "";
  const s = typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Build CSV text from a header row and data rows. */
export function toCSV(header, rows) {
  return [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\n") + "\n";
}

/** Offer `text` as a file download (Blob + temporary link). */
export function downloadText(filename, text, mime = "text/plain") {
  const blob = new Blob([text], { type: `${mime};charset=utf-8` });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.style.display = "none";
  document.body.append(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(url);
    a.remove();
  }, 1000);
}
