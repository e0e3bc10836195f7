/**
 * curvature.js — the Hessian at the inspector's step (docs/stability.md): eigenvalues λ_min ≤ λ_max
 * and eigen-directions of the surface at the selected run's current point, from POST /api/curvature.
 * The main plot draws the two eigen-directions as segments scaled by |λ| (dashed where λ < 0:
 * a direction of negative curvature, the way off a saddle); the inspector lists the values and
 * plain GD's local limit 2/λ_max.
 *
 *   import { createCurvature, currentCurvature } from "./curvature.js";
 *   createCurvature({ store, api });     // keeps state.curv in line with the step (one request at a time)
 *   currentCurvature(state)              // → {run, point, eigenvalues, eigenvectors} or null
 *
 * State: `curv` = {key, run, point, eigenvalues: [λ_min, λ_max], eigenvectors: [[v_min], [v_max]]}.
 */

import { displayRuns, surfaceBody, surfaceKey } from "./model.js";

const DEBOUNCE_MS = 60;

/** The run whose curvature is shown (the arrow run; run 0 when arrows are on for every run). */
function selectedRun(state) {
  const runs = displayRuns(state);
  const want = state.config.view.arrowRun ?? 0;
  const i = want >= 0 && want < runs.length ? want : 0;
  return runs[i] ? { i, run: runs[i] } : null;
}

/** What the curvature is wanted for now: {key, run, point}, or null. */
function target(state) {
  if (!state.results || !state.config || state.stale) return null;
  const sel = selectedRun(state);
  const path = sel?.run.path ?? [];
  const point = path[Math.min(state.step, path.length - 1)];
  if (!point || !point.every(Number.isFinite)) return null;
  return { key: JSON.stringify([surfaceKey(state.config), point]), run: sel.i, point };
}

/** The curvature for the state's current point, if it has arrived. */
export function currentCurvature(state) {
  const want = target(state);
  return want && state.curv && state.curv.key === want.key ? state.curv : null;
}

/** Keep `state.curv` for the selected run's point at the current step. */
export function createCurvature({ store, api }) {
  let seq = 0;
  let timer = null;
  let asked = null;
  store.subscribe((state) => {
    const want = target(state);
    if (!want || want.key === asked) return;
    asked = want.key;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++seq;
      const body = { ...surfaceBody(state.cat, state.config), points: [want.point] };
      try {
        const res = await api.postJSON("/api/curvature", body);
        const p = res.points?.[0];
        if (mine === seq && p) store.update({ curv: { key: want.key, run: want.run, point: want.point, ...p } });
      } catch {
        if (mine === seq) asked = null; // not shown; asked again at the next step
      }
    }, DEBOUNCE_MS);
  });
}
