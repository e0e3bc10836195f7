/**
 * session_control.js — the Training Lab's session control (static/training.html, top of the
 * right column): Start (one TrainingSession of job_stream.js for all runs: POST /api/jobs +
 * SSE per run), Stop, the progress bar and text ("run k of n · epoch e of N · about 12 s left"),
 * the error line (a 422 also marks the offending form fields) and stopping the jobs when the
 * page is left.
 *
 *   import { createSessionControl } from "./session_control.js";
 *   const control = createSessionControl(page);   // page: see training_lab/main.js
 *   control.wire();                               // Start / Stop buttons, pagehide (once)
 *   control.renderProgress()                      // drawn as the "progress" part by the charts
 *   control.showRunError(message)                 // "" hides it
 *
 * Sets `page.lab.session` and `#training-lab[data-session]` ("idle" / "running" / "finished",
 * tests wait on it); builds the request bodies from `page.lab.state.runs` with
 * `page.runs.labels()` and asks `page.charts` to redraw as events arrive.
 */

import { ApiError } from "../shared/api.js";
import { t } from "../shared/i18n.js";
import { toast } from "../shared/shell.js";
import { buildConfig, clone, formKeyOfField } from "./model.js";
import { TrainingSession, TERMINAL } from "./job_stream.js";

const $ = (id) => document.getElementById(id);

/**
 * The session control of one page.
 * @param {object} page the page context: {lab, root, runs, charts}
 */
export function createSessionControl(page) {
  const { lab, root } = page;
  const { display } = lab;

  // ---------------------------------------------------------------- progress

  function formatSeconds(s) {
    if (s === null || s === undefined || !Number.isFinite(s)) return "—";
    if (s < 60) return t("train.seconds", { s: Math.max(0, Math.round(s)) });
    return t("train.minutes", { m: Math.floor(s / 60), s: String(Math.round(s % 60)).padStart(2, "0") });
  }

  function renderProgress() {
    const text = $("progress-text");
    const fill = $("progress-fill");
    const bar = $("progress");
    const running = Boolean(lab.session && lab.session.running);
    root.dataset.session = lab.session ? (running ? "running" : "finished") : "idle";
    $("start-button").disabled = running;
    $("stop-button").disabled = !running;
    lab.form.root.classList.toggle("locked", running);
    if (!lab.session) {
      fill.style.width = "0%";
      bar.setAttribute("aria-valuenow", "0");
      text.textContent = t("train.idle");
      return;
    }
    const p = lab.session.progress();
    fill.style.width = `${(100 * p.fraction).toFixed(1)}%`;
    bar.setAttribute("aria-valuenow", String(Math.round(100 * p.fraction)));
    bar.classList.toggle("done", !running);
    if (running) {
      const run = lab.session.runs[p.run];
      const parts = [];
      if (p.runs > 1) parts.push(t("train.progress_run", { k: p.run + 1, n: p.runs, label: run?.label ?? "" }));
      if (run?.status === "queued") parts.push(t("status.queued"));
      else if (p.epoch !== null) parts.push(t("train.progress_epoch", { e: Number(p.epoch).toFixed(1), n: p.epochs }));
      if (p.eta !== null) parts.push(t("train.progress_eta", { time: formatSeconds(p.eta) }));
      text.textContent = parts.join(" · ") || t("common.running");
    } else {
      const statuses = lab.session.runs.map((r) => r.status);
      const elapsed = lab.session.runs.reduce((s, r) => s + (r.summary?.elapsed ?? r.latest?.elapsed ?? 0), 0);
      if (statuses.every((s) => s === "done")) text.textContent = t("train.finished", { time: formatSeconds(elapsed) });
      else if (statuses.includes("error")) text.textContent = t("train.finished_error");
      else text.textContent = t("train.stopped");
    }
  }

  // ---------------------------------------------------------------- start / stop

  function showRunError(message) {
    const box = $("run-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  async function start() {
    if (lab.session && lab.session.running) return;
    if (lab.form.hasInvalid()) {
      showRunError(t("train.fix_fields"));
      return;
    }
    showRunError("");
    lab.form.markErrors([]);
    const names = page.runs.labels();
    const configs = lab.state.runs.map((r, i) => buildConfig(r, lab.cat, names[i]));
    const next = new TrainingSession(configs, {
      onEvent: (run, name) => {
        if (name === "metrics") {
          if (display.follow && lab.session.current >= 0 && display.focus !== lab.session.current && run.index === lab.session.current) {
            display.focus = run.index;
            page.charts.invalidate("results");
          }
          page.charts.invalidate("curves", "hist", "progress");
        } else if (name === "epoch") {
          page.charts.invalidate("curves", "progress", "results");
        } else if (TERMINAL.includes(name)) {
          if (name === "error") toast(`${run.label}: ${run.message || t("status.error")}`, "error", 8000);
          page.charts.invalidate("curves", "hist", "results", "progress");
        }
      },
      onChange: () => page.charts.invalidate("progress", "results"),
    });
    next.forms = clone(lab.state.runs); // to relabel the runs when the language changes
    lab.session = next;
    root.dataset.session = "running"; // at once, not at the next frame: watchers must not see the old state
    display.focus = 0;
    display.frame = 0;
    display.follow = true;
    page.charts.invalidate("curves", "hist", "results", "progress");
    $("start-button").disabled = true;
    try {
      await next.start();
    } catch (err) {
      lab.session = null;
      const message = err instanceof ApiError ? err.message : String(err && err.message ? err.message : err);
      if (err instanceof ApiError && err.status === 429) showRunError(t("train.too_many_jobs", { message }));
      else showRunError(message);
      if (err instanceof ApiError) {
        const keys = [...new Set(err.fields.map(formKeyOfField).filter(Boolean))];
        lab.form.markErrors(keys);
      }
      page.charts.invalidate("curves", "hist", "results", "progress");
    }
  }

  async function stop() {
    if (!lab.session || !lab.session.running) return;
    $("stop-button").disabled = true;
    try {
      await lab.session.stop();
    } catch (err) {
      toast(String(err && err.message ? err.message : err), "error");
    }
    page.charts.invalidate("progress", "results");
  }

  /** Leaving the page stops its jobs, so they do not hold a worker slot for nobody. */
  function stopOnLeave() {
    if (!lab.session || !lab.session.running) return;
    for (const r of lab.session.runs) {
      if (r.jobId && !TERMINAL.includes(r.status)) {
        try {
          fetch(`/api/jobs/${encodeURIComponent(r.jobId)}`, { method: "DELETE", keepalive: true });
        } catch {
          /* the page is going away anyway */
        }
      }
    }
    lab.session.detach();
  }

  function wire() {
    $("start-button").addEventListener("click", start);
    $("stop-button").addEventListener("click", stop);
    window.addEventListener("pagehide", stopOnLeave);
  }

  return { renderProgress, showRunError, wire };
}
