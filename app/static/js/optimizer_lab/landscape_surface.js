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
 *   const hash = await landscapeRaceHash(registered, { optimizer: "sgd", params: { lr: 0.1 } }, { label });
 *   const traces = thetaStarTraces(spec);   // the main plot's θ* marker at (0, 0) ([] on other surfaces)
 *
 * The race opens with runs that make sense on the plane (the lab's default runs are tuned for its
 * textbook bowl and mostly leave a network's plane): first the training run's own optimizer with
 * its own hyperparameters — the question "what did my run do here?" — then contrasting
 * optimizers with the η the server suggests for this plane, start and number of steps
 * (POST /api/lr-suggestion, docs/stability.md). The race runs for the suggestion's steps.
 *
 * On the main plot the plane's origin is marked: f(0, 0) = L(θ*), the weights the run ended with.
 * It is not a minimum of the plane (a network's loss need not be lowest there in these two
 * directions), so it is not drawn as the ★ of the surfaces' minima but as its own filled
 * diamond labelled "θ*". On a random-direction plane the start projects almost onto θ* (two
 * random directions are nearly orthogonal to θ₀ − θ* in a space of thousands of weights) and both
 * must stay readable: the diamond is then open and wider than the start's circle, around it.
 */

import { getJSON, postJSON } from "../shared/api.js";
import { t } from "../shared/i18n.js";
import { fmt } from "../shared/format.js";
import { toHash } from "../shared/url_state.js";
import { encodeRun } from "./url_fields.js";

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

/**
 * Contrasting optimizers raced next to the trained one: the first two of these it is not. Heavy
 * ball is left out: its suggested η = 1/λ_max at the start is stable, but on a network's plane the
 * curvature is far from constant and its speed along the flat directions (× 1/(1 − μ) = 10) carries
 * it off the plotted plane within a few dozen steps.
 */
const CONTRASTS = ["sgd", "adam", "rmsprop"];

/**
 * The Optimizer-Lab URL hash of a race on a registered landscape plane.
 * @param {{surface: string, start: number[]}} registered POST /api/landscapes/surfaces
 * @param {{optimizer: string, params?: object}} trained the training job's `config.optimizer`
 * @param {{label: string}} options the first run's label (in the page's language)
 * @returns {Promise<string>} e.g. `(s:landscape-…,x0:!(a,b),n:100,r:!(…))`
 */
export async function landscapeRaceHash(registered, trained, { label }) {
  const ask = (optimizer) => postJSON("/api/lr-suggestion", { surface: registered.surface, start: [...registered.start], optimizer });
  const others = CONTRASTS.filter((id) => id !== trained.optimizer).slice(0, 2);
  const answers = await Promise.allSettled(others.map(ask));
  const suggested = answers.filter((a) => a.status === "fulfilled").map((a) => a.value);
  const runs = [{ optimizer: trained.optimizer, params: { ...(trained.params ?? {}) }, label }, ...suggested.map((a) => ({ optimizer: a.optimizer, params: { ...a.params } }))];
  const steps = suggested[0]?.source?.params?.steps; // the steps the η were suggested for (the server's default)
  return toHash({ s: registered.surface, x0: [...registered.start], ...(Number.isInteger(steps) ? { n: steps } : {}), r: runs.map(encodeRun) });
}

/** Is this surface (GET /api/surfaces/{id}) a network's landscape plane? */
export function isLandscapeSurface(spec) {
  return spec?.plane === "pca" || spec?.plane === "random" || (typeof spec?.id === "string" && spec.id.startsWith(LANDSCAPE_PREFIX));
}

/** The θ* marker's colour: a magenta that no run colour, contour level or the start's black uses. */
export const THETA_STAR_COLOUR = "#c2185b";

/** The start counts as "on θ*" closer than this share of the plane's larger side (a few pixels). */
const NEAR_SHARE = 0.03;

/**
 * θ*, the trained weights, at (0, 0) of a landscape plane: one scatter trace for the 2-D main
 * plot (drawn after the contour and the minima, before the start and the paths), with its
 * legend entry "θ* (trained weights)" in the page's language. When the start sits (almost) on θ*
 * the diamond is an open one drawn around the start's open circle (and the runs' markers that
 * sit there at step 0), and the legend says "θ* (trained weights) ≈ start, 0.013 apart", so the
 * student reads both. [] on any other surface.
 * @param {object|null} spec the surface's GET /api/surfaces item
 * @param {number[]|null} start the race's start (a, b)
 */
export function thetaStarTraces(spec, start = null) {
  if (!isLandscapeSurface(spec)) return [];
  const d = spec.domain;
  const side = d ? Math.max(d.x[1] - d.x[0], d.y[1] - d.y[0]) : 0;
  const gap = Array.isArray(start) ? Math.hypot(start[0], start[1]) : Infinity;
  const near = side > 0 && gap < NEAR_SHARE * side;
  // on the plot a short "θ*" (the start, arrows and paths crowd that spot); the legend says it all
  const name = near ? t("plot.theta_star_near", { d: fmt(gap, 2) }) : t("plot.theta_star");
  return [
    {
      type: "scatter",
      mode: "markers+text",
      x: [0],
      y: [0],
      name,
      meta: { kind: "theta_star", near },
      // on the start, the inspector's arrow labels (Δθ, −∇f) sit there too: the legend names it
      text: [near ? "" : "θ*"],
      textposition: "top right",
      textfont: { size: 14, color: THETA_STAR_COLOUR, weight: 700, shadow: "auto" },
      // far from the start: a filled diamond; on it: an open diamond around the start's circle and the
      // runs' markers sitting there at step 0 (drawn under them, it still shows all round)
      marker: near
        ? { symbol: "diamond-open", size: 26, color: THETA_STAR_COLOUR, line: { color: THETA_STAR_COLOUR, width: 2.5 } }
        : { symbol: "diamond", size: 12, color: THETA_STAR_COLOUR, line: { color: "#ffffff", width: 1.5 } },
      cliponaxis: false,
      hovertemplate: `${name} (%{x:.3g}, %{y:.3g})<extra></extra>`,
      showlegend: true,
    },
  ];
}
