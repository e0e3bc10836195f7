/**
 * surface_data.js — what the Optimizer Lab loads about the surface, kept in the page state:
 * the contour grid (GET /api/surfaces/{id}/grid → `state.grid`), the description for the current
 * parameters (GET /api/surfaces/{id}?… → `state.info`) and the check of a custom f(x, y)
 * (POST /api/expressions/validate → `state.exprCheck`).
 *
 *   import { createSurfaceData } from "./surface_data.js";
 *   const data = createSurfaceData({ store, api, onError });
 *   data.prefetchGrid(config);                        // at boot: ask before the first render
 *   const grid = await data.prefetchedGrid(config);   // its answer, prepared ({key, data} or null)
 *   data.loadGrid();                                  // now (else: on every relevant change)
 *   await data.checkExpression(text, { immediate, adoptStart });
 *
 * Every request is tagged with the key of what it asked for; an answer whose key is no longer the
 * current one (the person changed something meanwhile) is dropped, and a newer request aborts the
 * older one, so a slow stale answer can never overwrite a newer state.
 * `state.exprCheck` = {text, status: "ok" | "pending" | "error", message, gradient} where
 * `gradient` holds the TeX of ∇f (or null).
 */

import { exprToTex } from "../shared/math.js";
import { changed } from "../shared/store.js";
import { formatApiError } from "../shared/errors.js";
import { labFieldLabel } from "./field_labels.js";
import { CUSTOM, surfaceKey } from "./model.js";
import { prepareGrid } from "./contour_grid.js";

/** Query of GET /api/surfaces/{id}/grid for a configuration. */
export function gridQuery(config) {
  const q = { n: 120, scale: config.view.logLevels ? "log" : "linear" };
  if (config.domain) Object.assign(q, { x_min: config.domain.x[0], x_max: config.domain.x[1], y_min: config.domain.y[0], y_max: config.domain.y[1] });
  if (config.surface === CUSTOM) q.expression = config.expression;
  else Object.assign(q, config.surfaceParams);
  return q;
}

const gridKey = (config) => JSON.stringify([config.surface, gridQuery(config)]);
const exprReady = (state) => state.config.surface !== CUSTOM || state.exprCheck.status === "ok";

/**
 * The surface loaders of one page.
 * @param {{store: object, api: {getJSON: Function, postJSON: Function}, onError: (err: Error) => void}} deps
 */
