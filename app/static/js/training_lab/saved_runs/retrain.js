/**
 * retrain.js — "Train again with these settings": a saved (or imported) run's configuration, as
 * stored by the server (GET /api/runs/{id} `config`: the POST /api/jobs body the job ran with),
 * turned back into the Training form (model.js's flat form) so the student can re-run or tweak it.
 *
 *   const { form, notes } = formFromSavedConfig(config, ctx);   // ctx: {cat, defaults}
 *   notes → [{key, path, from, to, why: "above" | "below" | "unknown" | "fitted"}]
 *
 * The defaults and the bounds are today's, from the server's catalogue (GET /api/training/catalogue,
 * FORM_FIELDS): every field the form has is read from the config at its path; fields the config
 * does not have keep the default, fields the form does not know are ignored (an older or newer
 * release). A number outside today's bounds is clamped to the nearest allowed value (an exclusive
 * bound or a non-number falls back to the default), a choice the server no longer offers (a
 * deleted upload, an optimizer it dropped) falls back to the default; each such change is one
 * note, shown to the student in their language (view.js).
 */

import { FORM_FIELDS, clone, formBounds, same } from "../model.js";
import { sanitizeForm } from "../url_fields.js";
import { fitToCatalogue } from "../run_list.js";

const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function getPath(obj, path) {
  return path.split(".").reduce((node, part) => (isObject(node) ? node[part] : undefined), obj);
}

/**
 * `v` moved into the bounds `b` ({minimum, maximum, exclusive_minimum, exclusive_maximum, integer}):
 * the nearest allowed value, or null when there is none to move to (an exclusive bound).
 */
export function clampToBounds(v, b) {
  let x = b.integer ? Math.round(v) : v;
  if (b.minimum !== undefined && x < b.minimum) x = b.minimum;
  if (b.maximum !== undefined && x > b.maximum) x = b.maximum;
  if (b.exclusive_minimum !== undefined && x <= b.exclusive_minimum) return null;
  if (b.exclusive_maximum !== undefined && x >= b.exclusive_maximum) return null;
  return x;
}

/**
 * The Training form for a saved run's configuration, and what had to change to fit today's server.
 * @param {object} config the saved run's `config` (a POST /api/jobs body; unknown keys ignored)
 * @param {{cat: object, defaults: object}} ctx the page's catalogues (state.cat) and default form
 * @returns {{form: object, notes: {key: string, path: string, from: unknown, to: unknown, why: string}[]}}
 */
export function formFromSavedConfig(config, { cat, defaults }) {
  const catalogue = cat.catalogue;
  const notes = [];
  const note = (field, from, to, why) => notes.push({ key: field.key, path: field.path, from, to, why });
  const raw = {};
  const c = isObject(config) ? config : {};
  for (const field of FORM_FIELDS) {
    const v = getPath(c, field.path);
    if (v === undefined) continue; // an older run without this setting: today's default
    const b = formBounds(catalogue, field.key);
    if ((field.kind === "number" || field.kind === "optional") && isNum(v)) {
      const x = clampToBounds(v, b);
      if (x === null) {
        note(field, v, defaults[field.key], "unknown");
        continue;
      }
      if (x !== v) note(field, v, x, x < v ? "above" : "below");
      raw[field.key] = x;
    } else if (field.kind === "integers" && Array.isArray(v) && v.every(isNum)) {
      const widths = v.slice(0, b.max_items ?? v.length).map((w) => clampToBounds(w, { ...b, integer: true }) ?? 1);
      if (!same(widths, v)) note(field, v, widths, widths.length < v.length || widths.some((w, i) => w < v[i]) ? "above" : "below");
      raw[field.key] = widths;
    } else raw[field.key] = clone(v);
  }
  if (typeof raw.label !== "string") raw.label = "";
  // the data set's own sizes: the form says null ("the data set's default") when the run used it
  const ds = cat.datasetById.get(raw.ds);
  const own = ds?.defaults ?? {};
  for (const [key, name] of [["n", "n_samples"], ["noise", "noise"], ["cls", "classes"]]) {
    if (raw[key] !== undefined && raw[key] === own[name]) raw[key] = null;
  }
  // hyperparameters: the form keeps those that differ from the optimizer's defaults, within its bounds
  const spec = cat.optimizerById.get(raw.opt);
  if (isObject(raw.hp) && spec) {
    const hp = {};
    for (const h of spec.hyperparams ?? []) {
      const v = raw.hp[h.name];
      if (!isNum(v)) continue;
      const x = clampToBounds(v, { minimum: h.min, maximum: h.max, integer: h.integer });
      if (x !== v) notes.push({ key: "hp", path: `optimizer.params.${h.name}`, from: v, to: x ?? h.default, why: x === null ? "unknown" : x < v ? "above" : "below" });
      if ((x ?? h.default) !== h.default) hp[h.name] = x ?? h.default;
    }
    raw.hp = hp;
  }
  // whatever is still not what the server accepts falls back to the default (as a link's would)
  const checked = sanitizeForm(raw, { catalogue, defaults });
  const form = fitToCatalogue(cat, defaults, checked);
  for (const field of FORM_FIELDS) {
    if (!(field.key in raw) || field.key === "hp" || notes.some((n) => n.key === field.key)) continue;
    if (!same(form[field.key], raw[field.key])) note(field, raw[field.key], form[field.key], "fitted");
  }
  return { form, notes };
}
