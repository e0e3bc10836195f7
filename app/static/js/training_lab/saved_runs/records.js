/**
 * records.js — saved runs (GET /api/runs/{id}, docs/API.md "Saved runs") turned back into the
 * records the Training Lab draws: a finished TrainingSession of job_stream.js whose runs were fed
 * the stored events through the same `handle` a live stream uses, so the curves, histograms,
 * results and export show a saved run exactly like a run that has just finished.
 *
 *   const saved = await loadRun(id);                  // every event, page after page
 *   const {top, runs} = await loadTrainingRuns(id);   // a comparison: its runs, in order
 *   const session = sessionFromSaved(runs, top);      // session.saved = {id, label, kind, status, configs}
 */

import { getJSON } from "../../shared/api.js";
import { TrainingSession } from "../job_stream.js";

const path = (id) => `/api/runs/${encodeURIComponent(id)}`;

/** A saved run with all its kept events (the server pages them: `next_after`). */
export async function loadRun(id) {
  const first = await getJSON(path(id));
  const events = [...first.events];
  let after = first.next_after;
  while (after !== null && after !== undefined) {
    const page = await getJSON(path(id), { after });
    events.push(...page.events);
    after = page.next_after;
  }
  return { ...first, events };
}

/** The training runs behind a saved run: the run itself, or a comparison's (search's) runs in order. */
export async function loadTrainingRuns(id) {
  const top = await loadRun(id);
  if (!top.children?.length) return { top, runs: [top] };
  const runs = await Promise.all(top.children.map((c) => loadRun(c.id)));
  return { top, runs };
}

/**
 * A finished session replaying saved runs.
 * @param {object[]} saved saved runs with their events (loadRun)
 * @param {object} top the run that was opened (itself, or the comparison)
 */
export function sessionFromSaved(saved, top) {
  const session = new TrainingSession(saved.map((r) => r.config ?? {}));
  saved.forEach((record, i) => {
    const run = session.runs[i];
    run.jobId = record.id;
    run.savedId = record.id;
    run.savedStatus = record.status;
    for (const e of record.events) {
      run.lastId = e.id;
      session.handle(run, e.event, e.data, e.id);
    }
    run.label = record.label;
    run.summary = run.summary ?? record.summary ?? null;
    // a run the server never finished (interrupted) is shown as stopped, with what it recorded
    if (!["done", "cancelled", "error"].includes(run.status)) run.status = "cancelled";
  });
  session.finished = true;
  session.current = -1;
  // the stored configurations (GET /api/runs/{id} `config`), for "Train again with these settings"
  session.saved = { id: top.id, label: top.label, kind: top.kind, status: top.status, configs: saved.map((r) => r.config ?? null) };
  return session;
}