export function createSurfaceData({ store, api, onError }) {
  const aborts = { grid: null, info: null, expr: null };
  const timers = { grid: null, expr: null };
  let exprSeq = 0;

  function fresh(name) {
    aborts[name]?.abort();
    aborts[name] = new AbortController();
    return aborts[name].signal;
  }

  async function loadInfo() {
    const state = store.get();
    const { config } = state;
    if (!exprReady(state)) return;
    const key = surfaceKey(config);
    if (state.info?.key === key) return;
    const query = config.surface === CUSTOM ? { expression: config.expression } : { ...config.surfaceParams };
    try {
      const spec = await api.getJSON(`/api/surfaces/${encodeURIComponent(config.surface)}`, query, { signal: fresh("info") });
      if (key !== surfaceKey(store.get().config)) return; // superseded
      store.update({ info: { key, spec } });
    } catch (err) {
      if (err.name !== "AbortError") console.warn("surface description unavailable:", err.message);
    }
  }

  let inflight = null; // {key, answer}: the grid request on its way (one at a time)
  let prefetched = null; // {key, answer}: the boot's grid request (prefetchGrid), until prefetchedGrid takes it

  /** The answer of GET …/grid for `config`: the request on its way if it asks the same, else a new one. */
  function requestGrid(config) {
    const key = gridKey(config);
    if (inflight?.key === key) return inflight.answer;
    const url = `/api/surfaces/${encodeURIComponent(config.surface)}/grid`;
    const answer = api.getJSON(url, gridQuery(config), { signal: fresh("grid") });
    const entry = { key, answer };
    inflight = entry;
    const done = () => {
      if (inflight === entry) inflight = null;
    };
    answer.then(done, done);
    return answer;
  }

  /**
   * Ask for the grid of `config` before it is the page's state (at boot, before the first render
   * draws anything): the loadGrid that follows takes this request's answer. Custom f(x, y) waits
   * for its check, as in loadGrid.
   */
  function prefetchGrid(config) {
    if (config.surface === CUSTOM) return;
    const key = gridKey(config);
    const answer = requestGrid(config);
    answer.catch(() => {}); // loadGrid reports a failure
    prefetched = { key, answer };
  }

  /**
   * The prefetched grid of `config`, prepared, as `state.grid` holds it ({key, data}), once it
   * has arrived: the page's boot puts it in the state and draws the first contour before the
   * first render (the loadGrid that follows finds it there). Null when nothing was prefetched
   * for `config` or the request failed (loadGrid then asks again and reports the error).
   */
  async function prefetchedGrid(config) {
    const entry = prefetched;
    prefetched = null;
    if (!entry || entry.key !== gridKey(config)) return null;
    try {
      return { key: entry.key, data: prepareGrid(await entry.answer) };
    } catch {
      return null;
    }
  }

  /** Load the grid (and the description) of the current configuration, unless already there. */
  async function loadGrid() {
    clearTimeout(timers.grid);
    const state = store.get();
    if (!state.config || !exprReady(state)) return;
    loadInfo();
    const key = gridKey(state.config);
    if (state.grid?.key === key) return;
    try {
      const answer = await requestGrid(state.config);
      if (key !== gridKey(store.get().config)) return; // superseded by a newer configuration
      store.update({ grid: { key, data: prepareGrid(answer) } });
    } catch (err) {
      if (err.name !== "AbortError") onError(err);
    }
  }

  /**
   * Check a typed f(x, y) with the server. `adoptStart` (when picking "custom") also moves the
   * start to the server's suggestion for that function. Until the answer, `exprCheck.status` is
   * "pending" (the page runs nothing meanwhile).
   */
  function checkExpression(text, { immediate = false, adoptStart = false } = {}) {
    clearTimeout(timers.expr);
    const seq = ++exprSeq;
    store.update((s) => ({ exprCheck: { ...s.exprCheck, text, status: "pending" } }));
    const run = async () => {
      try {
        const res = await api.postJSON("/api/expressions/validate", { expression: text }, { signal: fresh("expr") });
        if (seq !== exprSeq) return;
        const grad = res.gradient_tex ?? (res.gradient ?? []).map(exprToTex);
        // one line per component: a long gradient stays readable (fit_math.js wraps each further)
        const gradient = grad.length === 2 ? [`\\nabla f:\\; \\frac{\\partial f}{\\partial x} = ${grad[0]}`, `\\frac{\\partial f}{\\partial y} = ${grad[1]}`] : null;
        store.update((s) => {
          const config = { ...s.config, expression: text };
          if (adoptStart && Array.isArray(res.start) && res.start.length === 2) config.start = [...res.start];
          return { config, exprCheck: { text, status: "ok", message: "", gradient, tex: res.tex ?? null } };
        });
      } catch (err) {
        if (err.name === "AbortError" || seq !== exprSeq) return;
        const message = formatApiError(err, { fieldLabel: labFieldLabel }); // re-rendered per language: `error`
        store.update({ exprCheck: { text, status: "error", message, error: err, gradient: null, tex: null } });
      }
    };
    if (immediate) return run();
    timers.expr = setTimeout(run, 300);
    return null;
  }

  // Reload the grid shortly after anything it depends on changed (a new whole configuration —
  // preset, URL — is loaded by the page at once).
  store.subscribe((s, prev) => {
    if (!s.config || !prev.config || s.epoch !== prev.epoch) return;
    const c = (f) => (st) => f(st.config);
    if (
      changed(s, prev, c((x) => x.surface), c((x) => x.surfaceParams), c((x) => x.expression), c((x) => x.domain), c((x) => x.view.logLevels), (st) => st.exprCheck.status)
    ) {
      clearTimeout(timers.grid);
      timers.grid = setTimeout(loadGrid, 150);
    }
  });

  return { loadGrid, prefetchGrid, prefetchedGrid, checkExpression };
}
