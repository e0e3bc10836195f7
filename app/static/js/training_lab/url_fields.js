/**
 * url_fields.js — the Training Lab's page state ⇄ URL, declared once as a table
 * (shared/url_fields.js derives reading and writing from it).
 *
 * The page state (what the URL carries) is
 *   {v: "train"|"init", runs: [form…], sel: i, pr: presetId|null,
 *    hv: "a"|"b"|"c"|"d" (histogram view), hq: "act"|"pre"|"w" (activations, pre-activations, weights),
 *    hi: inference-mode histograms (batch-norm runs), hc: histograms of every run side by side,
 *    ly: "auto"|"log"|"linear" (loss axis), ie: {…init experiment…, own: per-panel x axes}}
 * and is written as {v, b: diff(run 0, defaults), r: [diff(run i, run 0)…], …} so a link stays
 * short. Every form read back is checked field by field against the server's bounds
 * (GET /api/training/catalogue, through model.js's FORM_FIELDS); a wrong value keeps the default
 * (catalogue ids that the server does not offer are fitted later, see run_list.js).
 *
 *   import { stateFromUrl, stateToUrl } from "./url_fields.js";
 *   const state = stateFromUrl(readUrlState(), ctx);   // ctx: {catalogue, defaults}
 *   writeUrlState(stateToUrl(state, ctx));
 */

import { readFields, writeFields, integer, flag, oneOf } from "../shared/url_fields.js";
import {
  defaultEarlyStopping,
  DEFAULT_INIT_EXPERIMENT,
  defaultLandscape,
  LANDSCAPE_DIRECTIONS,
  FORM_FIELDS,
  HIST_QUANTITIES,
  HIST_VIEWS,
  INIT_PANELS,
  LOSS_SCALES,
  VIEWS,
  diffForm,
  formBounds,
  makeForm,
  same,
  withinBounds,
} from "./model.js";
import { PRESET_BY_ID } from "./presets.js";
import { decodeSearchForm, encodeSearchForm } from "./search/model.js"; // search: the search view's form

const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** One form field read from a URL: the value when the server's bounds accept it, else `fallback`. */
function readField(field, value, fallback, catalogue) {
  const b = formBounds(catalogue, field.key);
  switch (field.kind) {
    case "optional":
      return value === null || withinBounds(value, b) ? value : fallback;
    case "number":
      return withinBounds(value, b) ? value : fallback;
    case "integers":
      return Array.isArray(value) && value.length <= (b.max_items ?? Infinity) && value.every((w) => withinBounds(w, { ...b, integer: true })) ? value : fallback;
    case "choice":
      // uploads: b.pattern also admits the ids of uploaded data sets ("upload:<hex>")
      return typeof value === "string" && (!b.choices || b.choices.includes(value) || (b.pattern && new RegExp(`^(?:${b.pattern})$`).test(value))) ? value : fallback;
    case "bool":
      return value === true || value === false ? value : fallback;
    case "text":
      return typeof value === "string" ? value.slice(0, b.max_length ?? 100) : fallback;
    default:
      return readObject(field.key, value, fallback, catalogue);
  }
}

