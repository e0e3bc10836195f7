/**
 * early_requests.js — a page's first GET requests, sent as soon as this small module has loaded,
 * while the browser is still fetching the rest of the page's module graph (five levels of imports
 * on the Optimizer Lab, one round trip each) and before Plotly runs. The page names them once, in
 * its HTML, and its boot takes their answers instead of asking again:
 *
 *   <script type="module" async id="early-requests" src="/static/js/shared/early_requests.js"
 *           data-urls="/api/surfaces /api/limits"></script>
 *
 *   import { early } from "../shared/early_requests.js";
 *   const surfaces = await early("/api/surfaces");   // the early request's answer (once), else getJSON
 *
 * The requests are api.js's getJSON (same headers, same errors); an early request that failed
 * rejects where the page awaits it, exactly like a late one.
 */

import { getJSON } from "./api.js";

const sent = new Map();
for (const url of (document.getElementById("early-requests")?.dataset.urls ?? "").split(/\s+/).filter(Boolean)) {
  const answer = getJSON(url);
  answer.catch(() => {}); // reported where the page awaits it
  sent.set(url, answer);
}

/** The answer of GET `url`: the request sent early (the first time it is asked for), else a new one. */
export function early(url) {
  const answer = sent.get(url);
  sent.delete(url);
  return answer ?? getJSON(url);
}
