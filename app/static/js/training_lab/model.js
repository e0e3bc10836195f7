/**
 * model.js — the Training Lab's configuration: the form's fields (one table, FORM_FIELDS, from
 * which the defaults, the bounds, the request body and the error mapping are all derived), presets
 * (docs/experiments.md), run labels and the request bodies of docs/API.md ("Training Lab").
 * No DOM here.
 *
 * One run's settings are a flat "form" object with short keys (they double as URL keys):
 *   {
 *     ds: "digits", n: null, noise: null, cls: null, dseed: 0, tl: null, vf: 0.2, tf: 0.2,  // data
 *     h: [100, 100, 100], act: "relu", init: "he_normal", std: 0.01,                         // network
 *     bn: false, bnm: 0.9, dp: 0, l1: 0, l2: 0,
 *     opt: "adam", hp: {lr: 0.001}, sch: null | {type, …}, clip: null | {mode, max},         // optimizer
 *     bs: 100, ep: 20, seed: 0,                                                              // training
 *     es: null | {monitor, min_delta, patience, mode, restore_best_weights},
 *     ti: 50, bins: 30, ss: 256, label: ""                                                   // telemetry
 *   }
 * The default values and the bounds are the server's: GET /api/training/catalogue `defaults`
 * (a full POST /api/jobs body) and `bounds` (by the same dotted paths); FORM_FIELDS names the path
 * of every form key. `n`, `noise`, `cls` null mean "the data set's own default"
 * (GET /api/datasets `defaults`); `hp` holds only the hyperparameters that differ from the
 * optimizer's defaults. Adding an option: a row here, its control in training.html (data-key).
 *
 * An experiment is a list of runs (one = a single job, several = POST /api/comparisons); the page
 * state and its URL form are in url_fields.js.
 */

/**
 * The form's fields: form key, path in the POST /api/jobs body (and in the catalogue's `defaults`
 * and `bounds`), kind: "number" | "optional" (number or null) | "integers" (list) | "choice" |
 * "bool" | "text" | "object" (hyperparameters, schedule, clip, early stopping: checked apart).
 */
export const FORM_FIELDS = [
  { key: "ds", path: "dataset.name", kind: "choice" },
  { key: "n", path: "dataset.n_samples", kind: "optional" },
  { key: "noise", path: "dataset.noise", kind: "optional" },
  { key: "cls", path: "dataset.classes", kind: "optional" },
  { key: "dseed", path: "dataset.seed", kind: "number" },
  { key: "tl", path: "dataset.train_limit", kind: "optional" },
  { key: "vf", path: "dataset.val_fraction", kind: "number" },
  { key: "tf", path: "dataset.test_fraction", kind: "number" },
  { key: "h", path: "model.hidden", kind: "integers" },
  { key: "act", path: "model.activation", kind: "choice" },
  { key: "init", path: "model.init", kind: "choice" },
  { key: "std", path: "model.init_std", kind: "number" },
  { key: "bn", path: "model.batch_norm", kind: "bool" },
  { key: "bnm", path: "model.bn_momentum", kind: "number" },
  { key: "dp", path: "model.dropout", kind: "number" },
  { key: "l1", path: "regularization.l1", kind: "number" },
  { key: "l2", path: "regularization.l2", kind: "number" },
  { key: "opt", path: "optimizer.optimizer", kind: "choice" },
  { key: "hp", path: "optimizer.params", kind: "object" },
  { key: "sch", path: "optimizer.schedule", kind: "object" },
  { key: "clip", path: "optimizer.clip", kind: "object" },
  { key: "bs", path: "batch_size", kind: "number" },
  { key: "ep", path: "epochs", kind: "number" },
  { key: "seed", path: "seed", kind: "number" },
  { key: "es", path: "early_stopping", kind: "object" },
  { key: "shp", path: "sharpness", kind: "object" },
  { key: "ti", path: "telemetry.interval", kind: "number" },
  { key: "bins", path: "telemetry.bins", kind: "number" },
  { key: "ss", path: "telemetry.sample_size", kind: "number" },
  { key: "label", path: "label", kind: "text" },
];
/** The form keys in table order, and each key's row. */
export const FORM_KEYS = FORM_FIELDS.map((f) => f.key);
export const FIELD_BY_KEY = new Map(FORM_FIELDS.map((f) => [f.key, f]));

/** Early-stopping settings shown when it is switched on: the server's (catalogue `optional_defaults`). */
export const defaultEarlyStopping = (catalogue) => catalogue.optional_defaults.early_stopping;

