/**
 * lab_sweeps.js — the Optimizer Lab's two study panels below the results (static/index.html):
 *   - learning-rate sweep: final loss of every run over a log range of η (POST /api/sweeps/lr),
 *     with plain GD's stability limit η < 2/λ_max(H) as a dashed line;
 *   - start-point map: final loss of one run from every start on an n × n grid
 *     (POST /api/sweeps/start-map); a click on the map moves the start.
 *
 *   import { createSweepPanels } from "./lab_sweeps.js";
 *   const sweeps = createSweepPanels(page);     // page: see optimizer_lab.js
 *   sweeps.wire();                              // attach the panels' buttons (once)
 *   sweeps.renderInputs()                       // config.sweep / config.map → the inputs
 *   sweeps.fillMapRunSelect()                   // run names changed
 *   sweeps.drawPanels(text)                     // redraw both charts (or their placeholders)
 *
 * The answers live in `page.S.sweep` ({data, colours, threshold}) and `page.S.map`; the page
 * clears them when the problem changes. Uses the page's `checkInputs`, `labels`, `saveUrl`,
 * `surface.surfaceSpec` and `view.textBundle`.
 */

import { postJSON } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./shell.js";
import { fmt, parseNumber } from "./format.js";
import { surfaceBody, runBody } from "./lab_model.js";
import { drawSweep, drawStartMap, drawPlaceholder } from "./charts.js";

const $ = (id) => document.getElementById(id);

/**
 * The sweep and start-map panels of one page.
 * @param {object} page the page context: {S, checkInputs, labels, saveUrl, surface, view}
 */
