/**
 * url_fields.js — the Optimizer Lab's URL fields, declared once (shared/url_fields.js derives
 * reading and writing from this table). Every value read back is checked against the catalogues
 * and the server's limits (GET /api/limits); anything unknown or out of bounds keeps the default
 * (the textbook preset). Keys are short and everything is written explicitly (defaults may change
 * between versions).
 *
 *   import { configFromUrl, configToUrl } from "./url_fields.js";
 *   const config = configFromUrl(readUrlState(), { cat, limits });
 *   writeUrlState(configToUrl(config, { cat, limits }));
 */

import { readFields, writeFields, integer, flag } from "../shared/url_fields.js";
import { CUSTOM, DEFAULT_EXPRESSION, DEFAULT_VIEW, LOSS_SCALES, defaultConfig, suggestedLossScale, makeRun } from "./model.js";

const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

function numberIn(value, spec, fallback) {
  if (!isNum(value)) return fallback;
  const lo = isNum(spec?.min) ? spec.min : -Infinity;
  const hi = isNum(spec?.max) ? spec.max : Infinity;
  return value >= lo && value <= hi ? value : fallback;
}

/** Parameters of a catalogue spec (optimizer, schedule, surface) read from the URL, each checked. */
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

/** A run as the URL stores it (`r` field); without a colour the page assigns the next of its palette. */
export function encodeRun(r) {
  const o = { o: r.optimizer, p: { ...r.params } };
  if (r.label) o.l = r.label;
  if (r.colour) o.c = r.colour.replace(/^#/, "");
  if (r.schedule) o.sc = { ...r.schedule };
  if (r.clip) o.cl = { ...r.clip };
  if (r.noise) o.nz = { ...r.noise };
  return o;
}

function decodeRuns(list, { cat, limits }) {
  if (!Array.isArray(list)) return undefined;
  const runs = [];
  for (const r of list.slice(0, limits.max_runs)) {
    if (!r || !cat.optimizerById.has(r.o)) continue;
    const run = makeRun(cat, r.o, {}, runs);
    run.params = readParams(cat.optimizerById.get(r.o).hyperparams, r.p);
    run.label = typeof r.l === "string" ? r.l.slice(0, 80) : "";
    if (typeof r.c === "string" && /^[0-9a-f]{6}$/i.test(r.c)) run.colour = `#${r.c.toLowerCase()}`;
    run.schedule = readSchedule(cat, r.sc);
    if (r.cl && (r.cl.mode === "value" || r.cl.mode === "norm") && isNum(r.cl.max) && r.cl.max > 0) run.clip = { mode: r.cl.mode, max: r.cl.max };
    if (r.nz && isNum(r.nz.std) && r.nz.std >= 0) run.noise = { std: r.nz.std, seed: isNum(r.nz.seed) ? Math.round(r.nz.seed) : 0 };
    runs.push(run);
  }
  return runs;
}

/** Largest n of an n × n start-point map the server accepts. */
export const maxMapSide = (limits) => Math.floor(Math.sqrt(limits.max_map_starts));

const VIEW_FLAGS = [
  ["f", "filled"],
  ["d3", "threeD"],
  ["eq", "equal"],
  ["ll", "logLevels"],
  ["g", "grad"],
  ["u", "update"],
  ["m", "velocity"],
  ["gh", "ghost"],
  ["a", "autoRun"],
  ["tb", "textbook"],
];

/** The table: key in the URL, path in the config, codec (see shared/url_fields.js). */
export const FIELDS = [
  { key: "s", path: "surface", decode: (v, { cat }) => (v === CUSTOM || cat.surfaceById.has(v) ? v : undefined) },
  {
    key: "sp",
    path: "surfaceParams",
    always: true, // re-read for the surface just restored (its defaults when absent)
    omit: (v) => !Object.keys(v ?? {}).length,
    decode: (v, { cat }, draft) => readParams(cat.surfaceById.get(draft.surface)?.params, v),
  },
  {
    key: "e",
    path: "expression",
    omit: (v, config) => config.surface !== CUSTOM,
    decode: (v) => (typeof v === "string" && v.trim() ? v : DEFAULT_EXPRESSION),
  },
  {
    key: "d",
    path: "domain",
    omit: (v) => !v,
    encode: (d) => [...d.x, ...d.y],
    decode: (d) => (Array.isArray(d) && d.length === 4 && d.every(isNum) && d[0] < d[1] && d[2] < d[3] ? { x: [d[0], d[1]], y: [d[2], d[3]] } : null),
  },
  {
    key: "x0",
    path: "start",
    always: true, // an invalid or missing start falls back to the restored surface's own
    decode: (v, { cat }, draft) =>
      Array.isArray(v) && v.length === 2 && v.every(isNum) ? [...v] : cat.surfaceById.get(draft.surface)?.start ?? undefined,
  },
  { key: "n", path: "steps", ...integer({ min: 1, max: ({ limits }) => limits.max_steps, clamp: true }) },
  { key: "r", path: "runs", encode: (runs) => runs.map(encodeRun), decode: decodeRuns },
  ...VIEW_FLAGS.map(([short, name]) => ({ key: `v.${short}`, path: `view.${name}`, ...flag() })),
  { key: "v.ar", path: "view.arrowRun", ...integer({ min: -1, max: ({ limits }) => limits.max_runs - 1, clamp: true }) },
  { key: "v.ls", path: "view.lossScale", decode: (v) => (LOSS_SCALES.includes(v) ? v : undefined) },
  { key: "k", path: "step", omit: (v) => v === null, ...integer({ min: 0 }) },
  {
    key: "sw",
    path: "sweep",
    encode: (s) => [s.lrMin, s.lrMax, s.n],
    decode: (v, { limits }) =>
      Array.isArray(v) && v.length === 3 && v.every(isNum) && v[0] > 0 && v[1] > v[0]
        ? { lrMin: v[0], lrMax: v[1], n: clamp(Math.round(v[2]), 2, limits.max_sweep_points) }
        : undefined,
  },
  {
    key: "mp",
    path: "map",
    encode: (m) => [m.run, m.n, m.steps, m.mode === "basin" ? 1 : 0],
    decode: (v, { limits }, draft) =>
      Array.isArray(v) && (v.length === 3 || v.length === 4) && v.every(isNum)
        ? {
            run: clamp(Math.round(v[0]), 0, Math.max(0, draft.runs.length - 1)),
            n: clamp(Math.round(v[1]), 5, maxMapSide(limits)),
            steps: clamp(Math.round(v[2]), 1, limits.max_map_steps),
            mode: v[3] === 1 ? "basin" : "loss",
          }
        : undefined,
  },
];

/**
 * Rebuild a configuration from the URL object (null → the first visit's configuration).
 * @param {object|null} url decoded URL state
 * @param {{cat: object, limits: object}} ctx catalogue and server limits
 */
export function configFromUrl(url, ctx) {
  const base = defaultConfig(ctx.cat);
  if (!url || typeof url !== "object") return base;
  const start = { ...base, domain: null, step: null, view: { ...DEFAULT_VIEW } };
  const config = readFields(FIELDS, url, start, ctx);
  // no loss axis in the URL: the one the restored surface suggests
  if (!LOSS_SCALES.includes(url.v?.ls)) config.view = { ...config.view, lossScale: suggestedLossScale(ctx.cat.surfaceById.get(config.surface)) };
  return config;
}

/** The compact object stored in the URL. */
export function configToUrl(config, ctx) {
  return writeFields(FIELDS, config, ctx);
}
