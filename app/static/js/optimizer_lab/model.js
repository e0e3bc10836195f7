/**
 * model.js — the Optimizer Lab's configuration: defaults, presets (docs/experiments.md), the compact
 * labels and the request bodies of docs/API.md. No DOM here (the URL fields are in url_fields.js;
 * the server's limits come from GET /api/limits and live in the page state as `limits`).
 *
 * A configuration ("config") is:
 *   {
 *     surface: "book_bowl" | "custom",  surfaceParams: {kappa: 10},  expression: "x^2 + y^2",
 *     domain: null | {x: [a, b], y: [c, d]},          // view range; null = the surface's own
 *     start: [x, y],  steps: 30,
 *     runs: [{key, optimizer, params: {lr, …}, schedule: null | {type, …}, clip: null | {mode, max},
 *             noise: null | {std, seed}, label: "", colour: "#rrggbb"}],
 *     view: {filled, threeD, equal, logLevels, grad, update, velocity, ghost, autoRun,
 *            lossScale: "log" | "symlog" | "linear"},
 *     step: null | k,                                  // race position; null = last step (presets open at 0)
 *     sweep: {lrMin, lrMax, n},  map: {run, n, steps, mode: "loss" | "basin"},
 *   }
 * A catalogue ("cat") holds what the API lists: {surfaces, optimizers, schedules} plus
 * id → item maps built by `makeCatalogue`.
 */

import { PALETTE } from "../shared/plots.js";
import { t, tr, hasKey } from "../shared/i18n.js";
import { exprToTex } from "../shared/math.js";

export const CUSTOM = "custom";
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
  lossScale: "log",
  textbook: false, // one small panel per run (textbook_layout.js) instead of the main plot
  arrowRun: 0, // the run whose arrows (and curvature) are drawn; −1 = every run
});
export const LOSS_SCALES = Object.freeze(["log", "symlog", "linear"]);

/** The loss axis a surface suggests (GET /api/surfaces `loss_scale`: symlog where f is unbounded below). */
export function suggestedLossScale(surface) {
  return LOSS_SCALES.includes(surface?.loss_scale) ? surface.loss_scale : "log";
}
export const DEFAULT_SWEEP = Object.freeze({ lrMin: 1e-4, lrMax: 10, n: 40 });
export const DEFAULT_MAP = Object.freeze({ run: 0, n: 40, steps: 200, mode: "loss" });
/** Steps of each learning rate in a sweep, at most (a page choice that keeps sweeps quick). */
export const SWEEP_MAX_STEPS = 2000;

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

/**
 * When the optimizer of a run changes: keep lr (and any shared names), default the rest. The label
 * goes back to the automatic one: a label naming the old optimizer (a preset's "GD η=0.01") would
 * now be wrong.
 */
export function switchOptimizer(cat, run, optimizer) {
  const spec = cat.optimizerById.get(optimizer);
  const params = defaultParams(spec);
  for (const name of Object.keys(params)) {
    if (name in run.params && typeof run.params[name] === typeof params[name]) params[name] = run.params[name];
  }
  return { ...run, optimizer, params, label: "" };
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

function preset(cat, { surface, start, steps, runs, step = 0 }) {
  const config = {
    surface,
    surfaceParams: defaultSurfaceParams(cat.surfaceById.get(surface)),
    expression: DEFAULT_EXPRESSION,
    domain: null,
    start,
    steps,
    runs: [],
    view: { ...DEFAULT_VIEW, logLevels: prefersLogLevels(cat.surfaceById.get(surface)), lossScale: suggestedLossScale(cat.surfaceById.get(surface)) },
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
// Derived views of the page state (no DOM)

/** Display name of an optimizer: our translation when we have one, else the API's name. */
export function optimizerName(spec) {
  if (!spec) return "?";
  const key = `opt.${spec.id}`;
  return hasKey(key) ? t(key) : tr(spec.name) || spec.id;
}

const labelMemo = { runs: null, lang: null, cat: null, labels: [] };

/** The label of every run of the configuration, in the current language (memoised). */
export function runLabels(state) {
  const { config, cat, lang } = state;
  if (labelMemo.runs !== config.runs || labelMemo.lang !== lang || labelMemo.cat !== cat) {
    const tags = labelTags(t);
    labelMemo.labels = config.runs.map((r) => runLabel(r, optimizerName(cat.optimizerById.get(r.optimizer)), tags));
    Object.assign(labelMemo, { runs: config.runs, lang, cat });
  }
  return labelMemo.labels;
}

/** The key of what the surface description depends on (surface id, and expression or parameters). */
export function surfaceKey(config) {
  return JSON.stringify([config.surface, config.surface === CUSTOM ? config.expression : config.surfaceParams]);
}

/**
 * The current surface as described for the current parameters (GET /api/surfaces/{id}?…, or
 * custom?expression=…): formula, description, domain, minima and saddles can move with them.
 * Until that answer arrives, the catalogue entry (or a plain custom stand-in).
 */
export function surfaceSpec(state) {
  const { config, cat, info } = state;
  if (info && info.key === surfaceKey(config)) return info.spec;
  if (config.surface === CUSTOM) {
    return { domain: { x: [-5, 5], y: [-5, 5] }, minima: [], saddles: [], formula: `f(x,y) = ${exprToTex(config.expression)}` };
  }
  return cat.surfaceById.get(config.surface) ?? null;
}

/** What a trajectory run depends on (not colours and labels): a change means the results are stale. */
export function runKey(config) {
  const runs = config.runs.map((r) => [r.optimizer, r.params, r.schedule, r.clip, r.noise]);
  return JSON.stringify([config.surface, config.surface === CUSTOM ? config.expression : config.surfaceParams, config.start, config.steps, runs]);
}

const displayMemo = { results: null, rev: -1, runs: null, labels: null, out: [] };

/**
 * The finished (or arriving) runs with the label and colour they show now: a run's label and
 * colour can change after it ran without a new computation (memoised on results, runs, labels).
 */
export function displayRuns(state) {
  const { results, config } = state;
  if (!results) return [];
  const labels = runLabels(state);
  const m = displayMemo;
  if (m.results !== results || m.rev !== results.rev || m.runs !== config.runs || m.labels !== labels) {
    const same = results.runs.length === config.runs.length;
    m.out = results.runs.map((r, i) => ({
      ...r,
      label: same ? labels[i] : r.label ?? labels[i],
      colour: config.runs[i]?.colour ?? "#333",
    }));
    Object.assign(m, { results, rev: results.rev, runs: config.runs, labels });
  }
  return m.out;
}

/**
 * The runs of an LR sweep: runs that differ only in η sweep the same curve, so they are merged
 * into one group (the first run's colour; the automatic label without η, as the sweep varies it).
 * @returns {{run: object, label: string, members: number[]}[]}
 */
export function sweepGroups(state) {
  const labels = runLabels(state);
  const groups = new Map();
  state.config.runs.forEach((r, i) => {
    const { lr, ...rest } = r.params ?? {};
    const key = JSON.stringify([r.optimizer, rest, r.schedule, r.clip, r.noise]);
    if (groups.has(key)) groups.get(key).members.push(i);
    else groups.set(key, { run: r, label: labels[i], members: [i] });
  });
  return [...groups.values()].map((g) => {
    // the sweep varies η: an automatic label leaves it out; a typed one is kept for a lone run
    if (g.members.length === 1 && g.run.label?.trim()) return g;
    const { lr, ...params } = g.run.params;
    const name = optimizerName(state.cat.optimizerById.get(g.run.optimizer));
    return { ...g, label: runLabel({ ...g.run, params, label: "" }, name, labelTags(t)) };
  });
}