export function createSweepPanels(page) {
  const { S } = page;

  /**
   * Plain-GD stability limit near the minimum: GD on a quadratic with Hessian H converges only for
   * η < 2/λ_max(H). Used when the sweep answer has no `gd_threshold`. The Hessian's eigenvalues
   * come from the API: a surface may list them
   * (`hessian_eigenvalues`), else a one-step Newton run started at the (global) minimum reports
   * them in its state (`eig`). For a quadratic (book_bowl, course_quadratic, ill_conditioned) the
   * limit is exact everywhere; elsewhere it is the local limit near that minimum.
   * Returns {lr} or null (custom functions, saddles only, no positive curvature).
   */
  async function fetchStabilityThreshold() {
    const s = page.surface.surfaceSpec();
    if (!s) return null;
    let eig = Array.isArray(s.hessian_eigenvalues) ? s.hessian_eigenvalues : null;
    const minimum = s.global_minima?.[0] ?? s.minima?.[0];
    if (!eig && minimum && S.cat.optimizerById.has("newton")) {
      const body = {
        ...surfaceBody(S.cat, S.config),
        start: [...minimum],
        steps: 1,
        runs: [{ optimizer: "newton", params: { lr: 1 }, label: "hessian probe" }],
        record_state: true,
      };
      try {
        const res = await postJSON("/api/trajectories", body);
        eig = res.runs?.[0]?.state?.eig?.[0] ?? null;
      } catch {
        eig = null;
      }
    }
    if (!Array.isArray(eig) || !eig.every(Number.isFinite)) return null;
    const lmax = Math.max(...eig);
    if (!(lmax > 0)) return null;
    return { lr: 2 / lmax };
  }

  /** The threshold of the current sweep with its label in the current language. */
  function stabilityThreshold() {
    const th = S.sweep?.threshold;
    return th ? { lr: th.lr, label: t("sweep.threshold", { lr: fmt(th.lr, 3) }) } : null;
  }

  async function runSweep() {
    const problem = page.checkInputs();
    if (problem) {
      toast(problem, "error");
      return;
    }
    const lrMin = parseNumber($("sweep-lr-min").value);
    const lrMax = parseNumber($("sweep-lr-max").value);
    const n = Math.round(parseNumber($("sweep-n").value));
    if (!(lrMin > 0 && lrMax > lrMin && n >= 2)) {
      toast(t("sweep.bad_range"), "error");
      return;
    }
    S.config.sweep = { lrMin, lrMax, n };
    page.saveUrl();
    S.sweepAbort?.abort();
    const ctrl = new AbortController();
    S.sweepAbort = ctrl;
    const names = page.labels();
    const colours = S.config.runs.map((r) => r.colour);
    const body = {
      ...surfaceBody(S.cat, S.config),
      start: [...S.config.start],
      steps: Math.min(S.config.steps, 2000),
      runs: S.config.runs.map((r, i) => runBody(r, names[i])),
      lr_min: lrMin,
      lr_max: lrMax,
      n,
    };
    const button = $("sweep-button");
    button.disabled = true;
    button.classList.add("busy");
    try {
      const data = await postJSON("/api/sweeps/lr", body, { signal: ctrl.signal });
      // the sweep answer may carry plain GD's limit itself; else derive it from the Hessian
      const threshold = Number.isFinite(data.gd_threshold) && data.gd_threshold > 0 ? { lr: data.gd_threshold } : await fetchStabilityThreshold();
      S.sweep = { data, colours, threshold };
      drawSweep($("sweep-plot"), data, colours, stabilityThreshold(), page.view.textBundle());
    } catch (err) {
      if (err.name !== "AbortError") toast(err.message, "error");
    } finally {
      button.disabled = false;
      button.classList.remove("busy");
    }
  }

  function fillMapRunSelect() {
    const select = $("map-run");
    const names = page.labels();
    select.replaceChildren(
      ...names.map((name, i) => {
        const o = document.createElement("option");
        o.value = String(i);
        o.textContent = name;
        return o;
      }),
    );
    const idx = Math.min(S.config.map.run, Math.max(0, names.length - 1));
    select.value = String(idx);
  }

  async function runMap() {
    const problem = page.checkInputs();
    if (problem) {
      toast(problem, "error");
      return;
    }
    const idx = Number($("map-run").value);
    const n = Math.round(parseNumber($("map-n").value));
    const steps = Math.round(parseNumber($("map-steps").value));
    if (!(n >= 5 && n <= 200 && steps >= 1 && steps <= 2000) || !S.config.runs[idx]) {
      toast(t("map.bad_input"), "error");
      return;
    }
    S.config.map = { run: idx, n, steps };
    page.saveUrl();
    S.mapAbort?.abort();
    const ctrl = new AbortController();
    S.mapAbort = ctrl;
    const { label, ...run } = runBody(S.config.runs[idx], page.labels()[idx]);
    const body = {
      ...surfaceBody(S.cat, S.config),
      run,
      steps,
      n,
      domain: S.config.domain ? { x: [...S.config.domain.x], y: [...S.config.domain.y] } : null,
    };
    const button = $("map-button");
    button.disabled = true;
    button.classList.add("busy");
    try {
      S.map = await postJSON("/api/sweeps/start-map", body, { signal: ctrl.signal });
      drawStartMap($("map-plot"), S.map, page.surface.surfaceSpec(), S.config.start, page.view.textBundle());
    } catch (err) {
      if (err.name !== "AbortError") toast(err.message, "error");
    } finally {
      button.disabled = false;
      button.classList.remove("busy");
    }
  }

  /** The configuration's sweep range and map settings → the panels' inputs. */
  function renderInputs() {
    $("sweep-lr-min").value = S.config.sweep.lrMin;
    $("sweep-lr-max").value = S.config.sweep.lrMax;
    $("sweep-n").value = S.config.sweep.n;
    $("map-n").value = S.config.map.n;
    $("map-steps").value = S.config.map.steps;
    fillMapRunSelect();
  }

  /** Both charts from the answers held (placeholders until there is one). */
  function drawPanels(text) {
    if (S.sweep) drawSweep($("sweep-plot"), S.sweep.data, S.sweep.colours, stabilityThreshold(), text);
    else drawPlaceholder($("sweep-plot"), t("sweep.empty"));
    if (S.map) drawStartMap($("map-plot"), S.map, page.surface.surfaceSpec(), S.config.start, text);
    else drawPlaceholder($("map-plot"), t("map.empty"));
  }

  function wire() {
    $("sweep-button").addEventListener("click", runSweep);
    $("map-button").addEventListener("click", runMap);
    $("map-run").addEventListener("change", () => {
      S.config.map.run = Number($("map-run").value);
      page.saveUrl();
    });
  }

  return { fillMapRunSelect, renderInputs, drawPanels, wire };
}