/** Histogram views, quantities and page views (the URL accepts these). */
export const HIST_VIEWS = ["a", "b", "c", "d"];
export const HIST_QUANTITIES = ["act", "pre", "w"];
/** Loss-axis scales: "auto" = log when the plotted values span more than 100×, else linear. */
export const LOSS_SCALES = ["auto", "log", "linear"];
export const VIEWS = ["train", "init", "runs", "search", "landscape"]; // saved_runs/, search/, landscape/ views

/** The textbook's init experiment (docs/experiments.md §2): the settings one can show side by side. */
export const INIT_PANELS = [
  { id: "sig_std1", activation: "sigmoid", init: "normal", init_std: 1 },
  { id: "sig_std001", activation: "sigmoid", init: "normal", init_std: 0.01 },
  { id: "sig_xavier", activation: "sigmoid", init: "lecun_normal", init_std: 1 },
  { id: "relu_he", activation: "relu", init: "he_normal", init_std: 1 },
  { id: "tanh_xavier", activation: "tanh", init: "lecun_normal", init_std: 1 },
  { id: "relu_std001", activation: "relu", init: "normal", init_std: 0.01 },
  { id: "relu_xavier", activation: "relu", init: "lecun_normal", init_std: 1 },
];
/** Plane directions of the Landscape view (POST /api/landscapes `directions`). */
export const LANDSCAPE_DIRECTIONS = ["pca", "random"];

/**
 * The Landscape view's first settings: POST /api/landscapes' own defaults, served as the training
 * catalogue's `landscape` (GET /api/training/catalogue; bounds from /api/limits).
 * @param {object} catalogue GET /api/training/catalogue
 */
export function defaultLandscape(catalogue) {
  const d = catalogue.landscape;
  return { run: "", d: d.directions, g: d.grid, n: d.samples, s: d.seed };
}

export const DEFAULT_INIT_EXPERIMENT = Object.freeze({
  panels: ["sig_std1", "sig_std001", "sig_xavier", "relu_he"],
  n: 1000,
  features: 100,
  layers: 5,
  width: 100,
  bins: 30,
  seed: 0,
  bias: false,
  own: false,
});

// ---------------------------------------------------------------- small helpers

