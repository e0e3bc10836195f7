/**
 * search/model.js — the search form: defaults and bounds from GET /api/searches/catalogue, the
 * request body of POST /api/searches, the URL codec (for url_fields.js), and ranking for display.
 *
 * Form (page state `config.s`): {m: "random"|"grid", n: trials, e: epochs per trial, sub: samples,
 * vf: validation share, seed, ax: [{knob, on, low, high, scale}] (one per catalogue knob, in its
 * order), id: the search shown (or null), cid: the contrast search (the other method, same budget)}.
 */

const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const DEFAULT_KNOBS = ["lr", "weight_decay"]; // what the server's default space holds (catalogue `defaults.space`)

/** The form of a first visit, from the catalogue. */
export function searchDefaults(cat) {
  const d = cat.defaults;
  const on = new Set((d.space ?? []).map((a) => a.knob));
  if (!on.size) DEFAULT_KNOBS.forEach((k) => on.add(k));
  return {
    m: d.method,
    n: d.trials,
    e: d.epochs,
    sub: d.subset,
    vf: d.val_fraction,
    seed: d.seed,
    ax: cat.knobs.map((k) => ({ knob: k.knob, on: on.has(k.knob), low: k.low, high: k.high, scale: k.scale })),
    id: null,
    cid: null,
  };
}

/** Integer / number fields of the form with the catalogue's bounds: [key, min, max(cat), integer]. */
export const SCALAR_FIELDS = [
  ["n", () => 1, (cat) => cat.limits.max_search_trials, true],
  ["e", () => 1, (cat) => cat.limits.max_search_epochs, true],
  ["sub", () => 10, (cat) => cat.limits.max_samples, true],
  ["vf", () => 0, () => 0.9, false],
  ["seed", () => 0, () => 2 ** 32 - 1, true],
];

function withinKnob(k, v) {
  return isNum(v) && (k.exclusive_minimum ? v > k.minimum : v >= k.minimum) && v <= k.maximum;
}

/** The form read from a URL object, every value checked against the catalogue (a wrong one keeps the default). */
export function decodeSearchForm(raw, cat) {
  const form = searchDefaults(cat);
  if (!raw || typeof raw !== "object") return form;
  if (raw.m === "random" || raw.m === "grid") form.m = raw.m;
  for (const [key, lo, hi, integer] of SCALAR_FIELDS) {
    const v = raw[key];
    if (isNum(v) && v >= lo(cat) && v <= hi(cat) && (!integer || Number.isInteger(v))) form[key] = v;
  }
  if (raw.vf === 0) form.vf = cat.defaults.val_fraction; // the search needs a validation split
  const ax = raw.ax && typeof raw.ax === "object" ? raw.ax : {};
  form.ax = form.ax.map((a) => {
    const v = ax[a.knob];
    const k = cat.knobs.find((x) => x.knob === a.knob);
    if (!Array.isArray(v) || !k) return a;
    const [on, low, high, scale] = v;
    const sc = scale === "log" || scale === "linear" ? scale : a.scale;
    const ok = withinKnob(k, low) && withinKnob(k, high) && low < high && (sc !== "log" || low > 0);
    return { ...a, on: on === 1 || on === true, ...(ok ? { low, high, scale: sc } : {}) };
  });
  for (const key of ["id", "cid"]) if (typeof raw[key] === "string" && SEARCH_ID.test(raw[key])) form[key] = raw[key];
  return form;
}

/** A search's id (also its saved run's id, docs/runs.md). */
export const SEARCH_ID = /^s-[0-9a-f]{12}$/;

/**
 * The form of a saved search (its run's config, the POST /api/searches request, GET /api/runs/{id}),
 * showing search `id`: every value checked against today's catalogue like a link's (a value the
 * server no longer accepts keeps the default); the knobs outside its space are switched off.
 * @param {object} request the saved run's `config`
 * @param {object} cat GET /api/searches/catalogue
 * @param {string} id
 */
export function searchFormFromRequest(request, cat, id) {
  const r = request && typeof request === "object" ? request : {};
  const space = Array.isArray(r.space) ? r.space.filter((a) => a && typeof a.knob === "string") : [];
  const ax = {};
  for (const k of cat.knobs) {
    const a = space.find((x) => x.knob === k.knob);
    ax[k.knob] = a ? [1, a.low, a.high, a.scale ?? k.scale] : [0, k.low, k.high, k.scale];
  }
  const raw = { m: r.method, n: r.trials, e: r.epochs, sub: r.subset, vf: r.val_fraction, seed: r.seed, ax, id };
  return { ...decodeSearchForm(raw, cat), id, cid: null };
}

/** The compact URL object: only what differs from the defaults (null when nothing does). */
export function encodeSearchForm(form, cat) {
  const d = searchDefaults(cat);
  const out = {};
  for (const key of ["m", "n", "e", "sub", "vf", "seed", "id", "cid"]) if (form[key] !== d[key]) out[key] = form[key];
  const ax = {};
  form.ax.forEach((a, i) => {
    const b = d.ax[i];
    if (b && (a.on !== b.on || a.low !== b.low || a.high !== b.high || a.scale !== b.scale)) ax[a.knob] = [a.on ? 1 : 0, a.low, a.high, a.scale];
  });
  if (Object.keys(ax).length) out.ax = ax;
  return Object.keys(out).length ? out : null;
}

/** The body of POST /api/searches for the form (optionally with another method: the contrast). */
export function requestBody(form, method = form.m) {
  return {
    space: form.ax.filter((a) => a.on).map((a) => ({ knob: a.knob, low: a.low, high: a.high, scale: a.scale })),
    method,
    trials: form.n,
    epochs: form.e,
    subset: form.sub,
    val_fraction: form.vf,
    seed: form.seed,
  };
}

/** k = ⌊n^(1/d)⌋ grid points per axis, and the trials the grid uses (what the server does, docs/searches.md). */
export function gridBudget(n, d) {
  if (d < 1) return { k: 0, used: 0 };
  const k = Math.max(1, Math.floor(n ** (1 / d) + 1e-9));
  return { k, used: k ** d };
}

/** The form with ranges replaced by a search's space (the narrowed ranges after "Narrow"). */
export function formWithSpace(form, space) {
  const byKnob = new Map(space.map((a) => [a.knob, a]));
  return { ...form, ax: form.ax.map((a) => (byKnob.has(a.knob) ? { ...a, on: true, low: byKnob.get(a.knob).low, high: byKnob.get(a.knob).high, scale: byKnob.get(a.knob).scale ?? a.scale } : { ...a, on: false })) };
}

const score = (t) => (t.status === "done" && isNum(t.val_acc) ? t.val_acc : null);

/** Trials best first: finished ones by validation accuracy (ties: design order), then the others. */
export function ranked(trials) {
  return [...trials].sort((a, b) => {
    const sa = score(a);
    const sb = score(b);
    if (sa === null || sb === null) return sa === null && sb === null ? a.index - b.index : sa === null ? 1 : -1;
    return sb - sa || a.index - b.index;
  });
}

/** How many distinct values of `knob` the trials tried (6 significant digits). */
export function distinctValues(trials, knob) {
  return new Set(trials.map((t) => t.values?.[knob]).filter(isNum).map((v) => v.toPrecision(6))).size;
}
