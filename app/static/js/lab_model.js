/**
 * lab_model.js — the Optimizer Lab's configuration: defaults, presets (docs/experiments.md), the compact
 * URL form (via state.js) and the request bodies of docs/API.md. No DOM here.
 *
 * A configuration ("config") is:
 *   {
 *     surface: "book_bowl" | "custom",  surfaceParams: {kappa: 10},  expression: "x^2 + y^2",
 *     domain: null | {x: [a, b], y: [c, d]},          // view range; null = the surface's own
 *     start: [x, y],  steps: 30,
 *     runs: [{key, optimizer, params: {lr, …}, schedule: null | {type, …}, clip: null | {mode, max},
 *             noise: null | {std, seed}, label: "", colour: "#rrggbb"}],
 *     view: {filled, threeD, equal, logLevels, grad, update, velocity, ghost, autoRun},
 *     step: null | k,                                  // race position; null = last step
 *     sweep: {lrMin, lrMax, n},  map: {run, n, steps},
 *   }
 * A catalogue ("cat") holds what the API lists: {surfaces, optimizers, schedules} plus
 * id → item maps built by `makeCatalogue`.
 */

import { PALETTE } from "./plots.js";

export const CUSTOM = "custom";
export const STREAM_THRESHOLD = 2000; // more steps than this → /api/trajectories/stream
export const DEFAULT_EXPRESSION = "x^2 + 3*sin(y)";
export const DEFAULT_VIEW = Object.freeze({
  filled: true,
  threeD: false,
  equal: false,
  logLevels: true,
  grad: true,
  update: true,
  velocity: true,
  ghost: true,
  autoRun: true,
});
export const DEFAULT_SWEEP = Object.freeze({ lrMin: 1e-4, lrMax: 10, n: 40 });
export const DEFAULT_MAP = Object.freeze({ run: 0, n: 40, steps: 200 });
export const MAX_STEPS = 20000;
export const MAX_RUNS = 16;

let keyCounter = 0;
/** A fresh local id for a run card (not sent to the server). */
export function newKey() {
  keyCounter += 1;
  return `r${keyCounter}`;
}

/** Index the API lists by id. */
export function makeCatalogue({ surfaces, optimizers, schedules }) {
  return {
    surfaces,
    optimizers,
    schedules,
    surfaceById: new Map(surfaces.map((s) => [s.id, s])),
    optimizerById: new Map(optimizers.map((o) => [o.id, o])),
    scheduleById: new Map(schedules.map((s) => [s.id, s])),
  };
}

/** Hyperparameter defaults of one optimizer spec: {lr: 0.01, momentum: 0.9, …}. */
export function defaultParams(spec) {
  const out = {};
  for (const hp of spec?.hyperparams ?? []) out[hp.name] = hp.default;
  return out;
}

/** Defaults of one schedule spec as a request object {type, …}; null for "constant". */
export function defaultSchedule(spec) {
  if (!spec || spec.id === "constant") return null;
  const out = { type: spec.id };
  for (const p of spec.params ?? []) out[p.name] = Array.isArray(p.default) ? [...p.default] : p.default;
  return out;
}

function unusedColour(runs) {
  const used = new Set(runs.map((r) => r.colour.toLowerCase()));
  return PALETTE.find((c) => !used.has(c.toLowerCase())) ?? PALETTE[runs.length % PALETTE.length];
}

/**
 * A run with the optimizer's defaults, overridden by `overrides`.
 * @param {object} cat catalogue
 * @param {string} optimizer id
 * @param {object} [overrides] {params, label, schedule, clip, noise, colour}
 * @param {object[]} [existing] runs already present (to pick an unused colour)
 */
export function makeRun(cat, optimizer, overrides = {}, existing = []) {
  const spec = cat.optimizerById.get(optimizer) ?? cat.optimizers[0];
  return {
    key: newKey(),
    optimizer: spec.id,
    params: { ...defaultParams(spec), ...(overrides.params ?? {}) },
    schedule: overrides.schedule ?? null,
    clip: overrides.clip ?? null,
    noise: overrides.noise ?? null,
    label: overrides.label ?? "",
    colour: overrides.colour ?? unusedColour(existing),
  };
}

/** When the optimizer of a run changes: keep lr (and any shared names), default the rest. */
export function switchOptimizer(cat, run, optimizer) {
  const spec = cat.optimizerById.get(optimizer);
  const params = defaultParams(spec);
  for (const name of Object.keys(params)) {
    if (name in run.params && typeof run.params[name] === typeof params[name]) params[name] = run.params[name];
  }
  return { ...run, optimizer, params };
}