/** A deep copy of a JSON-like value. */
export function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** Deep equality of JSON-like values. */
export function same(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function getPath(obj, path) {
  return path.split(".").reduce((node, part) => (node === null || node === undefined ? undefined : node[part]), obj);
}

function setPath(obj, path, value) {
  const parts = path.split(".");
  let node = obj;
  for (const part of parts.slice(0, -1)) node = node[part] ??= {};
  node[parts[parts.length - 1]] = value;
}

/** The default form: the catalogue's default job config read through FORM_FIELDS. */
export function formDefaults(catalogue) {
  const out = {};
  for (const f of FORM_FIELDS) {
    const v = getPath(catalogue.defaults, f.path);
    out[f.key] = f.kind === "text" ? v ?? "" : f.key === "hp" ? { ...(v ?? {}) } : clone(v ?? null);
  }
  return Object.freeze(out);
}

/**
 * The bounds of a form key from the catalogue ({minimum, maximum, exclusive_minimum,
 * exclusive_maximum, integer, choices, max_items}; {} when the server states none).
 */
export function formBounds(catalogue, key) {
  return catalogue.bounds[FIELD_BY_KEY.get(key)?.path] ?? {};
}

/** Is `v` a number the bounds accept? */
export function withinBounds(v, b) {
  if (typeof v !== "number" || !Number.isFinite(v)) return false;
  if (b.integer && !Number.isInteger(v)) return false;
  if (b.minimum !== undefined && v < b.minimum) return false;
  if (b.maximum !== undefined && v > b.maximum) return false;
  if (b.exclusive_minimum !== undefined && v <= b.exclusive_minimum) return false;
  if (b.exclusive_maximum !== undefined && v >= b.exclusive_maximum) return false;
  return true;
}

/** Keys of `form` whose values differ from `base` (one level: values are compared whole). */
export function diffForm(form, base) {
  const out = {};
  for (const key of FORM_KEYS) {
    if (!same(form[key], base[key])) out[key] = clone(form[key]);
  }
  return out;
}

/** A complete form: `base` (the defaults), then `patch` (unknown keys dropped). */
export function makeForm(patch, base) {
  const out = clone(base);
  for (const [key, value] of Object.entries(patch || {})) {
    if (FIELD_BY_KEY.has(key) && value !== undefined) out[key] = clone(value);
  }
  return out;
}

/** "100, 100, 100" → [100, 100, 100]; null when the text is not a list of positive integers. */
export function parseHidden(text) {
  const cleaned = String(text ?? "").trim();
  if (cleaned === "") return [];
  const parts = cleaned.split(/[\s,;×x*]+/).filter(Boolean);
  const out = [];
  for (const part of parts) {
    if (!/^\d+$/.test(part)) return null;
    const n = Number(part);
    if (n < 1) return null;
    out.push(n);
  }
  return out;
}

/** [100, 100, 100] → "100, 100, 100". */
export function formatHidden(hidden) {
  return (hidden || []).join(", ");
}

// ---------------------------------------------------------------- labels

/** Fields that differ between runs (the comparison's "axis"), in form order. */
export function varyingKeys(runs) {
  if (runs.length < 2) return [];
  return FORM_KEYS.filter((k) => k !== "label" && runs.some((r) => !same(r[k], runs[0][k])));
}

/**
 * A readable default label for a run: its own label (a label starting with "@" is an i18n key,
 * so preset labels follow the language), else the values that distinguish it from
 * the other runs, else "optimizer · data set".
 * @param {object} form
 * @param {object[]} runs all runs of the experiment
 * @param {(key: string, value: unknown, form: object) => string} describe one "key=value" text
 */
export function runLabel(form, runs, describe) {
  if (form.label) return form.label.startsWith("@") ? describe("label", form.label, form) : form.label;
  const keys = varyingKeys(runs);
  if (keys.length) return keys.map((k) => describe(k, form[k], form)).join(", ");
  return `${describe("opt", form.opt, form)} · ${describe("ds", form.ds, form)}`;
}

// ---------------------------------------------------------------- request bodies

/** Resolved hyperparameters: the optimizer's defaults overridden by `hp`. */
export function resolvedParams(form, optimizerSpec) {
  const out = {};
  for (const hp of optimizerSpec?.hyperparams ?? []) out[hp.name] = hp.default;
  for (const [k, v] of Object.entries(form.hp || {})) if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
  return out;
}

/**
 * The body of POST /api/jobs for one form: every FORM_FIELDS value at its path, the data set's
 * own defaults where the form says null, the optimizer's defaults under `hp`.
 * @param {object} form
 * @param {{datasetById: Map, optimizerById: Map}} cat catalogue
 * @param {string} label
 */
export function buildConfig(form, cat, label) {
  const body = {};
  for (const f of FORM_FIELDS) setPath(body, f.path, clone(form[f.key]));
  body.label = String(label || "").slice(0, 100) || null;
  const ds = cat.datasetById.get(form.ds);
  const params = new Set(ds?.params ?? ["n_samples", "noise", "seed", "classes"]);
  const own = ds?.defaults ?? {};
  for (const name of ["n_samples", "noise", "classes"]) {
    if (params.has(name)) body.dataset[name] = body.dataset[name] ?? own[name] ?? null;
    else delete body.dataset[name];
  }
  body.optimizer.params = resolvedParams(form, cat.optimizerById.get(form.opt));
  body.early_stopping = form.es ? { ...defaultEarlyStopping(cat.catalogue), ...form.es } : null;
  body.sharpness = form.shp ? { ...cat.catalogue.optional_defaults.sharpness, ...form.shp } : null;
  return body;
}

/**
 * The body of POST /api/activations for one init-experiment panel; `histRange` [lo, hi] fixes the
 * histogram edges so panels of one activation share their x axis (docs/telemetry.md, "Shared axes").
 */
export function activationRequest(panel, ie, histRange = null) {
  return {
    hist_range: histRange,
    n_samples: ie.n,
    n_features: ie.features,
    layers: ie.layers,
    width: ie.width,
    activation: panel.activation,
    init: panel.init,
    init_std: panel.init_std,
    bins: ie.bins,
    seed: ie.seed,
    bias: ie.bias,
  };
}

/**
 * The form field an API error path points at ("configs.2.model.hidden" → "h"), or null: the
 * field whose path is the error's path or a prefix of it.
 * @param {string} path
 */
export function formKeyOfField(path) {
  const p = String(path || "").replace(/^configs\.\d+\./, "");
  let best = null;
  for (const f of FORM_FIELDS) {
    if ((p === f.path || p.startsWith(`${f.path}.`)) && (!best || f.path.length > best.path.length)) best = f;
  }
  return best ? best.key : null;
}