function readObject(key, value, fallback, catalogue) {
  if (key === "hp") return isObject(value) ? Object.fromEntries(Object.entries(value).filter(([, v]) => isNum(v))) : fallback;
  if (key === "sch") return value === null || (isObject(value) && typeof value.type === "string") ? value : fallback;
  if (key === "clip") {
    if (value === null) return null;
    const modes = catalogue.bounds["optimizer.clip.mode"]?.choices ?? [];
    return isObject(value) && modes.includes(value.mode) && withinBounds(value.max, catalogue.bounds["optimizer.clip.max"] ?? {})
      ? { mode: value.mode, max: value.max }
      : fallback;
  }
  if (key === "shp") {
    // sharpness during training (docs/landscape.md): every / iterations / samples within the catalogue's bounds
    if (!isObject(value)) return null;
    const start = catalogue.optional_defaults.sharpness;
    const ok = (name) => withinBounds(value[name], { ...(catalogue.bounds[`sharpness.${name}`] ?? {}), integer: true });
    return Object.fromEntries(Object.keys(start).map((name) => [name, ok(name) ? value[name] : start[name]]));
  }
  if (key === "es") {
    if (!isObject(value)) return null;
    const start = defaultEarlyStopping(catalogue);
    const es = { ...start, ...value };
    const b = (name) => catalogue.bounds[`early_stopping.${name}`] ?? {};
    const choice = (name) => ((b(name).choices ?? []).includes(es[name]) ? es[name] : start[name]);
    return {
      monitor: choice("monitor"),
      min_delta: withinBounds(es.min_delta, b("min_delta")) ? es.min_delta : start.min_delta,
      patience: withinBounds(es.patience, b("patience")) ? es.patience : start.patience,
      mode: choice("mode"),
      restore_best_weights: es.restore_best_weights !== false,
    };
  }
  return fallback;
}

/**
 * Clean one form read from a URL: every field checked against the server's bounds; a wrong value
 * falls back to the default.
 * @param {object} raw
 * @param {{catalogue: object, defaults: object}} ctx
 */
export function sanitizeForm(raw, { catalogue, defaults }) {
  const f = makeForm(isObject(raw) ? raw : {}, defaults);
  for (const field of FORM_FIELDS) f[field.key] = readField(field, f[field.key], defaults[field.key], catalogue);
  return f;
}

const runsOf = (state) => (state.runs.length ? state.runs : null);

/** The table: key in the URL, path in the page state, codec (see shared/url_fields.js). */
export const FIELDS = [
  { key: "v", path: "v", omit: (v) => v === "train", ...oneOf(VIEWS) },
  {
    key: "b",
    path: "runs",
    omit: (runs, state, { defaults }) => !Object.keys(diffForm(runs[0] ?? defaults, defaults)).length,
    encode: (runs, { defaults }) => diffForm(runs[0] ?? defaults, defaults),
    decode: (b, ctx) => [sanitizeForm(b, ctx)],
  },
  {
    key: "r",
    path: "runs",
    omit: (runs) => runs.length < 2,
    encode: (runs) => runs.slice(1).map((r) => diffForm(r, runs[0])),
    decode: (r, ctx, draft) =>
      Array.isArray(r) ? [draft.runs[0], ...r.slice(0, ctx.catalogue.limits.max_comparison_runs - 1).map((p) => sanitizeForm(makeForm(p, draft.runs[0]), ctx))] : undefined,
  },
  { key: "sel", path: "sel", omit: (v) => !v, decode: (v, ctx, draft) => integer({ min: 0, max: draft.runs.length - 1 }).decode(v, ctx) },
  { key: "pr", path: "pr", omit: (v) => !v, decode: (v) => (PRESET_BY_ID.has(v) ? v : null), always: true },
  { key: "hv", path: "hv", omit: (v) => v === "a", ...oneOf(HIST_VIEWS) },
  { key: "hq", path: "hq", omit: (v) => v === "act", ...oneOf(HIST_QUANTITIES) },
  { key: "hi", path: "hi", omit: (v) => !v, ...flag() },
  { key: "hc", path: "hc", omit: (v) => !v, ...flag() },
  { key: "ly", path: "ly", omit: (v) => v === "auto", ...oneOf(LOSS_SCALES) },
  { key: "ie.own", path: "ie.own", omit: (v) => !v, encode: (v) => v, decode: flag().decode },
  {
    key: "ie.panels",
    path: "ie.panels",
    omit: (v) => same(v, DEFAULT_INIT_EXPERIMENT.panels),
    decode: (v) => (Array.isArray(v) ? v.filter((p) => INIT_PANELS.some((x) => x.id === p)) : undefined),
  },
  ...[
    ["n", ({ catalogue }) => catalogue.limits.max_activation_samples],
    ["features", Infinity],
    ["layers", ({ catalogue }) => catalogue.limits.max_layers],
    ["width", ({ catalogue }) => catalogue.limits.max_width],
  ].map(([name, max]) => ({ key: `ie.${name}`, path: `ie.${name}`, omit: (v) => v === DEFAULT_INIT_EXPERIMENT[name], ...integer({ min: 1, max }) })),
  { key: "ie.bins", path: "ie.bins", omit: (v) => v === DEFAULT_INIT_EXPERIMENT.bins, ...integer({ min: 2, max: ({ catalogue }) => catalogue.activation_experiment.bins.maximum }) },
  { key: "ie.seed", path: "ie.seed", omit: (v) => v === DEFAULT_INIT_EXPERIMENT.seed, ...integer({ min: 0 }) },
  { key: "ie.bias", path: "ie.bias", omit: (v) => v === DEFAULT_INIT_EXPERIMENT.bias, encode: (v) => v, decode: flag().decode },
  // search: the hyperparameter search form and the searches shown (search/model.js), checked against GET /api/searches/catalogue
  {
    key: "s",
    path: "s",
    omit: (v, state, ctx) => !v || !searchCatalogueOf(ctx) || encodeSearchForm(v, searchCatalogueOf(ctx)) === null,
    encode: (v, ctx) => encodeSearchForm(v, searchCatalogueOf(ctx)),
    decode: (v, ctx) => (searchCatalogueOf(ctx) ? decodeSearchForm(v, searchCatalogueOf(ctx)) : undefined),
  },
  // the Landscape view (landscape/view.js): run id, directions, grid, samples, seed
  { key: "ls.run", path: "ls.run", omit: (v) => !v, decode: (v) => (typeof v === "string" && /^[a-z]-[0-9a-f]{1,40}$/.test(v) ? v : undefined) },
  { key: "ls.d", path: "ls.d", omit: (v, state, ctx) => v === landscapeDefaultsOf(ctx).d, ...oneOf(LANDSCAPE_DIRECTIONS) },
  { key: "ls.g", path: "ls.g", omit: (v, state, ctx) => v === landscapeDefaultsOf(ctx).g, ...integer({ min: 3 }) },
  { key: "ls.n", path: "ls.n", omit: (v, state, ctx) => v === landscapeDefaultsOf(ctx).n, ...integer({ min: 1 }) },
  { key: "ls.s", path: "ls.s", omit: (v, state, ctx) => v === landscapeDefaultsOf(ctx).s, ...integer({ min: 0 }) },
];

