/**
 * errors.js — API errors in the user's language (docs/errors.md, contracts: "Error bodies with codes").
 *
 * Every error item of the API carries a stable `code` and its `params`; this module renders an
 * item as "<field label>: <text>", the text being the dictionary entry `err.<code>` (shared/
 * dictionary.js, en + ko) with "{name}" replaced by `params.name` ("{msg}" is the server's own
 * message). Without an entry, or when the entry needs a param the item lacks, the server's
 * `msg` is shown instead.
 *
 *   import { formatApiError } from "/static/js/shared/errors.js";
 *   try { await postJSON(...); }
 *   catch (err) { status.textContent = formatApiError(err, { fieldLabel }); }
 *
 * `fieldLabel(loc, item)` is the page's: it maps a `loc` path (["body", "configs", 0, "epochs"]) to
 * the form field's visible label ("Epochs (run 1)"), or returns null to fall back to the dotted
 * path. `item` is the whole error item, for params such as `index` (a layer of a list).
 */

import { fmt } from "./format.js";
import { getLang, hasKey, t } from "./i18n.js";

const LOCATION_ROOTS = new Set(["body", "query", "path", "header"]);
const MAX_ITEMS = 3;

/** The dotted field path of a loc without its location root: ["body", "runs", 0, "lr"] → "runs.0.lr". */
export function fieldPath(loc) {
  if (!Array.isArray(loc)) return "";
  return loc.filter((p, i) => !(i === 0 && LOCATION_ROOTS.has(p))).join(".");
}

/** A param as text: integers below 10⁷ exactly, other numbers as fmt() (4 digits), lists joined. */
function paramText(value, lang) {
  if (typeof value === "number") return Number.isInteger(value) && Math.abs(value) < 1e7 ? String(value) : fmt(value);
  if (Array.isArray(value)) return value.map((v) => paramText(v, lang)).join(", ");
  if (value === null || value === undefined) return "";
  // pydantic's literal choices read "'a', 'b' or 'c'": the "or" is English
  return lang === "ko" ? String(value).replace(/ or /g, ", ") : String(value);
}

/** The localized text of one item's code, or null when there is none (or a param is missing). */
export function codeText(item) {
  const code = item && typeof item.code === "string" ? item.code : null;
  if (!code || !hasKey(`err.${code}`)) return null;
  const lang = getLang();
  const vars = { msg: item.msg ?? "" };
  for (const [name, value] of Object.entries(item.params || {})) vars[name] = paramText(value, lang);
  const template = t(`err.${code}`);
  for (const [, name] of template.matchAll(/\{(\w+)\}/g)) if (!(name in vars)) return null;
  return t(`err.${code}`, vars);
}

/**
 * The visible label of a form control: its <label>'s caption (`.field-label` or the translated
 * span), else its aria-label; a trailing "=" or ":" dropped ("f(x, y) =" → "f(x, y)"). For pages'
 * `fieldLabel` functions, so an error names the field as the student sees it.
 * @param {Element|null} el
 * @returns {string|null}
 */
export function labelOf(el) {
  if (!el) return null;
  const caption = el.closest("label")?.querySelector(".field-label, [data-i18n], [data-hp-label], [data-sp-label]");
  const text = caption?.textContent || el.getAttribute("aria-label") || "";
  return text.replace(/\s*[=:]\s*$/, "").trim() || null;
}

/** "field (run name)" for an error of one of several runs. */
export function inRun(field, run) {
  return field && run ? t("err.in_run", { field, run }) : field;
}

/** One error item as "label: text" (`fieldLabel(loc, item)` may return null: the dotted path is used). */
export function formatItem(item, { fieldLabel } = {}) {
  if (!item || typeof item !== "object") return String(item ?? "");
  const text = codeText(item) ?? item.msg ?? t("common.invalid_value");
  const label = (fieldLabel && Array.isArray(item.loc) ? fieldLabel(item.loc, item) : null) || fieldPath(item.loc);
  return label ? `${label}: ${text}` : text;
}

/** The error items of an `ApiError` / a `detail` list / one item / a job's `error` event, or null. */
function itemsOf(error) {
  if (Array.isArray(error)) return error;
  if (Array.isArray(error.detail)) return error.detail;
  if (error.detail && typeof error.detail === "object" && error.detail.code) return itemsOf(error.detail);
  if (typeof error.code === "string" && error.code) {
    // a job's `error` event: {status, message, field, code, params}
    const loc = error.loc ?? (error.field ? ["body", ...String(error.field).split(".")] : []);
    return [{ ...error, loc, msg: error.msg ?? error.message }];
  }
  return null;
}

/**
 * An API error (an `ApiError` from shared/api.js, a `detail` list, one item, a job's `error`
 * event, or any Error) as one localized line; identical lines are shown once, at most three.
 * @param {unknown} error
 * @param {{fieldLabel?: (loc: Array<string|number>, item: object) => string|null}} [options]
 * @returns {string}
 */
export function formatApiError(error, { fieldLabel } = {}) {
  if (error === null || error === undefined) return "";
  if (typeof error !== "object") return String(error);
  if (error.status === 0) return t("common.server_unreachable", { message: error.message ?? "" });
  const items = itemsOf(error);
  if (!items || !items.length) {
    if (typeof error.detail === "string" && error.detail) return error.detail;
    return error.message ?? String(error);
  }
  const lines = [...new Set(items.map((item) => formatItem(item, { fieldLabel })))];
  const shown = lines.slice(0, MAX_ITEMS);
  if (lines.length > MAX_ITEMS) shown.push(t("err.more", { n: lines.length - MAX_ITEMS }));
  return shown.join("; ");
}
