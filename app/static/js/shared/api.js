/**
 * api.js — the one place the pages talk HTTP to the backend (docs/API.md).
 *
 * How a page uses it:
 *
 *   import { getJSON, postJSON, postSSE, ApiError } from "/static/js/shared/api.js";
 *
 *   const surfaces = await getJSON("/api/surfaces");
 *   const grid = await getJSON("/api/surfaces/book_bowl/grid", { n: 120, scale: "log" });
 *   try {
 *     const res = await postJSON("/api/trajectories", body, { signal: controller.signal });
 *   } catch (err) {
 *     if (err instanceof ApiError) showMessage(err.message);   // text built from `detail`
 *   }
 *
 *   // Server-sent events over POST (EventSource cannot POST): one callback per event.
 *   await postSSE("/api/trajectories/stream", body, {
 *     onEvent: (name, data, id) => { ... },   // data is parsed JSON (or the raw string)
 *     signal: controller.signal,
 *   });
 *
 *   // Server-sent events over GET (resumable EventSource), e.g. training-job telemetry:
 *   const stop = listenSSE("/api/jobs/j-1/events", ["metrics", "epoch", "done"], (name, data, id) => {});
 *   stop();   // closes the EventSource
 *
 * Errors: any non-2xx response becomes an `ApiError` whose `message` is a readable summary of the
 * FastAPI `detail` (e.g. "steps: Input should be less than or equal to 20000"), with `status`,
 * `detail` (the raw value) and `fields` (the offending field paths, "body"/"query" stripped).
 * Network failures become an `ApiError` with status 0. Aborted requests re-throw the AbortError.
 * Pages show an error with `formatApiError(err, {fieldLabel})` (shared/errors.js), which renders
 * each item's `code` + `params` in the page's language. Requests send the page's language as
 * `Accept-Language`, so the server's own `msg` is Korean too where it has a Korean text.
 */

import { getLang } from "./i18n.js";

/** An HTTP error from the API, with a human-readable message built from FastAPI's `detail`. */
export class ApiError extends Error {
  /**
   * @param {string} message readable summary
   * @param {number} status HTTP status (0 for network errors)
   * @param {unknown} detail the raw `detail` value of the response body
   * @param {string[]} fields field paths named by the error, e.g. ["runs.0.params.lr"]
   */
  constructor(message, status, detail = null, fields = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.fields = fields;
  }
}

const LOCATION_ROOTS = new Set(["body", "query", "path", "header"]);

/** The field path of one FastAPI error item: ["body", "runs", 0, "lr"] → "runs.0.lr". */
function fieldOf(item) {
  if (!item || !Array.isArray(item.loc)) return "";
  const parts = item.loc.filter((p, i) => !(i === 0 && LOCATION_ROOTS.has(p)));
  return parts.join(".");
}

/**
 * Turn a response body into a readable message and the list of named fields.
 * @param {unknown} body parsed JSON (or text) of an error response
 * @param {number} status HTTP status
 * @returns {{message: string, fields: string[]}}
 */
export function describeError(body, status) {
  const detail = body && typeof body === "object" ? body.detail : body;
  if (typeof detail === "string" && detail) return { message: detail, fields: [] };
  if (Array.isArray(detail) && detail.length) {
    const fields = detail.map(fieldOf);
    const parts = detail.map((item, i) => {
      const msg = item && typeof item === "object" ? item.msg ?? JSON.stringify(item) : String(item);
      return fields[i] ? `${fields[i]}: ${msg}` : msg;
    });
    return { message: parts.join("; "), fields: fields.filter(Boolean) };
  }
  if (detail && typeof detail === "object") {
    return { message: detail.msg ?? JSON.stringify(detail), fields: [] };
  }
  return { message: `HTTP ${status}`, fields: [] };
}

/** Build "path?a=1&b=2" skipping null/undefined/"" values. */
export function withQuery(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === "") continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function raiseFor(response) {
  let body = null;
  const text = await response.text().catch(() => "");
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  const { message, fields } = describeError(body, response.status);
  throw new ApiError(message, response.status, body && body.detail !== undefined ? body.detail : body, fields);
}

