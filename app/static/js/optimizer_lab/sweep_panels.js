/**
 * sweep_panels.js — the Optimizer Lab's two study panels below the results (static/index.html):
 *   - learning-rate sweep: final loss of every run over a log range of η (POST /api/sweeps/lr),
 *     with plain GD's stability limit η < 2/λ_max(H) as a dashed line;
 *   - start-point map: final loss of one run from every start on an n × n grid
 *     (POST /api/sweeps/start-map); a click on the map moves the start.
 *
 *   import { createSweepPanels } from "./sweep_panels.js";
 *   const sweeps = createSweepPanels({ store, api, checkInputs, setConfig, toast });
 *   sweeps.render(state, prev);     // inputs, run names, both charts (or their placeholders)
 *
 * The answers live in the page state: `sweep` ({data, colours, threshold}) and `map`; the page
 * clears them when the problem changes. Input bounds follow the server's limits (`state.limits`).
 *
 * A busy server (503 + Retry-After, docs/errors.md `admission.busy`) is retried like the main run
 * (shared/busy_retry.js): the panel's status line (`#sweep-busy` / `#map-busy`, `data-retry`
 * "true" while counting down, `data-gave-up` after the last try) says "server busy, retrying in
 * N s"; after BUSY_ATTEMPTS busy answers in a row it stops and says so. A change of what the
 * request would send (the problem, the runs, the panel's own inputs) cancels the countdown.
 */

import { t, hasKey } from "../shared/i18n.js";
import { formatApiError } from "../shared/errors.js";
import { labFieldLabel } from "./field_labels.js";
import { fmt, parseNumber } from "../shared/format.js";
import { changed } from "../shared/store.js";
import { SWEEP_MAX_STEPS, runBody, runLabels, surfaceBody, surfaceSpec, sweepGroups } from "./model.js";
import { maxMapSide } from "./url_fields.js";
import { drawSweep, drawStartMap, drawBasinMap, drawPlaceholder } from "./side_charts.js";
import { textBundle } from "./figures.js";
import { createBusyRetry, isBusy } from "../shared/busy_retry.js";

const $ = (id) => document.getElementById(id);

/** Busy answers (503) a panel retries in a row before it gives up and says so. */
export const BUSY_ATTEMPTS = 3;

/**
 * The sweep and start-map panels of one page.
 * @param {{store: object, api: {postJSON: Function}, checkInputs: (state: object) => string|null,
 *          setConfig: (patch: object) => void, toast: (message: string, kind?: string) => void}} deps
 */