/** A deep copy of a run with a new key and an unused colour. */
export function duplicateRun(run, existing) {
  const copy = JSON.parse(JSON.stringify(run));
  return { ...copy, key: newKey(), colour: unusedColour(existing), label: run.label ? `${run.label} (2)` : "" };
}

/**
 * The visible range: the one set in the config, else the surface's own.
 * @param {object|null} spec the surface description (GET /api/surfaces/{id}?params or catalogue)
 */
export function surfaceDomain(spec, config) {
  if (config.domain) return config.domain;
  return spec?.domain ?? { x: [-5, 5], y: [-5, 5] };
}

/** Minima listed in a surface description ([] when none are known). */
export function surfaceMinima(spec) {
  return spec?.minima ?? [];
}

/**
 * Log-spaced contour levels suit surfaces with a minimum (detail near the bottom); surfaces that
 * fall without bound (saddles) read better with linear levels.
 */
export function prefersLogLevels(surface) {
  return !surface || (surface.minima ?? []).length > 0;
}

/** Default values of a surface's parameters ({kappa: 10}). */
export function defaultSurfaceParams(surface) {
  const out = {};
  for (const p of surface?.params ?? []) out[p.name] = p.default;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Presets (docs/experiments.md §1 and the course's worked example)

function preset(cat, { surface, start, steps, runs, step = null }) {
  const config = {
    surface,
    surfaceParams: defaultSurfaceParams(cat.surfaceById.get(surface)),
    expression: DEFAULT_EXPRESSION,
    domain: null,
    start,
    steps,
    runs: [],
    view: { ...DEFAULT_VIEW, logLevels: prefersLogLevels(cat.surfaceById.get(surface)) },
    step,
    sweep: { ...DEFAULT_SWEEP },
    map: { ...DEFAULT_MAP },
  };
  for (const r of runs) {
    if (!cat.optimizerById.has(r.optimizer)) continue;
    config.runs.push(makeRun(cat, r.optimizer, r, config.runs));
  }
  return config;
}

export const PRESETS = [
  {
    id: "textbook",
    key: "preset.textbook",
    tip: "preset.textbook_tip",
    // docs/experiments.md §1: f = x²/20 + y² from (−7, 2), 30 steps.
    build: (cat) =>
      preset(cat, {
        surface: "book_bowl",
        start: [-7, 2],
        steps: 30,
        runs: [
          { optimizer: "sgd", params: { lr: 0.95 } },
          { optimizer: "momentum", params: { lr: 0.1 } },
          { optimizer: "adagrad", params: { lr: 1.5 } },
          { optimizer: "adam", params: { lr: 0.3 } },
        ],
      }),
  },
  {
    id: "course",
    key: "preset.course",
    tip: "preset.course_tip",
    // docs/surfaces.md: GD on J from (−5, 4); η = 0.1 converges, 0.01 crawls, 0.5 diverges.
    build: (cat) =>
      preset(cat, {
        surface: "course_quadratic",
        start: [-5, 4],
        steps: 30,
        runs: [
          { optimizer: "sgd", params: { lr: 0.1 }, label: "GD η=0.1" },
          { optimizer: "sgd", params: { lr: 0.01 }, label: "GD η=0.01" },
          { optimizer: "sgd", params: { lr: 0.5 }, label: "GD η=0.5" },
        ],
      }),
  },
  {
    id: "saddle",
    key: "preset.saddle",
    tip: "preset.saddle_tip",
    // Start almost on the saddle's attracting axis: plain GD lingers, momentum and Adam leave
    // sooner, and gradient noise kicks the point off the axis.
    build: (cat) =>
      preset(cat, {
        surface: "saddle",
        start: [-4, 0.001],
        steps: 80,
        runs: [
          { optimizer: "sgd", params: { lr: 0.05 } },
          { optimizer: "momentum", params: { lr: 0.05, momentum: 0.9 } },
          { optimizer: "sgd", params: { lr: 0.05 }, noise: { std: 0.2, seed: 0 } },
          { optimizer: "adam", params: { lr: 0.05 } },
        ],
      }),
  },
  {
    id: "rosenbrock",
    key: "preset.rosenbrock",
    tip: "preset.rosenbrock_tip",
    build: (cat) =>
      preset(cat, {
        surface: "rosenbrock",
        start: [-1.5, 2],
        steps: 2000,
        runs: [
          { optimizer: "sgd", params: { lr: 0.0005 } },
          { optimizer: "momentum", params: { lr: 0.0002, momentum: 0.9 } },
          { optimizer: "rmsprop", params: { lr: 0.002 } },
          { optimizer: "adam", params: { lr: 0.02 } },
          { optimizer: "newton", params: { lr: 1 } },
          { optimizer: "lbfgs", params: {} },
        ],
      }),
  },
];

/** The configuration a first visit gets: the textbook figure. */
export function defaultConfig(cat) {
  return PRESETS[0].build(cat);
}

// ---------------------------------------------------------------------------------------------
// Requests

/** Parameters sent to the API: numbers and booleans as set, lists kept. */
function cleanParams(params) {
  const out = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v))) continue;
    out[k] = v;
  }
  return out;
}

