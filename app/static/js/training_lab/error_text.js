/**
 * error_text.js — a Training Lab API error as the student reads it (issue 8 point 10): the form
 * field's visible label ("epochs (run 2)"), not the JSON path ("configs.1.epochs") nor the
 * server's environment variable, with the text in the page's language.
 *
 * The wording comes from shared/errors.js's `formatApiError` (codes + params → `err.<code>`
 * dictionary entries; contracts2.md A) when that module is present; until then each error item's
 * `msg` is shown after the field label.
 *
 *   import { errorText, fieldLabel } from "./error_text.js";
 *   runError = errorText(err, runs.length);
 */

import { t } from "../shared/i18n.js";
import { formKeyOfField } from "./model.js";

let shared = null;
import("../shared/errors.js")
  .then((m) => {
    shared = m;
  })
  .catch(() => {
    shared = null; // not there yet: the fallback below names the field and shows the message
  });

const LOCATION_ROOTS = new Set(["body", "query", "path", "header"]);

/** The caption of the form control that edits form key `key` (null when none is shown). */
function controlLabel(key, path) {
  let el = null;
  if (key === "hp") el = document.querySelector(`[data-hp="${path.split(".").pop()}"]`);
  else if (key === "sch") el = document.querySelector(`[data-sp="${path.split(".").pop()}"]`) ?? document.getElementById("sched-select");
  else if (key === "es") el = document.getElementById(`es-${path.split(".").pop().replace("_", "-")}`) ?? document.getElementById("es-check");
  else el = document.querySelector(`#training-form [data-key="${key}"]`);
  const caption = el?.closest("label")?.querySelector(".field-label, span");
  return caption ? caption.textContent.trim() : null;
}

/**
 * The visible label of the field an error `loc` points at: ["body", "configs", 1, "epochs"] →
 * "epochs (run 2)"; null when no form field matches.
 * @param {(string|number)[]} loc
 * @param {number} runCount runs in the experiment (the run number is added when > 1)
 */
export function fieldLabel(loc, runCount = 1) {
  if (!Array.isArray(loc)) return null;
  const parts = loc.filter((p, i) => !(i === 0 && LOCATION_ROOTS.has(p)));
  let run = null;
  if (parts[0] === "configs" && Number.isInteger(parts[1])) run = parts[1];
  const path = (run === null ? parts : parts.slice(2)).join(".");
  const key = formKeyOfField(path);
  const label = key ? controlLabel(key, path) : null;
  if (!label) return null;
  return run !== null && runCount > 1 ? `${label} (${t("train.run_n", { n: run + 1 })})` : label;
}

/**
 * A readable message for an error thrown by shared/api.js (an ApiError with `detail`).
 * @param {Error} err
 * @param {number} runCount
 */
export function errorText(err, runCount = 1) {
  const label = (loc) => fieldLabel(loc, runCount);
  if (shared?.formatApiError) return shared.formatApiError(err, { fieldLabel: label });
  const items = Array.isArray(err?.detail) ? err.detail : [];
  if (!items.length) return String(err?.message ?? err);
  const seen = new Set();
  const lines = [];
  for (const item of items) {
    const text = `${label(item.loc) ?? t("train.some_field")}: ${item.msg ?? ""}`;
    if (!seen.has(text)) lines.push(text);
    seen.add(text);
  }
  return lines.slice(0, 3).join(" · ");
}
