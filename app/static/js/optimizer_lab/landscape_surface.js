/**
 * landscape_surface.js — a training run's loss-landscape plane as a surface of this lab (docs/landscape.md).
 *
 * The Training Lab's Landscape view registers a plane on the server (POST /api/landscapes/surfaces)
 * and opens this page with `#(s:landscape-…,x0:!(a,b))`. Such an id is not in GET /api/surfaces
 * (it lives in a bounded server-side cache), so at boot the page asks GET /api/surfaces/{id} for
 * it and adds it to the catalogue; from then on it is a surface like any other (contour, races,
 * inspector, sweeps, start-point map — the server bounds their cost).
 *
 *   const surfaces = await withLandscapeSurface(await getJSON("/api/surfaces"), readUrlState(), { onError });
 */

import { getJSON } from "../shared/api.js";

export const LANDSCAPE_PREFIX = "landscape-";

/**
 * `surfaces` plus the landscape surface the URL names (when it does and the server still has it).
 * @param {object[]} surfaces GET /api/surfaces
 * @param {object|null} url the decoded URL state
 * @param {{onError: (err: unknown) => void}} options called when the server no longer has the surface
 */
export async function withLandscapeSurface(surfaces, url, { onError }) {
  const id = url?.s;
  if (typeof id !== "string" || !id.startsWith(LANDSCAPE_PREFIX)) return surfaces;
  try {
    const info = await getJSON(`/api/surfaces/${encodeURIComponent(id)}`);
    return [info, ...surfaces];
  } catch (err) {
    onError(err);
    return surfaces;
  }
}