/**
 * The label a run shows and sends: the typed one, else "<optimizer> η=<lr>" plus short tags for
 * extras (`tags` = translated words {noise, clip, schedule}).
 */
export function runLabel(run, optimizerName, tags = {}) {
  if (run.label && run.label.trim()) return run.label.trim();
  const lr = run.params?.lr;
  let label = lr === undefined ? optimizerName : `${optimizerName} η=${lr}`;
  if (run.schedule && tags.schedule) label += ` + ${tags.schedule}`;
  if (run.clip && tags.clip) label += ` + ${tags.clip}`;
  if (run.noise && tags.noise) label += ` + ${tags.noise}`;
  return label;
}

/** The translated tags runLabel uses (pass `t` from i18n.js). */
export function labelTags(t) {
  return { noise: t("tag.noise"), clip: t("tag.clip"), schedule: t("tag.schedule") };
}

/** One run as the API wants it. */
export function runBody(run, label) {
  return {
    optimizer: run.optimizer,
    params: cleanParams(run.params),
    label,
    schedule: run.schedule ? { ...run.schedule } : null,
    clip: run.clip ? { ...run.clip } : null,
    noise: run.noise ? { ...run.noise } : null,
  };
}

/** The surface part of every Optimizer Lab request. */
export function surfaceBody(cat, config) {
  const custom = config.surface === CUSTOM;
  const body = { surface: custom ? null : config.surface };
  if (custom) body.expression = config.expression;
  const spec = cat.surfaceById.get(config.surface);
  if (spec?.params?.length) body.surface_params = { ...config.surfaceParams };
  return body;
}

/** Body of POST /api/trajectories (and /stream). `labels[i]` is run i's label. */
export function trajectoryBody(cat, config, labels) {
  return {
    ...surfaceBody(cat, config),
    start: [...config.start],
    steps: config.steps,
    runs: config.runs.map((r, i) => runBody(r, labels[i])),
    record_state: true,
  };
}

// ---------------------------------------------------------------------------------------------
// URL form: short keys, everything explicit (defaults may change between versions)

const VIEW_KEYS = { filled: "f", threeD: "d3", equal: "eq", logLevels: "ll", grad: "g", update: "u", velocity: "m", ghost: "gh", autoRun: "a" };

