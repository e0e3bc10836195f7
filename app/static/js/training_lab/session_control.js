/**
 * session_control.js — the Training Lab's session control (static/training.html, top of the
 * right column): Start (one TrainingSession of job_stream.js for all runs: POST /api/jobs +
 * SSE per run), Stop, the progress bar and text ("run k of n · epoch e of N · about 12 s left"),
 * the error line (a 422 also marks the offending form fields) and stopping the jobs when the
 * page is left. While a run waits for a worker on the server the progress text says its place in
 * line ("waiting for the server: 3rd in line", from the stream's `queue` events).
 *
 *   import { createSessionControl, renderProgress } from "./session_control.js";
 *   const control = createSessionControl({ store, hasInvalid, toast });   // Start / Stop, pagehide
 *   renderProgress(state);                         // drawn as the "progress" part by the charts
 *
 * Puts the session in the page state (`session`, a TrainingSession of job_stream.js, plus
 * `telemetry` {metrics, epoch, status}: event counters the charts redraw on), `runError` and
 * `errorKeys` (form keys a 422 named); `#training-lab[data-session]` ("idle" / "running" /
 * "finished", tests wait on it) is set at once when a session starts. The request bodies are
 * built from `config.runs` with their labels (run_list.js).
 */

import { ApiError } from "../shared/api.js";
import { getLang, t } from "../shared/i18n.js";
import { formatApiError } from "../shared/errors.js";
import { trainingFieldLabel } from "./field_labels.js";
import { buildConfig, clone, formKeyOfField } from "./model.js";
import { TrainingSession, TERMINAL } from "./job_stream.js";
import { runLabels } from "./run_list.js";

const $ = (id) => document.getElementById(id);

function formatSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return "—";
  if (s < 60) return t("train.seconds", { s: Math.max(0, Math.round(s)) });
  return t("train.minutes", { m: Math.floor(s / 60), s: String(Math.round(s % 60)).padStart(2, "0") });
}

/** "waiting for the server: 3rd in line" (English ordinal rules; Korean "3번째"), or plain "waiting". */
export function queueText(position) {
  if (!Number.isInteger(position) || position < 1) return t("status.queued");
  if (position === 1) return t("train.queue_next");
  const form = new Intl.PluralRules(getLang(), { type: "ordinal" }).select(position);
  const key = ["one", "two", "few"].includes(form) ? `train.ordinal_${form}` : "train.ordinal_other";
  return t("train.queue_position", { ordinal: t(key, { n: position }) });
}

/** The progress bar and text, the Start / Stop buttons and `data-session` for a state. */
export function renderProgress(state) {
  const { session } = state;
  const root = $("training-lab");
  const text = $("progress-text");
  const fill = $("progress-fill");
  const bar = $("progress");
  const running = Boolean(session && session.running);
  root.dataset.session = session ? (running ? "running" : "finished") : "idle";
  $("start-button").disabled = running;
  $("stop-button").disabled = !running;
  $("training-form").classList.toggle("locked", running);
  const current = running ? session.currentRun() : null;
  const paused = current?.status === "paused";
  $("pause-button").disabled = !current || !["running", "paused"].includes(current.status);
  $("pause-button").textContent = t(paused ? "train.resume" : "train.pause");
  $("pause-button").setAttribute("aria-pressed", String(paused));
  $("step-button").disabled = !paused;
  $("step-button").textContent = t("train.step_n");
  root.dataset.paused = String(paused);
  if (!session) {
    fill.style.width = "0%";
    bar.setAttribute("aria-valuenow", "0");
    text.textContent = t("train.idle");
    return;
  }
  const p = session.progress();
  fill.style.width = `${(100 * p.fraction).toFixed(1)}%`;
  bar.setAttribute("aria-valuenow", String(Math.round(100 * p.fraction)));
  bar.classList.toggle("done", !running);
  if (running) {
    const run = session.runs[p.run];
    const parts = [];
    if (p.runs > 1) parts.push(t("train.progress_run", { k: p.run + 1, n: p.runs, label: run?.label ?? "" }));
    if (run?.status === "queued") parts.push(queueText(run.queuePosition));
    else if (run?.status === "paused") parts.push(t("train.paused_at", { step: run.latest?.step ?? 0 }));
    else if (p.epoch !== null) parts.push(t("train.progress_epoch", { e: Number(p.epoch).toFixed(1), n: p.epochs }));
    if (p.eta !== null) parts.push(t("train.progress_eta", { time: formatSeconds(p.eta) }));
    text.textContent = parts.join(" · ") || t("common.running");
  } else {
    const statuses = session.runs.map((r) => r.status);
    const elapsed = session.runs.reduce((s, r) => s + (r.summary?.elapsed ?? r.latest?.elapsed ?? 0), 0);
    if (statuses.every((s) => s === "done")) text.textContent = t("train.finished", { time: formatSeconds(elapsed) });
    else if (statuses.includes("error")) text.textContent = t("train.finished_error");
    else text.textContent = t("train.stopped");
  }
}