export function createSweepPanels({ store, api, checkInputs, setConfig, toast }) {
  const aborts = { sweep: null, map: null };
  const fresh = (name) => {
    aborts[name]?.abort();
    aborts[name] = new AbortController();
    return aborts[name].signal;
  };

  // ---------------------------------------------------------------- a busy server (503)

  /** What each panel's busy line says: {seconds, attempt, maxAttempts} counting down, {resending}, {gaveUp}, or null. */
  const busy = { sweep: null, map: null };
  /** What the request waiting for its retry would send (retryKey), to cancel it when that changes. */
  const waiting = { sweep: null, map: null };
  const BUTTON_KEY = { sweep: "sweep.run", map: "map.run" };
  const busyLine = (name) => {
    let line = $(`${name}-busy`);
    if (!line) {
      line = document.createElement("p");
      line.id = `${name}-busy`;
      line.className = "status busy-line"; // styled like the main run's busy status (app.css .status[data-retry])
      line.setAttribute("role", "status");
      line.setAttribute("data-testid", `${name}-busy`);
      line.hidden = true;
      $(`${name}-plot`).before(line);
    }
    return line;
  };
  function showBusy(name) {
    const line = busyLine(name);
    const b = busy[name];
    line.hidden = !b;
    line.dataset.retry = String(Boolean(b && !b.gaveUp));
    line.dataset.gaveUp = String(Boolean(b?.gaveUp));
    line.classList.toggle("field-error", Boolean(b?.gaveUp)); // the clear "stopped trying" message
    if (!(name === "sweep" ? store.get().sweep : store.get().map)) drawEmpty(name);
    if (!b) line.textContent = "";
    else if (b.resending) line.textContent = t("busy.resending");
    else if (b.gaveUp) line.textContent = t("busy.gave_up", { max: BUSY_ATTEMPTS, button: t(BUTTON_KEY[name]) });
    else line.textContent = t("busy.retry", { n: b.seconds, k: b.attempt, max: b.maxAttempts });
  }
  /** The empty chart's text: "press Run" — or, while a retry is pending, that the panel waits for the server. */
  const emptyText = (name) => (busy[name] && !busy[name].gaveUp ? t("busy.waiting") : t(`${name}.empty`));
  const drawnEmpty = { sweep: null, map: null };
  function drawEmpty(name, force = false) {
    const text = emptyText(name);
    if (!force && drawnEmpty[name] === text) return;
    drawnEmpty[name] = text;
    drawPlaceholder($(`${name}-plot`), text);
  }
  const setBusy = (name, value) => {
    busy[name] = value;
    showBusy(name);
  };
  const retries = {
    sweep: createBusyRetry({ maxAttempts: BUSY_ATTEMPTS, onCountdown: (c) => c && setBusy("sweep", c) }),
    map: createBusyRetry({ maxAttempts: BUSY_ATTEMPTS, onCountdown: (c) => c && setBusy("map", c) }),
  };
  /** The parts of the state a panel's request is built from (the problem, the runs, its settings). */
  function retryKey(name, config) {
    const own = name === "sweep" ? config.sweep : { ...config.map, mode: undefined };
    return JSON.stringify([config.surface, config.surfaceParams, config.expression, config.start, config.steps, config.domain, config.runs, own]);
  }
  /** Stop a panel's countdown (its request is out of date) and clear its busy line. */
  function cancelRetry(name) {
    retries[name].cancel();
    waiting[name] = null;
    if (busy[name]) setBusy(name, null);
  }
  /** No countdown and no busy answers counted: at a fresh request of the student's, and once one is answered. */
  function clearRetry(name) {
    cancelRetry(name);
    retries[name].reset();
  }
  /**
   * After a failed request: a busy server is retried (true: counting down) until the attempts are
   * used up (the line then says so, true: handled); anything else is for the caller (false).
   */
  function retryIfBusy(name, err, resend) {
    if (!isBusy(err)) {
      cancelRetry(name);
      return false;
    }
    waiting[name] = retryKey(name, store.get().config);
    const again = () => {
      waiting[name] = null;
      setBusy(name, { resending: true });
      resend();
    };
    if (retries[name].schedule(err.retryAfter, again)) return true;
    waiting[name] = null;
    setBusy(name, { gaveUp: true });
    return true;
  }

  /**
   * Plain-GD stability limit near the minimum: GD on a quadratic with Hessian H converges only for
   * η < 2/λ_max(H). Used when the sweep answer has no `gd_threshold`. The Hessian's eigenvalues
   * come from the API: a surface may list them
   * (`hessian_eigenvalues`), else a one-step Newton run started at the (global) minimum reports
   * them in its state (`eig`). For a quadratic (book_bowl, course_quadratic, ill_conditioned) the
   * limit is exact everywhere; elsewhere it is the local limit near that minimum.
   * Returns {lr} or null (custom functions, saddles only, no positive curvature).
   */
  async function fetchStabilityThreshold(state) {
    const s = surfaceSpec(state);
    if (!s) return null;
    let eig = Array.isArray(s.hessian_eigenvalues) ? s.hessian_eigenvalues : null;
    const minimum = s.global_minima?.[0] ?? s.minima?.[0];
    if (!eig && minimum && state.cat.optimizerById.has("newton")) {
      const body = {
        ...surfaceBody(state.cat, state.config),
        start: [...minimum],
        steps: 1,
        runs: [{ optimizer: "newton", params: { lr: 1 }, label: "hessian probe" }],
        record_state: true,
      };
      try {
        const res = await api.postJSON("/api/trajectories", body);
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

  /**
   * The stability limits to draw on the sweep, labelled in the current language: each result's
   * own threshold at the minimum (GD 2/λ_max, heavy ball 2(1+μ)/λ_max, Nesterov; docs/stability.md),
   * one line per distinct value; else plain GD's limit.
   */
  function stabilityThresholds(sweep) {
    const out = [];
    sweep?.data?.results?.forEach((r, i) => {
      if (!Number.isFinite(r.threshold) || out.some((o) => Math.abs(o.lr - r.threshold) <= 1e-12 * r.threshold)) return;
      const rule = sweep.rules?.[i] ?? r.optimizer;
      const key = hasKey(`sweep.threshold_${rule}`) ? `sweep.threshold_${rule}` : "sweep.threshold";
      out.push({ lr: r.threshold, label: t(key, { lr: fmt(r.threshold, 3) }), colour: sweep.colours[i] });
    });
    const th = sweep?.threshold;
    if (!out.length && th) out.push({ lr: th.lr, label: t("sweep.threshold", { lr: fmt(th.lr, 3) }), colour: "#b00020" });
    return out;
  }

  /** The configuration can be sent (else say what to fix). */
  function inputsOk(state) {
    const problem = checkInputs(state);
    if (problem) toast(problem, "error");
    return !problem;
  }

  async function runSweep({ resend = false } = {}) {
    if (!resend) clearRetry("sweep");
    const state = store.get();
    if (!inputsOk(state)) return;
    const lrMin = parseNumber($("sweep-lr-min").value);
    const lrMax = parseNumber($("sweep-lr-max").value);
    const n = Math.round(parseNumber($("sweep-n").value));
    if (!(lrMin > 0 && lrMax > lrMin && n >= 2 && n <= state.limits.max_sweep_points)) {
      toast(t("sweep.bad_range"), "error");
      return;
    }
    setConfig({ sweep: { lrMin, lrMax, n } });
    const { config, cat } = store.get();
    const groups = sweepGroups(store.get());
    const colours = groups.map((g) => g.run.colour);
    const body = {
      ...surfaceBody(cat, config),
      start: [...config.start],
      steps: Math.min(config.steps, SWEEP_MAX_STEPS),
      runs: groups.map((g) => runBody(g.run, g.label)),
      lr_min: lrMin,
      lr_max: lrMax,
      n,
    };
    const button = $("sweep-button");
    button.disabled = true;
    button.classList.add("busy");
    try {
      const data = await api.postJSON("/api/sweeps/lr", body, { signal: fresh("sweep") });
      // the sweep answer may carry plain GD's limit itself; else derive it from the Hessian
      const threshold = Number.isFinite(data.gd_threshold) && data.gd_threshold > 0 ? { lr: data.gd_threshold } : await fetchStabilityThreshold(state);
      clearRetry("sweep");
      store.update({ sweep: { data, colours, threshold, rules: groups.map((g) => g.run.optimizer) } });
    } catch (err) {
      if (err.name === "AbortError" || retryIfBusy("sweep", err, () => runSweep({ resend: true }))) return;
      toast(formatApiError(err, { fieldLabel: labFieldLabel.for("sweep") }), "error");
    } finally {
      button.disabled = false;
      button.classList.remove("busy");
    }
  }

  function fillMapRunSelect(state) {
    const select = $("map-run");
    const names = runLabels(state);
    select.replaceChildren(
      ...names.map((name, i) => {
        const o = document.createElement("option");
        o.value = String(i);
        o.textContent = name;
        return o;
      }),
    );
    select.value = String(Math.min(state.config.map.run, Math.max(0, names.length - 1)));
  }

  async function runMap({ resend = false } = {}) {
    if (!resend) clearRetry("map");
    const state = store.get();
    if (!inputsOk(state)) return;
    const idx = Number($("map-run").value);
    const n = Math.round(parseNumber($("map-n").value));
    const steps = Math.round(parseNumber($("map-steps").value));
    const { limits, config, cat } = state;
    if (!(n >= 5 && n <= maxMapSide(limits) && steps >= 1 && steps <= limits.max_map_steps) || !config.runs[idx]) {
      toast(t("map.bad_input"), "error");
      return;
    }
    setConfig({ map: { ...config.map, run: idx, n, steps } });
    const { label, ...run } = runBody(config.runs[idx], runLabels(state)[idx]);
    const body = {
      ...surfaceBody(cat, config),
      run,
      steps,
      n,
      domain: config.domain ? { x: [...config.domain.x], y: [...config.domain.y] } : null,
    };
    const button = $("map-button");
    button.disabled = true;
    button.classList.add("busy");
    try {
      const map = await api.postJSON("/api/sweeps/start-map", body, { signal: fresh("map") });
      clearRetry("map");
      store.update({ map });
    } catch (err) {
      if (err.name === "AbortError" || retryIfBusy("map", err, () => runMap({ resend: true }))) return;
      toast(formatApiError(err, { fieldLabel: labFieldLabel.for("map") }), "error");
    } finally {
      button.disabled = false;
      button.classList.remove("busy");
    }
  }

  /** Show `value` in an input unless the typed text already means it. */
  const show = (id, value) => {
    if (parseNumber($(id).value) !== value) $(id).value = value;
  };

  function render(state, prev) {
    if (!state.config) return;
    const c = (f) => (s) => f(s.config);
    if (changed(state, prev, (s) => s.limits)) {
      $("sweep-n").max = state.limits.max_sweep_points;
      $("map-n").max = maxMapSide(state.limits);
      $("map-steps").max = state.limits.max_map_steps;
    }
    if (changed(state, prev, c((x) => x.sweep))) {
      show("sweep-lr-min", state.config.sweep.lrMin);
      show("sweep-lr-max", state.config.sweep.lrMax);
      show("sweep-n", state.config.sweep.n);
    }
    if (changed(state, prev, c((x) => x.map))) {
      $("map-mode").value = state.config.map.mode ?? "loss";
      $("map-hint").dataset.i18n = state.config.map.mode === "basin" ? "map.hint_basin" : "map.hint";
      $("map-hint").textContent = t($("map-hint").dataset.i18n);
      show("map-n", state.config.map.n);
      show("map-steps", state.config.map.steps);
    }
    if (changed(state, prev, c((x) => x.runs), c((x) => x.map), (s) => s.lang)) fillMapRunSelect(state);
    const lang = changed(state, prev, (s) => s.lang);
    if (lang) ["sweep", "map"].forEach(showBusy);
    if (lang || changed(state, prev, (s) => s.sweep)) {
      if (state.sweep) drawSweep($("sweep-plot"), state.sweep.data, state.sweep.colours, stabilityThresholds(state.sweep), textBundle());
      else drawEmpty("sweep", true);
    }
    if (lang || changed(state, prev, (s) => s.map, (s) => s.info, c((x) => x.start), c((x) => x.map.mode))) {
      if (state.map && state.config.map.mode === "basin" && Array.isArray(state.map.basin)) drawBasinMap($("map-plot"), state.map, state.config.start, textBundle());
      else if (state.map) drawStartMap($("map-plot"), state.map, surfaceSpec(state), state.config.start, textBundle());
      else drawEmpty("map", true);
    }
  }

  $("sweep-button").addEventListener("click", () => runSweep());
  $("map-button").addEventListener("click", () => runMap());
  // the student changes what a waiting retry would send: it is out of date, drop it
  store.subscribe((s) => {
    if (!s.config) return;
    for (const name of ["sweep", "map"]) if (waiting[name] && retryKey(name, s.config) !== waiting[name]) cancelRetry(name);
  });
  for (const [name, ids] of [["sweep", ["sweep-lr-min", "sweep-lr-max", "sweep-n"]], ["map", ["map-run", "map-n", "map-steps"]]]) {
    for (const id of ids) $(id).addEventListener("input", () => waiting[name] && cancelRetry(name));
  }
  $("map-mode").addEventListener("change", () => setConfig({ map: { ...store.get().config.map, mode: $("map-mode").value } }));
  $("map-run").addEventListener("change", () => setConfig({ map: { ...store.get().config.map, run: Number($("map-run").value) } }));

  return { render };
}
