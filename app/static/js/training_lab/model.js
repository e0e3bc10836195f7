/**
 * model.js — the Training Lab's configuration: defaults, presets (docs/experiments.md), the compact
 * URL form (via url_state.js) and the request bodies of docs/API.md ("Training Lab"). No DOM here.
 *
 * One run's settings are a flat "form" object with short keys (they double as URL keys):
 *   {
 *     ds: "digits", n: null, noise: null, cls: null, dseed: 0, tl: null, vf: 0.2, tf: 0.2,  // data
 *     h: [100, 100, 100], act: "relu", init: "he_normal", std: 0.01,                         // network
 *     bn: false, bnm: 0.9, dp: 0, l1: 0, l2: 0,
 *     opt: "adam", hp: {lr: 0.001}, sch: null | {type, …}, clip: null | {mode, max},         // optimizer
 *     bs: 100, ep: 20, seed: 0,                                                              // training
 *     es: null | {monitor, min_delta, patience, mode, restore_best_weights},
 *     ti: 10, bins: 30, ss: 500, label: ""                                                   // telemetry
 *   }
 * `n`, `noise`, `cls` null mean "the data set's own default" (GET /api/datasets `defaults`);
 * `hp` holds only the hyperparameters that differ from the optimizer's defaults.
 *
 * An experiment is a list of runs (one = a single job, several = POST /api/comparisons).
 * The page state (what the URL carries) is
 *   {v: "train"|"init", runs: [form…], sel: i, pr: presetId|null,
 *    hv: "a"|"b"|"c"|"d" (histogram view), hq: "act"|"pre", ie: {…init experiment…}}
 * and is written as {v, b: diff(run 0, defaults), r: [diff(run i, run 0)…], …} so a link stays short.
 */

export const DEFAULT_FORM = Object.freeze({
  ds: "digits",
  n: null,
  noise: null,
  cls: null,
  dseed: 0,
  tl: null,
  vf: 0.2,
  tf: 0.2,
  h: [100, 100, 100],
  act: "relu",
  init: "he_normal",
  std: 0.01,
  bn: false,
  bnm: 0.9,
  dp: 0,
  l1: 0,
  l2: 0,
  opt: "adam",
  hp: {},
  sch: null,
  clip: null,
  bs: 100,
  ep: 20,
  seed: 0,
  es: null,
  ti: 10,
  bins: 30,
  ss: 500,
  label: "",
});

export const DEFAULT_EARLY_STOPPING = Object.freeze({
  monitor: "val_loss",
  min_delta: 0,
  patience: 5,
  mode: "auto",
  restore_best_weights: true,
});

