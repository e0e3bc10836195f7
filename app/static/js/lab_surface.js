/**
 * lab_surface.js — the Optimizer Lab's problem panel (static/index.html, left column): the surface
 * picker, the surface's formula / description / parameters (described for the current parameters
 * by GET /api/surfaces/{id}), the custom f(x, y) check (POST /api/expressions/validate), the view
 * range inputs, the start point and step count, and loading the contour grid (GET …/grid).
 *
 *   import { createSurfacePanel } from "./lab_surface.js";
 *   const surface = createSurfacePanel(page);   // page: see optimizer_lab.js
 *   surface.wire();                             // attach the panel's input listeners (once)
 *   surface.surfaceSpec()                       // the current surface as described right now
 *   surface.selectSurface(id) / renderSurfaceInfo() / renderStartInputs() / setStart([x, y])
 *   surface.validateExpression(text, {immediate, adoptStart}) / loadGrid()
 *
 * Reads and writes `page.S` (config, cat, grid, gridKey, exprOk, info, infoKey and the aborts);
 * asks the page to `changed({grid, run})`, `showRunError(err)` and, through `page.view`, to
 * redraw the plots.
 */

import { getJSON, postJSON, ApiError } from "./api.js";
import { t, tr } from "./i18n.js";
import { renderMath, exprToTex } from "./math.js";
import { fmt, parseNumber } from "./format.js";
import { CUSTOM, MAX_STEPS, defaultSurfaceParams, prefersLogLevels, surfaceDomain } from "./lab_model.js";
import { prepareGrid } from "./contour_grid.js";

const $ = (id) => document.getElementById(id);
const DOMAIN_IDS = ["domain-x0", "domain-x1", "domain-y0", "domain-y1"];

/**
 * The surface panel of one page.
 * @param {object} page the page context: {S, debounce, changed, showRunError, view}
 */