async function request(path, init) {
  let response;
  const headers = { "Accept-Language": getLang(), ...(init.headers || {}) };
  try {
    response = await fetch(path, { ...init, headers });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(`network error: ${err && err.message ? err.message : err}`, 0);
  }
  if (!response.ok) await raiseFor(response);
  return response;
}

/**
 * GET a JSON resource.
 * @param {string} path e.g. "/api/surfaces"
 * @param {Record<string, unknown>} [query] query parameters (null/undefined skipped)
 * @param {{signal?: AbortSignal}} [options]
 */
export async function getJSON(path, query = {}, { signal } = {}) {
  const response = await request(withQuery(path, query), {
    headers: { Accept: "application/json" },
    signal,
  });
  return response.json();
}

/**
 * POST a JSON body, return the parsed JSON response.
 * @param {string} path
 * @param {unknown} body
 * @param {{signal?: AbortSignal}} [options]
 */
export async function postJSON(path, body, { signal } = {}) {
  const response = await request(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  return response.json();
}

/** PATCH a JSON body, return the parsed JSON response. */
export async function patchJSON(path, body, { signal } = {}) {
  const response = await request(path, {
    method: "PATCH",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  return response.json();
}

/** DELETE a resource, return the parsed JSON response (or null when empty). */
export async function deleteJSON(path, { signal } = {}) {
  const response = await request(path, { method: "DELETE", signal });
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/**
 * Parse one SSE event block ("event: x\nid: 3\ndata: {...}") into {name, data, id}.
 * Returns null for comment-only blocks.
 */
export function parseSSEBlock(block) {
  let name = "message";
  let id = null;
  const data = [];
  let seen = false;
  for (const rawLine of block.split(/\r?\n/)) {
    if (!rawLine || rawLine.startsWith(":")) continue;
    const colon = rawLine.indexOf(":");
    const field = colon < 0 ? rawLine : rawLine.slice(0, colon);
    let value = colon < 0 ? "" : rawLine.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
    else continue;
    seen = true;
  }
  if (!seen) return null;
  const text = data.join("\n");
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: hand over the raw text */
  }
  return { name, data: parsed, id };
}

/**
 * POST a JSON body and read the `text/event-stream` response as it arrives.
 * Resolves when the stream ends; rejects with ApiError on an HTTP error.
 * @param {string} path
 * @param {unknown} body
 * @param {{onEvent: (name: string, data: any, id: string|null) => void, signal?: AbortSignal}} options
 */
export async function postSSE(path, body, { onEvent, signal } = {}) {
  const response = await request(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffer += decoder.decode(value, { stream: true });
    // Events are separated by a blank line (LF LF or CRLF CRLF).
    let match;
    while ((match = /\r?\n\r?\n/.exec(buffer))) {
      const block = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      const event = parseSSEBlock(block);
      if (event && onEvent) onEvent(event.name, event.data, event.id);
    }
    if (done) break;
  }
  const tail = parseSSEBlock(buffer + decoder.decode());
  if (tail && onEvent) onEvent(tail.name, tail.data, tail.id);
}

/**
 * Listen to a GET SSE endpoint with EventSource (reconnects and resumes with Last-Event-ID).
 * @param {string} url
 * @param {string[]} names event names to listen to (e.g. ["metrics", "epoch", "done"])
 * @param {(name: string, data: any, id: string) => void} handler
 * @param {{onError?: (ev: Event) => void}} [options]
 * @returns {() => void} call to close the stream
 */
export function listenSSE(url, names, handler, { onError } = {}) {
  const source = new EventSource(url);
  for (const name of names) {
    source.addEventListener(name, (ev) => {
      let data = ev.data;
      try {
        data = JSON.parse(ev.data);
      } catch {
        /* raw text */
      }
      handler(name, data, ev.lastEventId);
    });
  }
  if (onError) source.addEventListener("error", onError);
  return () => source.close();
}
