/**
 * job_stream.js — starts training jobs and follows their event streams (docs/API.md,
 * "Training Lab"): POST /api/jobs (one run) or POST /api/comparisons (several), then
 * GET /api/jobs/{id}/events with EventSource, one job after the other (a comparison's jobs run
 * one after another on the server; following them in turn also keeps the browser well below its
 * per-host connection limit). DELETE /api/jobs/{id} stops them.
 *
 *   const session = new TrainingSession(configs, {onChange, onEvent});
 *   await session.start();        // throws ApiError (422 / 429 …) before anything runs
 *   session.runs[i]               // see makeRun() below: events, frames, points, summary …
 *   await session.stop();
 *   await session.pause(); await session.step(5); await session.resume();   // the current run
 *
 * `onEvent(run, name, data)` is called for every event; `onChange()` when a run's status (or its
 * place in the server's queue, `run.queuePosition` from `queue` events) changes. A run is shown
 * paused only once the stream says so (`status` event): the server sends it when the worker has
 * really stopped, after any frame of the step in flight, so no frame arrives after it.
 */

import { deleteJSON, getJSON, listenSSE, postJSON } from "../shared/api.js";

export const TERMINAL = ["done", "cancelled", "error"];
const EVENT_NAMES = ["queue", "metrics", "epoch", "status", "sharpness", ...TERMINAL];

/**
 * The client-side record of one job.
 * @param {number} index position in the experiment
 * @param {object} config the request body sent for it
 */
export function makeRun(index, config) {
  return {
    index,
    config,
    label: config.label || `run ${index + 1}`,
    jobId: null,
    status: "queued", // queued | running | paused | done | cancelled | error
    queuePosition: null, // while queued: place in the server's line (1 = next), from `queue` events
    message: null,
    lastId: 0,
    events: [], // every event as received: {id, event, data}
    frames: [], // metrics events (with per-layer telemetry), in order
    points: [], // metrics + epoch events without `layers` (for the curves), in order
    epochs: [], // epoch events
    sharpness: [], // sharpness events {step, lambda_max, threshold} (option `sharpness`, docs/landscape.md)
    summary: null,
    latest: null, // the newest metrics/epoch payload (progress, eta …)
  };
}

/** Strip the heavy parts of a payload for the curve points. */
function curvePoint(name, data) {
  const { layers, boundary, ...rest } = data;
  return { event: name, ...rest };
}

/** One experiment's jobs on the server and their event streams, followed in turn (see the header). */
export class TrainingSession {
  /**
   * @param {object[]} configs request bodies (POST /api/jobs)
   * @param {{onEvent?: Function, onChange?: Function}} hooks
   */
  constructor(configs, { onEvent = () => {}, onChange = () => {} } = {}) {
    this.configs = configs;
    this.runs = configs.map((c, i) => makeRun(i, c));
    this.onEvent = onEvent;
    this.onChange = onChange;
    this.comparisonId = null;
    this.current = -1;
    this.closeStream = null;
    this.stopped = false;
    this.finished = false;
    this.startedAt = null;
  }

  /** Submit the jobs and start following the first one. */
  async start() {
    if (this.configs.length === 1) {
      const res = await postJSON("/api/jobs", this.configs[0]);
      this.runs[0].jobId = res.id;
      this.runs[0].status = res.status || "queued";
    } else {
      const res = await postJSON("/api/comparisons", { configs: this.configs });
      this.comparisonId = res.id;
      res.job_ids.forEach((id, i) => {
        if (this.runs[i]) this.runs[i].jobId = id;
      });
    }
    this.startedAt = performance.now();
    this.onChange();
    this.follow(0);
  }

  /** Listen to run i's event stream (and, when it ends, to the next run's). */
  follow(i) {
    if (this.closeStream) this.closeStream();
    this.closeStream = null;
    if (i >= this.runs.length || this.stopped) {
      this.finish();
      return;
    }
    this.current = i;
    const run = this.runs[i];
    const url = `/api/jobs/${encodeURIComponent(run.jobId)}/events`;
    let ended = false;
    const close = listenSSE(
      url,
      EVENT_NAMES,
      (name, data, id) => {
        if (ended) return;
        const n = Number(id);
        if (Number.isFinite(n) && n > 0) {
          if (n <= run.lastId) return; // already seen (a resumed stream repeats nothing, but be safe)
          run.lastId = n;
        }
        this.handle(run, name, data, n);
        if (TERMINAL.includes(name)) {
          ended = true;
          close();
          this.follow(i + 1);
        }
      },
      {
        onError: (ev) => {
          // EventSource reconnects by itself (resuming with Last-Event-ID). When it gives up
          // (e.g. 204: the job ended and nothing is left), read the job's final state instead.
          const source = ev && ev.target;
          if (ended || !source || source.readyState !== 2 /* CLOSED */) return;
          ended = true;
          this.recover(run).finally(() => this.follow(i + 1));
        },
      },
    );
    this.closeStream = close;
  }