/** The Landscape view's defaults from the training catalogue in a codec's ctx ({catalogue} when reading, the page state when writing). */
function landscapeDefaultsOf(ctx) {
  return defaultLandscape(ctx?.catalogue ?? ctx?.cat?.catalogue);
}

/** The search catalogue in a codec's ctx: {searchCatalogue} when reading, the page state when writing. */
function searchCatalogueOf(ctx) {
  return ctx?.searchCatalogue ?? ctx?.cat?.searchCatalogue ?? null;
}

/** The page state of a first visit (the "default" preset). */
export function defaultState(runs, catalogue) {
  return { v: "train", runs, sel: 0, pr: "default", hv: "a", hq: "act", hi: false, hc: false, ly: "auto", ie: { ...DEFAULT_INIT_EXPERIMENT, panels: [...DEFAULT_INIT_EXPERIMENT.panels] }, s: null, ls: defaultLandscape(catalogue) };
}

/**
 * The compact URL object → a full, checked page state (null → null: the caller starts from a
 * preset).
 * @param {object|null} url decoded URL state
 * @param {{catalogue: object, defaults: object}} ctx
 */
export function stateFromUrl(url, ctx) {
  if (!isObject(url)) return null;
  const base = { ...defaultState([makeForm({}, ctx.defaults)], ctx.catalogue), pr: null };
  return readFields(FIELDS, url, base, ctx);
}

/** The compact object written to the URL (only what differs from the defaults). */
export function stateToUrl(state, ctx) {
  return writeFields(FIELDS, { ...state, runs: runsOf(state) ?? [ctx.defaults] }, ctx);
}
