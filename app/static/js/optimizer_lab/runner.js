/**
 * runner.js — runs the Optimizer Lab's optimizers: POST /api/trajectories, or
 * /api/trajectories/stream (SSE, drawn while it arrives) when there are more than
 * `limits.stream_above_steps` steps (GET /api/limits) — or when the whole answer would exceed the
 * server's work budget (a 422 `budget.exceeded`, which the budget check sends before any work, so
 * the run is streamed instead of failing); re-runs after a change when auto-run is on. A whole
 * answer asks (`format.arrays`) only for the per-step arrays this page draws.
 *
 *   import { createRunner } from "./runner.js";
 *   const runner = createRunner({ store, api, race, checkInputs, toast });
 *   runner.run({ auto: false });     // the Run button; {auto: true} stays silent on problems
 *
 * One run at a time: a new run, or any change that makes the results stale (the surface, start,
 * steps, an optimizer setting; typing a new f(x, y)), aborts the request in flight and drops its
 * answer (a sequence number guards against an answer that arrives after its abort). With auto-run
 * a change schedules a new run 400 ms after the last edit. The state says where it stands:
 * `busy` (a request in flight), `scheduled` (a run waiting for its debounce), `stale`, `runError`,
 * `lastRun` and `finished` (the count of finished runs).
 *
 * A 503 with `Retry-After` (the server's admission control is full, docs/errors.md `admission.busy`)
 * is not an error for the student: the state gets `retry: {seconds}` (counting down, shown by
 * main.js as "server busy, retrying in N s") and the same run is sent again when it reaches 0
 * (shared/busy_retry.js, the countdown the sweep panels use too; the main run is retried unbounded).
 */

import { ApiError } from "../shared/api.js";
import { createBusyRetry, isBusy } from "../shared/busy_retry.js";
import { t } from "../shared/i18n.js";
import { formatApiError } from "../shared/errors.js";
import { labFieldLabel } from "./field_labels.js";
import { changed } from "../shared/store.js";
import { CUSTOM, runKey, runLabels, trajectoryBody } from "./model.js";

const RERUN_MS = 400;
/** The per-step arrays the page draws besides path and loss: arrows (grad, update), the η chart,
 * the step inspector (state) and the distance chart. Anything else the API may add is not sent. */
const DRAWN_ARRAYS = Object.freeze(["grad", "update", "lr", "state", "distance"]);

/** True for the 422 a whole answer gets when it needs more work than the budget of one request. */
function overBudget(err) {
  return err instanceof ApiError && err.status === 422 && Array.isArray(err.detail) && err.detail.some((d) => d?.code === "budget.exceeded");
}

/**
 * The runner of one page.
 * @param {{store: object, api: {postJSON: Function, postSSE: Function},
 *          race: {pause: Function, setLength: Function, set: Function, length: number},
 *          checkInputs: (state: object) => string|null, toast: Function}} deps
 */