  /** Apply one event to its run. */
  handle(run, name, data, id) {
    if (data === null || typeof data !== "object") data = {};
    run.events.push({ id, event: name, data });
    if (name === "queue") {
      // waiting for a worker on the server (docs/API.md, "Workers and the queue")
      run.queuePosition = Number.isInteger(data.position) ? data.position : null;
      this.onChange();
    } else if (name === "status") {
      // pause / resume of the job (docs/telemetry.md, "Pause and single steps")
      if (data.status === "paused" || data.status === "running") run.status = data.status;
      this.onChange();
    } else if (name === "metrics" || name === "epoch") {
      if (run.status === "queued") {
        run.status = "running";
        run.queuePosition = null;
        this.onChange();
      }
      run.latest = data;
      run.points.push(curvePoint(name, data));
      if (name === "metrics") run.frames.push(data);
      else run.epochs.push(data);
    } else if (name === "sharpness") {
      run.sharpness.push(data);
    } else if (TERMINAL.includes(name)) {
      run.status = name;
      run.summary = data.summary || null;
      run.message = data.message || null;
      run.error = data.code ? data : null; // {code, params, field}: shown with formatApiError
      this.onChange();
    }
    this.onEvent(run, name, data);
  }

  /** After a lost stream: take the job's final state from GET /api/jobs/{id}. */
  async recover(run) {
    try {
      const job = await getJSON(`/api/jobs/${encodeURIComponent(run.jobId)}`);
      for (const item of job.history || []) {
        if (item.id > run.lastId) {
          run.lastId = item.id;
          this.handle(run, item.event, item.data, item.id);
        }
      }
      if (!TERMINAL.includes(run.status) && TERMINAL.includes(job.status)) {
        run.status = job.status;
        run.summary = job.summary || null;
        this.onChange();
      }
    } catch (err) {
      run.status = "error";
      run.message = err && err.message ? err.message : String(err);
      this.onChange();
    }
  }

  /** Cancel every job that has not finished (DELETE /api/jobs/{id}). */
  async stop() {
    this.stopped = true;
    const pending = this.runs.filter((r) => r.jobId && !TERMINAL.includes(r.status));
    await Promise.allSettled(pending.map((r) => deleteJSON(`/api/jobs/${encodeURIComponent(r.jobId)}`)));
    // The current stream delivers its `cancelled` event and then closes; queued runs are marked here.
    for (const r of pending) {
      if (r.index !== this.current && !TERMINAL.includes(r.status)) r.status = "cancelled";
    }
    this.onChange();
  }

  /** The run being followed (null when none). */
  currentRun() {
    return this.current >= 0 ? this.runs[this.current] ?? null : null;
  }

  /**
   * Pause, resume or single-step the current run: POST /api/jobs/{id}/pause | resume | step.
   * The stream's `status` event (and, for a step, the `metrics` frame) updates the run.
   * @param {"pause"|"resume"|"step"} action
   * @param {number} [steps] optimizer steps for "step"
   */
  async control(action, steps = 1) {
    const run = this.currentRun();
    if (!run || !run.jobId) return null;
    const body = action === "step" ? { steps } : {};
    const res = await postJSON(`/api/jobs/${encodeURIComponent(run.jobId)}/${action}`, body);
    // "paused" comes from the stream only: it follows every frame the worker sent before stopping,
    // so a frame still on its way cannot land after the page has shown the run paused.
    if (res && res.status === "running" && run.status === "paused") {
      run.status = res.status;
      this.onChange();
    }
    return res;
  }

  /** Close the stream without cancelling (page leaves). */
  detach() {
    this.stopped = true;
    if (this.closeStream) this.closeStream();
    this.closeStream = null;
  }

  finish() {
    if (this.finished) return;
    this.finished = true;
    this.current = -1;
    this.onChange();
  }

  get running() {
    return !this.finished;
  }

  /**
   * Overall progress: finished runs count 1, the current one its own progress.
   * @returns {{fraction: number, run: number, runs: number, epoch: number|null, epochs: number|null, eta: number|null}}
   */
  progress() {
    const n = this.runs.length;
    let done = 0;
    let eta = null;
    let epoch = null;
    let epochs = null;
    let run = Math.max(0, this.current);
    for (const r of this.runs) {
      if (TERMINAL.includes(r.status)) done += 1;
      else if (r.status === "running" && r.latest) {
        done += Math.min(1, Math.max(0, r.latest.progress ?? 0));
        eta = r.latest.eta ?? null;
        epoch = r.latest.epoch ?? null;
        epochs = r.config.epochs;
        run = r.index;
      }
    }
    // Queued runs after the current one take about as long as the ones seen so far.
    const finishedRuns = this.runs.filter((r) => r.status === "done" && r.summary && r.summary.elapsed);
    const queued = this.runs.filter((r) => r.status === "queued").length;
    if (queued && finishedRuns.length) {
      const mean = finishedRuns.reduce((s, r) => s + r.summary.elapsed, 0) / finishedRuns.length;
      eta = (eta ?? 0) + queued * mean;
    }
    return { fraction: n ? done / n : 0, run, runs: n, epoch, epochs, eta };
  }
}
