/**
 * form_edits.js — reading one edited control of the Training Lab's form back into the run's
 * form object (model.js), with the server's bounds (GET /api/training/catalogue) for numbers and
 * the API's specs (GET /api/optimizers, /api/schedules) for hyperparameters and schedules.
 *
 *   import { readEdit, defaultSchedule } from "./form_edits.js";
 *   const { ok, form } = readEdit(input, currentForm, { cat, root, lastEs });
 *
 * `ok` is false when the typed value is not accepted (the form keeps its last valid value);
 * `form` is a new object (the current one is not modified).
 */

import { parseNumber } from "../shared/format.js";
import { defaultEarlyStopping, FIELD_BY_KEY, clone, formBounds, parseHidden, withinBounds } from "./model.js";

const $ = (root, sel) => root.querySelector(sel);

/** Bounds in the catalogue's form from an API spec's min / max (null or undefined: none). */
function bounds(min, max, integer) {
  const out = { integer };
  if (min !== null && min !== undefined && Number.isFinite(min)) out.minimum = min;
  if (max !== null && max !== undefined && Number.isFinite(max)) out.maximum = max;
  return out;
}

/** A typed number checked against bounds as the catalogue states them (`optional`: "" = null). */
function num(input, b = {}) {
  const text = input.value.trim();
  if (b.optional && text === "") return { ok: true, value: null };
  const v = parseNumber(text);
  return { ok: withinBounds(v, b), value: v };
}

/** Default schedule object for a schedule id (null for constant). */
export function defaultSchedule(cat, id) {
  const spec = cat.scheduleById.get(id);
  if (!spec || id === "constant") return null;
  const out = { type: id };
  for (const p of spec.params ?? []) out[p.name] = clone(p.default);
  return out;
}

function readHyperparam(el, f, { cat }) {
  const spec = cat.optimizerById.get(f.opt);
  const hp = (spec?.hyperparams ?? []).find((h) => h.name === el.dataset.hp);
  const res = num(el, bounds(hp?.min, hp?.max, Boolean(hp?.integer)));
  if (!res.ok) return false;
  f.hp = { ...(f.hp || {}) };
  if (hp && res.value === hp.default) delete f.hp[hp.name];
  else f.hp[el.dataset.hp] = res.value;
  return true;
}

function readSchedule(el, f, { cat, root }) {
  if (el.id === "sched-select") {
    f.sch = defaultSchedule(cat, el.value);
    return true;
  }
  const kind = el.dataset.kind;
  const sch = { ...(f.sch || defaultSchedule(cat, $(root, "#sched-select").value) || {}) };
  let ok = true;
  if (kind === "bool") sch[el.dataset.sp] = el.checked;
  else if (kind === "list") {
    const parts = el.value.split(/[\s,;]+/).filter(Boolean).map(parseNumber);
    ok = parts.length > 0 && parts.every(Number.isFinite);
    if (ok) sch[el.dataset.sp] = parts;
  } else {
    const res = num(el, bounds(el.min === "" ? null : Number(el.min), el.max === "" ? null : Number(el.max), kind === "integer"));
    ok = res.ok;
    if (ok) sch[el.dataset.sp] = res.value;
  }
  if (ok) f.sch = sch;
  return ok;
}

function readClip(el, f, { cat, root }) {
  const mode = $(root, "#clip-mode").value;
  const res = num($(root, "#clip-max"), cat.catalogue.bounds["optimizer.clip.max"] ?? {});
  if (!mode) {
    f.clip = null;
    return true;
  }
  f.clip = { mode, max: res.ok ? res.value : cat.catalogue.optional_defaults["optimizer.clip"].max };
  return res.ok || el.id === "clip-mode";
}

function readEarlyStopping(el, f, ctx) {
  const { cat, root } = ctx;
  const b = (name) => cat.catalogue.bounds[`early_stopping.${name}`] ?? {};
  const patience = num($(root, "#es-patience"), b("patience"));
  const minDelta = num($(root, "#es-min-delta"), b("min_delta"));
  const es = {
    monitor: $(root, "#es-monitor").value,
    patience: patience.ok ? patience.value : (f.es?.patience ?? defaultEarlyStopping(cat.catalogue).patience),
    min_delta: minDelta.ok ? minDelta.value : (f.es?.min_delta ?? defaultEarlyStopping(cat.catalogue).min_delta),
    mode: $(root, "#es-mode").value,
    restore_best_weights: $(root, "#es-restore").checked,
  };
  ctx.lastEs = es;
  f.es = $(root, "#es-check").checked ? es : null;
  return el.id === "es-patience" ? patience.ok : el.id === "es-min-delta" ? minDelta.ok : true;
}

function readPlain(el, f, key) {
  if (key === "ds") {
    // a new data set starts from its own defaults
    Object.assign(f, { ds: el.value, n: null, noise: null, cls: null });
  } else if (key === "h") {
    const h = parseHidden(el.value);
    if (h === null) return false;
    f.h = h;
  } else if (key === "bn") f.bn = el.checked;
  else if (key === "label") f.label = el.value.slice(0, 100);
  else if (key === "opt") Object.assign(f, { opt: el.value, hp: {} });
  else f[key] = el.value; // act, init
  return true;
}

/** Sharpness during training (docs/landscape.md): the catalogue's defaults with the typed every / iterations. */
function readSharpness(el, f, ctx) {
  const { cat, root } = ctx;
  const start = { ...cat.catalogue.optional_defaults.sharpness, ...(f.shp || {}) };
  const b = (name) => ({ ...(cat.catalogue.bounds[`sharpness.${name}`] ?? {}), integer: true });
  const every = num($(root, "#shp-every"), b("every"));
  const iterations = num($(root, "#shp-iterations"), b("iterations"));
  const shp = { ...start, every: every.ok ? every.value : start.every, iterations: iterations.ok ? iterations.value : start.iterations };
  f.shp = $(root, "#shp-check").checked ? shp : null;
  return el.id === "shp-every" ? every.ok : el.id === "shp-iterations" ? iterations.ok : true;
}

const READERS = { hp: readHyperparam, sch: readSchedule, clip: readClip, es: readEarlyStopping, shp: readSharpness };

/**
 * The form after an edit of control `el` (its `data-key` names the form key).
 * @param {HTMLElement} el the edited control
 * @param {object} form the current form (not modified)
 * @param {{cat: object, root: HTMLElement, lastEs?: object}} ctx catalogues, the form element;
 *   `lastEs` is set to the early-stopping settings last read (kept while it is switched off)
 * @returns {{ok: boolean, form: object}}
 */
export function readEdit(el, form, ctx) {
  const key = el.dataset.key;
  const f = clone(form);
  const field = FIELD_BY_KEY.get(key);
  if (field && (field.kind === "number" || field.kind === "optional")) {
    // numeric fields: the server's bounds; "optional" ones may be left empty (null = default)
    const res = num(el, { ...formBounds(ctx.cat.catalogue, key), optional: field.kind === "optional" });
    if (res.ok) f[key] = res.value;
    return { ok: res.ok, form: f };
  }
  const ok = READERS[key] ? READERS[key](el, f, ctx) : readPlain(el, f, key);
  return { ok, form: f };
}