export function createRunner({ store, api, race, checkInputs, toast }) {
  let seq = 0;
  let abort = null;
  let timer = null;
  let computedKey = null; // runKey of the configuration whose results are shown or in flight
  // the countdown of a run the server asked to retry later (503); cancel() stops it
  const busyRetry = createBusyRetry({
    onCountdown: (c) => {
      if (c) store.update({ retry: { seconds: c.seconds } });
      else if (store.get().retry) store.update({ retry: null });
    },
  });
  const stopRetry = () => busyRetry.cancel();

  /** Drop the run in flight and any scheduled one. */
  function cancel() {
    seq += 1;
    computedKey = null;
    abort?.abort();
    abort = null;
    clearTimeout(timer);
    timer = null;
    stopRetry();
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      run({ auto: true });
    }, RERUN_MS);
    store.update({ scheduled: true });
  }

  /** Put finished (or arriving) runs on screen at the step the race should show. */
  function show(results, { final }) {
    const n = Math.max(1, ...results.runs.map((r) => r.path.length));
    const state = store.get();
    race.setLength(n);
    if (!final) {
      store.update({ results });
      race.set(n - 1, { force: true });
      return;
    }
    const k = state.pendingStep !== null ? Math.min(state.pendingStep, n - 1) : n - 1;
    store.update({ results, pendingStep: null, stale: false });
    race.set(k, { force: true });
  }

  async function stream(body, mine) {
    const runs = body.runs.map((r) => ({ label: r.label, optimizer: r.optimizer, path: [], loss: [], diverged: false, diverged_at: null }));
    let rev = 0;
    let scheduled = false;
    const repaint = () => {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        if (mine()) show({ request: body, runs, streamed: true, rev: ++rev }, { final: false });
      });
    };
    await api.postSSE("/api/trajectories/stream", body, {
      signal: abort.signal,
      onEvent: (name, data) => {
        if (!mine()) return;
        if (name === "chunk" && data && runs[data.run]) {
          const r = runs[data.run];
          const from = data.from ?? r.path.length;
          r.path.splice(from, data.path.length, ...data.path);
          r.loss.splice(from, data.loss.length, ...data.loss);
          repaint();
        } else if (name === "done" && data) {
          (data.runs ?? []).forEach((summary, i) => {
            if (!runs[i]) return;
            const { path, loss, ...rest } = summary;
            Object.assign(runs[i], rest, { label: summary.label ?? runs[i].label });
            if (Array.isArray(path) && path.length) runs[i].path = path;
            if (Array.isArray(loss) && loss.length) runs[i].loss = loss;
          });
        } else if (name === "error") {
          throw new ApiError(data?.message ?? data?.detail ?? "stream error", 500, data);
        }
      },
    });
    return { request: body, runs, streamed: true, rev: ++rev };
  }

  /** Run every configured optimizer now. `auto`: a re-run after a change (problems stay quiet). */
  async function run({ auto = false } = {}) {
    const state = store.get();
    const problem = checkInputs(state);
    if (problem) {
      store.update({ scheduled: false, ...(auto ? {} : { runError: problem }) });
      if (!auto) toast(problem, "error");
      return;
    }
    cancel();
    computedKey = runKey(state.config);
    const mySeq = seq;
    const mine = () => mySeq === seq;
    abort = new AbortController();
    const body = trajectoryBody(state.cat, state.config, runLabels(state));
    const started = performance.now();
    store.update({ busy: true, scheduled: false, runError: null });
    race.pause();
    try {
      let results = null;
      const threshold = state.limits?.stream_above_steps ?? 0;
      if (state.config.steps <= threshold) {
        try {
          const res = await api.postJSON("/api/trajectories", { ...body, format: { arrays: DRAWN_ARRAYS } }, { signal: abort.signal });
          results = { request: body, runs: res.runs, streamed: false, rev: 0 };
        } catch (err) {
          if (!overBudget(err) || !mine()) throw err;
        }
      }
      if (!results) results = await stream(body, mine);
      if (!mine()) return;
      show(results, { final: true });
      const s = store.get();
      store.update({
        lastRun: { runs: results.runs.length, steps: state.config.steps, ms: Math.round(performance.now() - started) },
        finished: s.finished + 1,
        ready: true,
      });
    } catch (err) {
      if (err.name === "AbortError" || !mine()) return;
      if (isBusy(err)) {
        computedKey = null; // not computed: a change meanwhile must not be mistaken for this run
        busyRetry.schedule(err.retryAfter, () => run({ auto }));
        return;
      }
      store.update({ runError: err }); // shown by main.js in the current language
      if (!auto) toast(formatApiError(err, { fieldLabel: labFieldLabel }), "error");
    } finally {
      if (mine()) store.update({ busy: false });
    }
  }

  // A change that makes the results stale: drop the run in flight (its answer would be stale)
  // and, with auto-run, schedule a new one. While a typed f(x, y) waits for its check nothing
  // runs. A whole new configuration (new epoch: preset, URL) is run by the page.
  store.subscribe((s, prev) => {
    if (!s.config || !prev.config || s.epoch !== prev.epoch) return;
    const c = (f) => (st) => f(st.config);
    const relevant = changed(s, prev, c((x) => x.surface), c((x) => x.surfaceParams), c((x) => x.expression), c((x) => x.start), c((x) => x.steps), c((x) => x.runs), (st) => st.exprCheck);
    if (relevant) {
      const blocked = s.config.surface === CUSTOM && s.exprCheck.status !== "ok";
      if (blocked || runKey(s.config) !== computedKey) {
        cancel();
        store.update({ stale: Boolean(s.results), busy: false, scheduled: false });
        if (!blocked && s.config.view.autoRun) schedule();
      }
    } else if (changed(s, prev, c((x) => x.view.autoRun)) && s.config.view.autoRun && s.stale) {
      run({ auto: true });
    }
  });

  return { run, cancel };
}