/** The compact object stored in the URL. */
export function toUrlState(config) {
  const out = { s: config.surface };
  if (Object.keys(config.surfaceParams ?? {}).length) out.sp = { ...config.surfaceParams };
  if (config.surface === CUSTOM) out.e = config.expression;
  if (config.domain) out.d = [...config.domain.x, ...config.domain.y];
  out.x0 = [...config.start];
  out.n = config.steps;
  out.r = config.runs.map((r) => {
    const o = { o: r.optimizer, p: { ...r.params } };
    if (r.label) o.l = r.label;
    o.c = r.colour.replace(/^#/, "");
    if (r.schedule) o.sc = { ...r.schedule };
    if (r.clip) o.cl = { ...r.clip };
    if (r.noise) o.nz = { ...r.noise };
    return o;
  });
  const v = {};
  for (const [name, short] of Object.entries(VIEW_KEYS)) v[short] = config.view[name] ? 1 : 0;
  out.v = v;
  if (config.step !== null && config.step !== undefined) out.k = config.step;
  out.sw = [config.sweep.lrMin, config.sweep.lrMax, config.sweep.n];
  out.mp = [config.map.run, config.map.n, config.map.steps];
  return out;
}

const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

function numberIn(value, spec, fallback) {
  if (!isNum(value)) return fallback;
  const lo = isNum(spec?.min) ? spec.min : -Infinity;
  const hi = isNum(spec?.max) ? spec.max : Infinity;
  return value >= lo && value <= hi ? value : fallback;
}

function readParams(specs, given) {
  const out = {};
  for (const hp of specs ?? []) {
    const v = given?.[hp.name];
    if (typeof hp.default === "boolean" || hp.kind === "bool") out[hp.name] = typeof v === "boolean" ? v : v === 1 ? true : v === 0 ? false : hp.default;
    else if (typeof hp.default === "string") out[hp.name] = typeof v === "string" ? v : hp.default;
    else if (Array.isArray(hp.default) || hp.kind === "list") out[hp.name] = Array.isArray(v) && v.every(isNum) ? v : [...hp.default];
    else if (hp.integer || hp.kind === "integer") out[hp.name] = isNum(v) ? numberIn(Math.round(v), hp, hp.default) : hp.default;
    else out[hp.name] = numberIn(v, hp, hp.default);
  }
  return out;
}

function readSchedule(cat, sc) {
  if (!sc || typeof sc !== "object" || typeof sc.type !== "string") return null;
  const spec = cat.scheduleById.get(sc.type);
  if (!spec || spec.id === "constant") return null;
  return { type: spec.id, ...readParams(spec.params, sc) };
}

/**
 * Rebuild a configuration from the URL object, checking every value against the catalogue;
 * anything unknown or out of bounds falls back to the default.
 */
export function fromUrlState(obj, cat) {
  const base = defaultConfig(cat);
  if (!obj || typeof obj !== "object") return base;
  const config = { ...base, runs: [] };
  const surface = obj.s === CUSTOM || cat.surfaceById.has(obj.s) ? obj.s : base.surface;
  config.surface = surface;
  const sspec = cat.surfaceById.get(surface);
  config.surfaceParams = readParams(sspec?.params, obj.sp);
  config.expression = typeof obj.e === "string" && obj.e.trim() ? obj.e : DEFAULT_EXPRESSION;
  if (Array.isArray(obj.d) && obj.d.length === 4 && obj.d.every(isNum) && obj.d[0] < obj.d[1] && obj.d[2] < obj.d[3]) {
    config.domain = { x: [obj.d[0], obj.d[1]], y: [obj.d[2], obj.d[3]] };
  } else {
    config.domain = null;
  }
  config.start = Array.isArray(obj.x0) && obj.x0.length === 2 && obj.x0.every(isNum) ? [...obj.x0] : sspec?.start ?? base.start;
  config.steps = isNum(obj.n) ? clamp(Math.round(obj.n), 1, MAX_STEPS) : base.steps;
  for (const r of Array.isArray(obj.r) ? obj.r.slice(0, MAX_RUNS) : []) {
    if (!r || !cat.optimizerById.has(r.o)) continue;
    const spec = cat.optimizerById.get(r.o);
    const run = makeRun(cat, r.o, {}, config.runs);
    run.params = readParams(spec.hyperparams, r.p);
    run.label = typeof r.l === "string" ? r.l.slice(0, 80) : "";
    if (typeof r.c === "string" && /^[0-9a-f]{6}$/i.test(r.c)) run.colour = `#${r.c.toLowerCase()}`;
    run.schedule = readSchedule(cat, r.sc);
    if (r.cl && (r.cl.mode === "value" || r.cl.mode === "norm") && isNum(r.cl.max) && r.cl.max > 0) {
      run.clip = { mode: r.cl.mode, max: r.cl.max };
    }
    if (r.nz && isNum(r.nz.std) && r.nz.std >= 0) {
      run.noise = { std: r.nz.std, seed: isNum(r.nz.seed) ? Math.round(r.nz.seed) : 0 };
    }
    config.runs.push(run);
  }
  if (!Array.isArray(obj.r)) config.runs = base.runs;
  config.view = { ...DEFAULT_VIEW };
  if (obj.v && typeof obj.v === "object") {
    for (const [name, short] of Object.entries(VIEW_KEYS)) {
      if (short in obj.v) config.view[name] = Boolean(obj.v[short]);
    }
  }
  config.step = isNum(obj.k) && obj.k >= 0 ? Math.round(obj.k) : null;
  if (Array.isArray(obj.sw) && obj.sw.length === 3 && obj.sw.every(isNum) && obj.sw[0] > 0 && obj.sw[1] > obj.sw[0]) {
    config.sweep = { lrMin: obj.sw[0], lrMax: obj.sw[1], n: clamp(Math.round(obj.sw[2]), 2, 200) };
  }
  if (Array.isArray(obj.mp) && obj.mp.length === 3 && obj.mp.every(isNum)) {
    config.map = {
      run: clamp(Math.round(obj.mp[0]), 0, Math.max(0, config.runs.length - 1)),
      n: clamp(Math.round(obj.mp[1]), 5, 200),
      steps: clamp(Math.round(obj.mp[2]), 1, 2000),
    };
  }
  return config;
}