export const ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "elu"];
export const INITS = ["zeros", "normal", "xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "lecun_normal"];
export const HIST_VIEWS = ["a", "b", "c", "d"];
export const HIST_QUANTITIES = ["act", "pre"];
export const VIEWS = ["train", "init"];
export const MAX_RUNS = 16;

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
export const DEFAULT_INIT_EXPERIMENT = Object.freeze({
  panels: ["sig_std1", "sig_std001", "sig_xavier", "relu_he"],
  n: 1000,
  features: 100,
  layers: 5,
  width: 100,
  bins: 30,
  seed: 0,
  bias: false,
});

export const DEFAULT_STATE = Object.freeze({
  v: "train",
  runs: [DEFAULT_FORM],
  sel: 0,
  pr: "default",
  hv: "a",
  hq: "act",
  ie: DEFAULT_INIT_EXPERIMENT,
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

/** Keys of `form` whose values differ from `base` (one level: values are compared whole). */
export function diffForm(form, base) {
  const out = {};
  for (const key of Object.keys(DEFAULT_FORM)) {
    if (!same(form[key], base[key])) out[key] = clone(form[key]);
  }
  return out;
}

/** A complete form: defaults, then `patch` (unknown keys dropped). */
export function makeForm(patch = {}, base = DEFAULT_FORM) {
  const out = clone(base);
  for (const [key, value] of Object.entries(patch || {})) {
    if (key in DEFAULT_FORM && value !== undefined) out[key] = clone(value);
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

// ---------------------------------------------------------------- presets (docs/experiments.md)

const FIVE_100 = [100, 100, 100, 100, 100];
/** Four initial weight scales log-spaced from 1 to 1e-4 (10^0, 10^-4/3, 10^-8/3, 10^-4). */
export const BN_SCALES = [1, 0.0464, 0.00215, 0.0001];

/**
 * Presets: `form` is applied over the defaults for every run; `runs` (optional) lists per-run
 * overrides with a label. Every preset resets the whole configuration.
 */
export const PRESETS = [
  {
    id: "default",
    form: { ds: "digits", h: [100, 100, 100], act: "relu", init: "he_normal", opt: "adam", hp: { lr: 0.001 }, bs: 100, ep: 20 },
  },
  {
    id: "spiral",
    form: {
      ds: "spiral", h: [50, 50], act: "relu", init: "he_normal", opt: "adam", hp: { lr: 0.01 },
      bs: 32, ep: 40, ti: 5,
    },
  },
  {
    id: "init_compare",
    form: { ds: "digits", h: FIVE_100, act: "relu", opt: "sgd", hp: { lr: 0.01 }, bs: 100, ep: 30 },
    runs: [
      { label: "@run.std001", init: "normal", std: 0.01 },
      { label: "@run.xavier", init: "lecun_normal" },
      { label: "@run.he", init: "he_normal" },
    ],
  },
  {
    id: "optimizer_compare",
    form: { ds: "digits", h: FIVE_100, act: "relu", init: "he_normal", bs: 100, ep: 20 },
    runs: [
      { label: "@opt.sgd", opt: "sgd", hp: { lr: 0.01 } },
      { label: "@opt.momentum", opt: "momentum", hp: { lr: 0.01, momentum: 0.9 } },
      { label: "@opt.adagrad", opt: "adagrad", hp: { lr: 0.01 } },
      { label: "@opt.adam", opt: "adam", hp: { lr: 0.001 } },
    ],
  },
  {
    id: "batchnorm",
    form: { ds: "digits", tl: 1000, h: FIVE_100, act: "relu", init: "normal", opt: "sgd", hp: { lr: 0.01 }, bs: 100, ep: 20 },
    runs: BN_SCALES.flatMap((s) => [
      { label: `BN, σ=${s}`, std: s, bn: true },
      { label: `σ=${s}`, std: s, bn: false },
    ]),
  },
  {
    id: "overfitting",
    form: {
      ds: "digits", tl: 300, h: [100, 100, 100, 100, 100, 100], act: "relu", init: "he_normal",
      opt: "sgd", hp: { lr: 0.01 }, bs: 100, ep: 200, ti: 15,
    },
    runs: [
      { label: "@run.plain" },
      { label: "@run.weight_decay", l2: 0.1 },
      { label: "@run.dropout", dp: 0.2 },
    ],
  },
];
export const PRESET_BY_ID = new Map(PRESETS.map((p) => [p.id, p]));

/** The runs of a preset as complete forms. */
export function presetRuns(id) {
  const preset = PRESET_BY_ID.get(id);
  if (!preset) return [makeForm()];
  const base = makeForm(preset.form);
  if (!preset.runs) return [base];
  return preset.runs.map((patch) => makeForm(patch, base));
}

// ---------------------------------------------------------------- labels

/** Fields that differ between runs (the comparison's "axis"), in form order. */
export function varyingKeys(runs) {
  if (runs.length < 2) return [];
  return Object.keys(DEFAULT_FORM).filter((k) => k !== "label" && runs.some((r) => !same(r[k], runs[0][k])));
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
 * The body of POST /api/jobs for one form.
 * @param {object} form
 * @param {{datasetById: Map, optimizerById: Map}} cat catalogue
 * @param {string} label
 */
export function buildConfig(form, cat, label) {
  const ds = cat.datasetById.get(form.ds);
  const params = new Set(ds?.params ?? ["n_samples", "noise", "seed", "classes"]);
  const defaults = ds?.defaults ?? {};
  const dataset = {
    name: form.ds,
    seed: form.dseed,
    train_limit: form.tl,
    val_fraction: form.vf,
    test_fraction: form.tf,
  };
  if (params.has("n_samples")) dataset.n_samples = form.n ?? defaults.n_samples ?? null;
  if (params.has("noise")) dataset.noise = form.noise ?? defaults.noise ?? 0.1;
  if (params.has("classes")) dataset.classes = form.cls ?? defaults.classes ?? null;
  return {
    label: String(label || "").slice(0, 100) || null,
    dataset,
    model: {
      hidden: [...form.h],
      activation: form.act,
      init: form.init,
      init_std: form.std,
      batch_norm: form.bn,
      bn_momentum: form.bnm,
      dropout: form.dp,
    },
    regularization: { l2: form.l2, l1: form.l1 },
    optimizer: {
      optimizer: form.opt,
      params: resolvedParams(form, cat.optimizerById.get(form.opt)),
      schedule: form.sch ? clone(form.sch) : null,
      clip: form.clip ? clone(form.clip) : null,
    },
    batch_size: form.bs,
    epochs: form.ep,
    seed: form.seed,
    early_stopping: form.es ? { ...DEFAULT_EARLY_STOPPING, ...form.es } : null,
    telemetry: { interval: form.ti, bins: form.bins, sample_size: form.ss },
  };
}

/** The body of POST /api/activations for one init-experiment panel. */
export function activationRequest(panel, ie) {
  return {
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
 * The form field an API error path points at ("configs.2.model.hidden" → "h"), or null.
 * @param {string} path
 */
export function formKeyOfField(path) {
  const p = String(path || "").replace(/^configs\.\d+\./, "");
  const table = [
    [/^dataset\.name/, "ds"], [/^dataset\.n_samples/, "n"], [/^dataset\.noise/, "noise"],
    [/^dataset\.classes/, "cls"], [/^dataset\.seed/, "dseed"], [/^dataset\.train_limit/, "tl"],
    [/^dataset\.val_fraction/, "vf"], [/^dataset\.test_fraction/, "tf"], [/^model\.hidden/, "h"],
    [/^model\.activation/, "act"], [/^model\.init_std/, "std"], [/^model\.init/, "init"],
    [/^model\.batch_norm/, "bn"], [/^model\.bn_momentum/, "bnm"], [/^model\.dropout/, "dp"],
    [/^regularization\.l1/, "l1"], [/^regularization\.l2/, "l2"], [/^optimizer\.params/, "hp"],
    [/^optimizer\.schedule/, "sch"], [/^optimizer\.clip/, "clip"], [/^optimizer/, "opt"],
    [/^batch_size/, "bs"], [/^epochs/, "ep"], [/^seed/, "seed"], [/^early_stopping/, "es"],
    [/^telemetry\.interval/, "ti"], [/^telemetry\.bins/, "bins"], [/^telemetry\.sample_size/, "ss"],
  ];
  for (const [re, key] of table) if (re.test(p)) return key;
  return null;
}

// ---------------------------------------------------------------- URL state

/** Page state → the compact object written to the URL (only what differs from the defaults). */
export function toUrlState(state) {
  const out = {};
  if (state.v !== DEFAULT_STATE.v) out.v = state.v;
  const runs = state.runs.length ? state.runs : [makeForm()];
  const first = runs[0];
  const b = diffForm(first, DEFAULT_FORM);
  if (Object.keys(b).length) out.b = b;
  if (runs.length > 1) out.r = runs.slice(1).map((r) => diffForm(r, first));
  if (state.sel) out.sel = state.sel;
  if (state.pr) out.pr = state.pr;
  if (state.hv !== DEFAULT_STATE.hv) out.hv = state.hv;
  if (state.hq !== DEFAULT_STATE.hq) out.hq = state.hq;
  const ie = {};
  for (const [k, v] of Object.entries(state.ie || {})) if (!same(v, DEFAULT_INIT_EXPERIMENT[k])) ie[k] = v;
  if (Object.keys(ie).length) out.ie = ie;
  return out;
}

function pick(value, allowed, fallback) {
  return allowed.includes(value) ? value : fallback;
}

function finiteOr(value, fallback, lo = -Infinity, hi = Infinity) {
  return typeof value === "number" && Number.isFinite(value) && value >= lo && value <= hi ? value : fallback;
}

function intOr(value, fallback, lo = 0, hi = Infinity) {
  return Number.isInteger(value) && value >= lo && value <= hi ? value : fallback;
}

/**
 * Clean one form read from a URL: wrong types fall back to defaults (catalogue ids are checked
 * later, when the catalogues are known).
 */
export function sanitizeForm(raw) {
  const f = makeForm(raw && typeof raw === "object" ? raw : {});
  const d = DEFAULT_FORM;
  f.ds = typeof f.ds === "string" ? f.ds : d.ds;
  f.n = f.n === null ? null : intOr(f.n, null, 10);
  f.noise = f.noise === null ? null : finiteOr(f.noise, null, 0, 5);
  f.cls = f.cls === null ? null : intOr(f.cls, null, 2, 10);
  f.dseed = intOr(f.dseed, d.dseed);
  f.tl = f.tl === null ? null : intOr(f.tl, null, 1);
  f.vf = finiteOr(f.vf, d.vf, 0, 0.9);
  f.tf = finiteOr(f.tf, d.tf, 0, 0.9);
  f.h = Array.isArray(f.h) && f.h.every((w) => Number.isInteger(w) && w >= 1) ? f.h : clone(d.h);
  f.act = pick(f.act, ACTIVATIONS, d.act);
  f.init = pick(f.init, INITS, d.init);
  f.std = finiteOr(f.std, d.std, 1e-12, 100);
  f.bn = f.bn === true;
  f.bnm = finiteOr(f.bnm, d.bnm, 0, 0.9999);
  f.dp = finiteOr(f.dp, d.dp, 0, 0.95);
  f.l1 = finiteOr(f.l1, d.l1, 0, 10);
  f.l2 = finiteOr(f.l2, d.l2, 0, 10);
  f.opt = typeof f.opt === "string" ? f.opt : d.opt;
  const hp = {};
  if (f.hp && typeof f.hp === "object" && !Array.isArray(f.hp)) {
    for (const [k, v] of Object.entries(f.hp)) if (typeof v === "number" && Number.isFinite(v)) hp[k] = v;
  }
  f.hp = hp;
  f.sch = f.sch && typeof f.sch === "object" && typeof f.sch.type === "string" ? f.sch : null;
  f.clip =
    f.clip && (f.clip.mode === "norm" || f.clip.mode === "value") && finiteOr(f.clip.max, null, 1e-12) !== null
      ? { mode: f.clip.mode, max: f.clip.max }
      : null;
  f.bs = intOr(f.bs, d.bs);
  f.ep = intOr(f.ep, d.ep, 1);
  f.seed = intOr(f.seed, d.seed);
  if (f.es && typeof f.es === "object") {
    const es = { ...DEFAULT_EARLY_STOPPING, ...f.es };
    f.es = {
      monitor: pick(es.monitor, ["val_loss", "val_accuracy"], "val_loss"),
      min_delta: finiteOr(es.min_delta, 0, 0),
      patience: intOr(es.patience, 5),
      mode: pick(es.mode, ["auto", "min", "max"], "auto"),
      restore_best_weights: es.restore_best_weights !== false,
    };
  } else f.es = null;
  f.ti = intOr(f.ti, d.ti, 1);
  f.bins = intOr(f.bins, d.bins, 2, 200);
  f.ss = intOr(f.ss, d.ss, 1);
  f.label = typeof f.label === "string" ? f.label.slice(0, 100) : "";
  return f;
}

/** The compact URL object → a full, sanitised page state (null input → defaults). */
export function fromUrlState(raw) {
  const s = raw && typeof raw === "object" ? raw : {};
  const first = sanitizeForm(s.b || {});
  const rest = Array.isArray(s.r) ? s.r.slice(0, MAX_RUNS - 1).map((p) => sanitizeForm(makeForm(p, first))) : [];
  const runs = [first, ...rest];
  const ieRaw = s.ie && typeof s.ie === "object" ? s.ie : {};
  const die = DEFAULT_INIT_EXPERIMENT;
  const panelIds = new Set(INIT_PANELS.map((p) => p.id));
  const ie = {
    panels: Array.isArray(ieRaw.panels) ? ieRaw.panels.filter((p) => panelIds.has(p)) : [...die.panels],
    n: intOr(ieRaw.n, die.n, 1),
    features: intOr(ieRaw.features, die.features, 1),
    layers: intOr(ieRaw.layers, die.layers, 1),
    width: intOr(ieRaw.width, die.width, 1),
    bins: intOr(ieRaw.bins, die.bins, 2, 200),
    seed: intOr(ieRaw.seed, die.seed),
    bias: ieRaw.bias === true,
  };
  return {
    v: pick(s.v, VIEWS, DEFAULT_STATE.v),
    runs,
    sel: intOr(s.sel, 0, 0, runs.length - 1),
    pr: typeof s.pr === "string" && PRESET_BY_ID.has(s.pr) ? s.pr : raw ? null : DEFAULT_STATE.pr,
    hv: pick(s.hv, HIST_VIEWS, DEFAULT_STATE.hv),
    hq: pick(s.hq, HIST_QUANTITIES, DEFAULT_STATE.hq),
    ie,
  };
}