/**
 * Start / Stop of one page.
 * @param {{store: object, hasInvalid: () => boolean, toast: Function}} deps
 */
export function createSessionControl({ store, hasInvalid, toast }) {
  const bump = (...kinds) =>
    store.update((s) => {
      const telemetry = { ...s.telemetry };
      for (const k of kinds) telemetry[k] += 1;
      return { telemetry };
    });

  async function start() {
    const state = store.get();
    if (state.session && state.session.running) return;
    if (hasInvalid()) {
      store.update({ runError: t("train.fix_fields") });
      return;
    }
    store.update({ runError: "", errorKeys: [] });
    const names = runLabels(state);
    const configs = state.config.runs.map((r, i) => buildConfig(r, state.cat, names[i]));
    const next = new TrainingSession(configs, {
      onEvent: (run, name) => {
        if (store.get().session !== next) return;
        if (name === "metrics") {
          const { display } = store.get();
          if (display.follow && next.current >= 0 && display.focus !== next.current && run.index === next.current) {
            store.update({ display: { ...display, focus: run.index } });
          }
          bump("metrics");
        } else if (name === "epoch" || name === "sharpness") bump("epoch");
        else if (TERMINAL.includes(name)) {
          const why = run.error ? formatApiError(run.error, { fieldLabel: trainingFieldLabel(store.get) }) : run.message;
          if (name === "error") toast(`${run.label}: ${why || t("status.error")}`, "error", 8000);
          bump("metrics", "epoch", "status");
        }
      },
      onChange: () => store.get().session === next && bump("status"),
    });
    next.forms = clone(state.config.runs); // to relabel the runs when the language changes
    $("training-lab").dataset.session = "running"; // at once: watchers must not see the old state
    store.update((s) => ({ session: next, display: { focus: 0, frame: 0, follow: true }, telemetry: { metrics: 0, epoch: 0, status: s.telemetry.status + 1 } }));
    $("start-button").disabled = true;
    try {
      await next.start();
    } catch (err) {
      const errorKeys = err instanceof ApiError ? [...new Set(err.fields.map(formKeyOfField).filter(Boolean))] : [];
      store.update((s) => ({
        session: null,
        runError: err instanceof ApiError ? err : String(err && err.message ? err.message : err), // main.js localises it
        errorKeys,
        telemetry: { ...s.telemetry, status: s.telemetry.status + 1 },
      }));
    }
  }

  async function stop() {
    const { session } = store.get();
    if (!session || !session.running) return;
    $("stop-button").disabled = true;
    try {
      await session.stop();
    } catch (err) {
      toast(formatApiError(err), "error");
    }
    bump("status");
  }

  /** Leaving the page stops its jobs, so they do not hold a worker slot for nobody. */
  function stopOnLeave() {
    const { session } = store.get();
    if (!session || !session.running) return;
    for (const r of session.runs) {
      if (r.jobId && !TERMINAL.includes(r.status)) {
        try {
          fetch(`/api/jobs/${encodeURIComponent(r.jobId)}`, { method: "DELETE", keepalive: true });
        } catch {
          /* the page is going away anyway */
        }
      }
    }
    session.detach();
  }

  /** Pause / resume / single step of the run being trained (job_stream.js `control`). */
  async function control(action) {
    const { session } = store.get();
    if (!session || !session.running) return;
    const n = Number($("step-count").value);
    const steps = Number.isInteger(n) && n >= 1 && n <= Number($("step-count").max) ? n : 1;
    if (action === "step") $("step-button").disabled = true;
    try {
      await session.control(action, steps);
    } catch (err) {
      toast(formatApiError(err), "error");
    }
    bump("status");
  }

  $("start-button").addEventListener("click", start);
  $("pause-button").addEventListener("click", () => {
    const run = store.get().session?.currentRun();
    control(run?.status === "paused" ? "resume" : "pause");
  });
  $("step-button").addEventListener("click", () => control("step"));
  $("stop-button").addEventListener("click", stop);
  window.addEventListener("pagehide", stopOnLeave);

  return { start, stop };
}