export function createSurfacePanel(page) {
  const { S } = page;

  /** The catalogue entry of the current surface (null for custom). */
  function currentSurface() {
    return S.cat.surfaceById.get(S.config.surface) ?? null;
  }

  function infoKey() {
    const c = S.config;
    return JSON.stringify([c.surface, c.surface === CUSTOM ? c.expression : c.surfaceParams]);
  }

  /**
   * The current surface as described for the current parameters (GET /api/surfaces/{id}?…, or
   * custom?expression=…): formula, description, domain, minima and saddles can move with them.
   * Until that answer arrives, the catalogue entry (or a plain custom stand-in).
   */
  function surfaceSpec() {
    if (S.info && S.infoKey === infoKey()) return S.info;
    if (S.config.surface === CUSTOM) {
      return { domain: { x: [-5, 5], y: [-5, 5] }, minima: [], saddles: [], formula: `f(x,y) = ${exprToTex(S.config.expression)}` };
    }
    return currentSurface();
  }

  async function loadSurfaceInfo() {
    const cfg = S.config;
    const custom = cfg.surface === CUSTOM;
    if (custom && !S.exprOk) return;
    const key = infoKey();
    if (S.info && S.infoKey === key) return;
    S.infoAbort?.abort();
    const ctrl = new AbortController();
    S.infoAbort = ctrl;
    try {
      const info = await getJSON(`/api/surfaces/${encodeURIComponent(cfg.surface)}`, custom ? { expression: cfg.expression } : { ...cfg.surfaceParams }, { signal: ctrl.signal });
      if (key !== infoKey()) return;
      S.info = info;
      S.infoKey = key;
      renderSurfaceText();
      renderDomainInputs();
      page.view.redrawMain();
      page.view.drawSideCharts();
    } catch (err) {
      if (err.name !== "AbortError") console.warn("surface description unavailable:", err.message);
    }
  }

  function fillSurfaceSelect() {
    const select = $("surface-select");
    select.replaceChildren();
    for (const s of S.cat.surfaces) {
      const o = document.createElement("option");
      o.value = s.id;
      o.textContent = tr(s.name) || s.id;
      select.append(o);
    }
    const o = document.createElement("option");
    o.value = CUSTOM;
    o.textContent = t("lab.custom");
    select.append(o);
    select.value = S.config.surface;
  }

  /** Formula and description of the current surface, in the current language. */
  function renderSurfaceText() {
    const spec = surfaceSpec();
    renderMath($("surface-formula"), spec?.formula ?? "");
    const description = tr(spec?.description);
    $("surface-description").textContent = description || (S.config.surface === CUSTOM ? t("lab.custom_description") : "");
  }

  function renderSurfaceInfo() {
    const cfg = S.config;
    const surface = currentSurface();
    const custom = cfg.surface === CUSTOM;
    $("expression-row").hidden = !custom;
    $("expression-input").value = cfg.expression;
    renderSurfaceText();

    const params = $("surface-params");
    params.replaceChildren();
    for (const p of surface?.params ?? []) {
      const label = document.createElement("label");
      label.className = "field";
      const caption = document.createElement("span");
      caption.className = "field-label";
      caption.textContent = tr(p.description) || (p.name === "kappa" ? t("lab.kappa") : p.name);
      const input = document.createElement("input");
      input.type = "number";
      input.step = "any";
      input.id = `surface-param-${p.name}`;
      input.dataset.testid = `surface-param-${p.name}`;
      input.setAttribute("data-testid", `surface-param-${p.name}`);
      if (Number.isFinite(p.min)) input.min = p.min;
      if (Number.isFinite(p.max)) input.max = p.max;
      input.value = cfg.surfaceParams[p.name] ?? p.default;
      input.addEventListener("input", () => {
        const v = parseNumber(input.value);
        const ok = Number.isFinite(v) && !(Number.isFinite(p.min) && v < p.min) && !(Number.isFinite(p.max) && v > p.max);
        input.setAttribute("aria-invalid", String(!ok));
        input.title = ok ? "" : t("common.invalid_number", { min: fmt(p.min), max: fmt(p.max) });
        if (!ok) return;
        cfg.surfaceParams[p.name] = v;
        page.changed({ grid: true, run: true });
      });
      label.append(caption, input);
      params.append(label);
    }
    renderDomainInputs();
  }

  function renderDomainInputs() {
    const d = surfaceDomain(surfaceSpec(), S.config);
    $("domain-x0").value = d.x[0];
    $("domain-x1").value = d.x[1];
    $("domain-y0").value = d.y[0];
    $("domain-y1").value = d.y[1];
  }

  function onDomainInput() {
    const vals = DOMAIN_IDS.map((id) => parseNumber($(id).value));
    const ok = vals.every(Number.isFinite) && vals[0] < vals[1] && vals[2] < vals[3];
    for (const id of DOMAIN_IDS) $(id).setAttribute("aria-invalid", String(!ok));
    if (!ok) return;
    S.config.domain = { x: [vals[0], vals[1]], y: [vals[2], vals[3]] };
    page.changed({ grid: true });
  }

  function selectSurface(id) {
    const cfg = S.config;
    cfg.surface = id;
    const surface = currentSurface();
    cfg.surfaceParams = defaultSurfaceParams(surface);
    cfg.domain = null;
    cfg.view.logLevels = prefersLogLevels(surface);
    page.view.renderViewInputs();
    if (surface?.start) cfg.start = [...surface.start];
    S.sweep = null;
    S.map = null;
    renderSurfaceInfo();
    renderStartInputs();
    if (id === CUSTOM) validateExpression(cfg.expression, { immediate: true, adoptStart: true });
    else S.exprOk = true;
    page.changed({ grid: true, run: true });
    page.view.drawSideCharts();
  }

  /**
   * Check a typed f(x, y) with the server; show the error inline, or its gradient. `adoptStart`
   * (when picking "custom") also moves the start to the server's suggestion for that function.
   */
  async function validateExpression(text, { immediate = false, adoptStart = false } = {}) {
    const run = async () => {
      S.exprAbort?.abort();
      const ctrl = new AbortController();
      S.exprAbort = ctrl;
      const box = $("expression-error");
      const input = $("expression-input");
      try {
        const res = await postJSON("/api/expressions/validate", { expression: text }, { signal: ctrl.signal });
        S.exprOk = true;
        box.hidden = true;
        box.textContent = "";
        input.setAttribute("aria-invalid", "false");
        const grad = res.gradient_tex ?? (res.gradient ?? []).map(exprToTex);
        if (grad.length === 2) {
          renderMath($("expression-gradient"), `\\nabla f = \\left( ${grad[0]}, \\; ${grad[1]} \\right)`);
        } else {
          $("expression-gradient").replaceChildren();
        }
        renderMath($("surface-formula"), res.tex ?? `f(x,y) = ${exprToTex(text)}`);
        if (adoptStart && Array.isArray(res.start) && res.start.length === 2) {
          S.config.start = [...res.start];
          renderStartInputs();
        }
        if (S.config.expression !== text) {
          S.config.expression = text;
          page.changed({ grid: true, run: true });
        } else if (adoptStart) {
          page.changed({ grid: true, run: true });
        }
      } catch (err) {
        if (err.name === "AbortError") return;
        S.exprOk = false;
        box.hidden = false;
        box.textContent = err instanceof ApiError ? err.message : String(err);
        input.setAttribute("aria-invalid", "true");
        $("expression-gradient").replaceChildren();
      }
    };
    if (immediate) return run();
    page.debounce("expr", 300, run);
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // Start / steps

  function renderStartInputs() {
    $("start-x").value = S.config.start[0];
    $("start-y").value = S.config.start[1];
    $("steps-input").value = S.config.steps;
  }

  /** Round a picked coordinate to a precision that suits the visible range. */
  function roundForRange(v, width) {
    const decimals = Math.max(0, Math.min(6, 3 - Math.floor(Math.log10(Math.max(width, 1e-12)))));
    return Number(v.toFixed(decimals));
  }

  function setStart(point) {
    const d = surfaceDomain(surfaceSpec(), S.config);
    S.config.start = [roundForRange(point[0], d.x[1] - d.x[0]), roundForRange(point[1], d.y[1] - d.y[0])];
    renderStartInputs();
    $("start-x").setAttribute("aria-invalid", "false");
    $("start-y").setAttribute("aria-invalid", "false");
    page.changed({ run: true });
    page.view.redrawMain();
  }

  // -------------------------------------------------------------------------------------------
  // Contour grid

  function gridQuery() {
    const cfg = S.config;
    const q = { n: 120, scale: cfg.view.logLevels ? "log" : "linear" };
    if (cfg.domain) Object.assign(q, { x_min: cfg.domain.x[0], x_max: cfg.domain.x[1], y_min: cfg.domain.y[0], y_max: cfg.domain.y[1] });
    if (cfg.surface === CUSTOM) q.expression = cfg.expression;
    else Object.assign(q, cfg.surfaceParams);
    return q;
  }

  async function loadGrid() {
    const cfg = S.config;
    if (cfg.surface === CUSTOM && !S.exprOk) return;
    loadSurfaceInfo();
    const query = gridQuery();
    const key = JSON.stringify([cfg.surface, query]);
    if (key === S.gridKey && S.grid) return;
    S.gridAbort?.abort();
    const ctrl = new AbortController();
    S.gridAbort = ctrl;
    try {
      const api = await getJSON(`/api/surfaces/${encodeURIComponent(cfg.surface)}/grid`, query, { signal: ctrl.signal });
      S.grid = prepareGrid(api);
      S.gridKey = key;
      page.view.redrawMain();
    } catch (err) {
      if (err.name === "AbortError") return;
      page.showRunError(err);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Listeners

  function wire() {
    $("surface-select").addEventListener("change", (ev) => selectSurface(ev.target.value));
    $("expression-input").addEventListener("input", (ev) => validateExpression(ev.target.value));
    for (const id of DOMAIN_IDS) $(id).addEventListener("change", onDomainInput);
    $("domain-reset").addEventListener("click", () => {
      S.config.domain = null;
      renderDomainInputs();
      page.changed({ grid: true });
    });

    const startInput = (id, index) =>
      $(id).addEventListener("input", () => {
        const v = parseNumber($(id).value);
        const ok = Number.isFinite(v);
        $(id).setAttribute("aria-invalid", String(!ok));
        if (!ok) return;
        S.config.start[index] = v;
        page.changed({ run: true });
        page.view.redrawMain();
      });
    startInput("start-x", 0);
    startInput("start-y", 1);
    $("steps-input").addEventListener("input", () => {
      const v = parseNumber($("steps-input").value);
      const ok = Number.isInteger(v) && v >= 1 && v <= MAX_STEPS;
      $("steps-input").setAttribute("aria-invalid", String(!ok));
      $("steps-input").title = ok ? "" : t("common.invalid_number", { min: 1, max: MAX_STEPS });
      if (!ok) return;
      S.config.steps = v;
      page.changed({ run: true });
    });
  }

  return {
    currentSurface,
    surfaceSpec,
    fillSurfaceSelect,
    renderSurfaceInfo,
    renderDomainInputs,
    selectSurface,
    validateExpression,
    renderStartInputs,
    setStart,
    loadGrid,
    wire,
  };
}
