/**
 * search/stream.js — one search on the server, followed live: POST /api/searches (or …/narrow),
 * GET /api/searches/{id} for what is there already, then GET /api/searches/{id}/events (SSE,
 * resumed with Last-Event-ID) as trials finish; DELETE cancels.
 *
 *   const s = new SearchFollower(() => redraw());
 *   await s.start(body);       // throws ApiError (422 / 429) before anything runs
 *   await s.open("s-…");       // an existing search (a link, a reload): its snapshot, then live
 *   s.data                     // {id, status, total, done, eta, elapsed, trials, space, config, …}
 */

import { deleteJSON, getJSON, listenSSE, postJSON } from "../../shared/api.js";

const TERMINAL = ["done", "cancelled", "error"];
const NAMES = ["status", "trial", ...TERMINAL];

export class SearchFollower {
  constructor(onChange) {
    this.onChange = onChange;
    this.data = null;
    this.close = null;
  }

  _reset(created) {
    this.stop();
    this.data = {
      id: created.id,
      status: created.status ?? "queued",
      method: created.method ?? created.config?.method,
      total: created.total ?? 0,
      done: created.done ?? 0,
      eta: null,
      elapsed: created.elapsed ?? 0,
      trials: created.trials ?? [],
      space: created.space ?? created.config?.space ?? [],
      parentId: created.parent_id ?? null,
      narrowedBest: created.narrowed_best ?? created.config?.narrowed_best ?? null,
      executor: created.executor ?? "",
      parallelism: created.parallelism ?? 0,
      message: null,
    };
  }

  async start(body) {
    const created = await postJSON("/api/searches", body);
    this._reset(created);
    this._listen(0);
    this.onChange();
    return this.data;
  }

  async narrow(fromId) {
    const created = await postJSON(`/api/searches/${fromId}/narrow`, {});
    this._reset(created);
    this._listen(0);
    this.onChange();
    return this.data;
  }

  async open(id) {
    const snap = await getJSON(`/api/searches/${id}`);
    this._reset(snap);
    if (!["done", "cancelled", "error", "interrupted"].includes(snap.status)) this._listen(snap.last_event_id);
    this.onChange();
    return this.data;
  }

  _listen(after) {
    const d = this.data;
    const seen = new Set(d.trials.map((t) => t.index));
    this.close = listenSSE(`/api/searches/${d.id}/events?last_event_id=${after}`, NAMES, (name, payload) => {
      if (this.data !== d) return;
      if (name === "status") {
        d.status = payload.status;
        d.total = payload.total ?? d.total;
        d.executor = payload.executor ?? d.executor;
        d.parallelism = payload.parallelism ?? d.parallelism;
      } else if (name === "trial") {
        if (!seen.has(payload.index)) {
          seen.add(payload.index);
          d.trials = [...d.trials, payload];
        }
        Object.assign(d, { done: payload.done, total: payload.total, eta: payload.eta, elapsed: payload.elapsed });
        if (d.status === "queued") d.status = "running";
      } else {
        d.status = payload.status ?? name;
        d.message = payload.message ?? null;
        d.eta = null;
        if (payload.summary) d.elapsed = payload.summary.elapsed ?? d.elapsed;
        this.stop();
      }
      this.onChange();
    });
  }

  async cancel() {
    if (!this.data) return;
    const res = await deleteJSON(`/api/searches/${this.data.id}`);
    if (this.data && res.status) this.data.status = res.status === "running" ? "running" : res.status;
    this.onChange();
  }

  get finished() {
    return Boolean(this.data) && ["done", "cancelled", "error", "interrupted"].includes(this.data.status);
  }

  stop() {
    if (this.close) this.close();
    this.close = null;
  }
}
