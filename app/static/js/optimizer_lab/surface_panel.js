/**
 * surface_panel.js — the Optimizer Lab's problem panel (static/index.html, left column): the
 * surface picker, the surface's formula / description / parameters, the custom f(x, y) field with
 * its inline check, the view range, the start point and the step count.
 *
 *   import { createSurfacePanel } from "./surface_panel.js";
 *   const panel = createSurfacePanel({ store, setConfig, selectSurface, checkExpression, setStart });
 *   panel.render(state, prev);      // from the page's one render path
 *
 * The panel only shows the state and reports edits: `setConfig(patch)` for a new value,
 * `selectSurface(id)` for another surface, `checkExpression(text)` for a typed f(x, y) (the
 * config's expression changes once the server accepts it). Typed text is never overwritten while
 * it parses to the value the state holds (the caret stays where it is).
 */

import { t, tr } from "../shared/i18n.js";
import { formatApiError } from "../shared/errors.js";
import { labFieldLabel } from "./field_labels.js";
import { renderFitted } from "./fit_math.js";
import { fmt, parseNumber } from "../shared/format.js";
import { changed } from "../shared/store.js";
import { CUSTOM, surfaceDomain, surfaceSpec } from "./model.js";

const $ = (id) => document.getElementById(id);
const DOMAIN_IDS = ["domain-x0", "domain-x1", "domain-y0", "domain-y1"];

/** Show `value` in a number input unless the typed text already means it. */
function showNumber(input, value) {
  if (parseNumber(input.value) === value && input.value !== "") return;
  input.value = value;
}

/**
 * The surface panel of one page.
 * @param {{store: object, setConfig: (patch: object) => void, selectSurface: (id: string) => void,
 *          checkExpression: (text: string) => void}} deps
 */
export function createSurfacePanel({ store, setConfig, selectSurface, checkExpression }) {
  const cfg = () => store.get().config;

  function fillSurfaceSelect(state) {
    const select = $("surface-select");
    select.replaceChildren();
    for (const s of state.cat.surfaces) {
      const o = document.createElement("option");
      o.value = s.id;
      o.textContent = tr(s.name) || s.id;
      select.append(o);
    }
    const o = document.createElement("option");
    o.value = CUSTOM;
    o.textContent = t("lab.custom");
    select.append(o);
  }

  function renderParams(state) {
    const surface = state.cat.surfaceById.get(state.config.surface);
    const box = $("surface-params");
    box.replaceChildren();
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
      input.setAttribute("data-testid", `surface-param-${p.name}`);
      if (Number.isFinite(p.min)) input.min = p.min;
      if (Number.isFinite(p.max)) input.max = p.max;
      input.addEventListener("input", () => {
        const v = parseNumber(input.value);
        const ok = Number.isFinite(v) && !(Number.isFinite(p.min) && v < p.min) && !(Number.isFinite(p.max) && v > p.max);
        input.setAttribute("aria-invalid", String(!ok));
        input.title = ok ? "" : t("common.invalid_number", { min: fmt(p.min), max: fmt(p.max) });
        if (ok) setConfig({ surfaceParams: { ...cfg().surfaceParams, [p.name]: v } });
      });
      label.append(caption, input);
      box.append(label);
    }
  }

  function renderText(state) {
    const spec = surfaceSpec(state);
    const custom = state.config.surface === CUSTOM;
    const check = state.exprCheck;
    const checkedTex = custom && check.status === "ok" && check.text === state.config.expression ? check.tex : null;
    const formula = state.info?.spec === spec ? spec?.formula : checkedTex ?? spec?.formula;
    renderFitted($("surface-formula"), formula ?? "");
    const description = tr(spec?.description);
    $("surface-description").textContent = description || (custom ? t("lab.custom_description") : "");
  }

  function renderExpression(state, prev) {
    const custom = state.config.surface === CUSTOM;
    $("expression-row").hidden = !custom;
    const input = $("expression-input");
    if (changed(state, prev, (s) => s.config.expression, (s) => s.epoch) && document.activeElement !== input) input.value = state.config.expression;
    const check = state.exprCheck;
    if (!changed(state, prev, (s) => s.exprCheck, (s) => s.lang)) return;
    const box = $("expression-error");
    if (check.status === "error") {
      box.hidden = false;
      box.textContent = check.error ? formatApiError(check.error, { fieldLabel: labFieldLabel }) : check.message;
      input.setAttribute("aria-invalid", "true");
      $("expression-gradient").replaceChildren();
    } else if (check.status === "ok") {
      box.hidden = true;
      box.textContent = "";
      input.setAttribute("aria-invalid", "false");
      if (check.gradient) renderFitted($("expression-gradient"), check.gradient);
      else $("expression-gradient").replaceChildren();
    }
  }

  function render(state, prev) {
    if (!state.config) return;
    const c = (f) => (s) => f(s.config);
    const lang = (s) => s.lang;
    if (changed(state, prev, lang, (s) => s.cat)) fillSurfaceSelect(state);
    if (changed(state, prev, lang, (s) => s.cat, c((x) => x.surface))) {
      $("surface-select").value = state.config.surface;
      renderParams(state);
    }
    for (const [name, value] of Object.entries(state.config.surfaceParams)) {
      const input = $(`surface-param-${name}`);
      if (input && input.getAttribute("aria-invalid") !== "true") showNumber(input, value);
    }
    renderExpression(state, prev);
    if (changed(state, prev, lang, (s) => s.info, (s) => s.exprCheck, c((x) => x.surface), c((x) => x.expression), c((x) => x.surfaceParams))) renderText(state);
    if (changed(state, prev, (s) => s.info, c((x) => x.domain), c((x) => x.surface), c((x) => x.surfaceParams))) {
      const d = surfaceDomain(surfaceSpec(state), state.config);
      [d.x[0], d.x[1], d.y[0], d.y[1]].forEach((v, i) => showNumber($(DOMAIN_IDS[i]), v));
    }
    if (changed(state, prev, lang, (s) => s.info, c((x) => x.surface))) {
      // a landscape plane's coordinates are a, b (axis_names.js); the key stays on the label for language switches
      const plane = Boolean(surfaceSpec(state)?.plane);
      for (const [id, key] of [["start-x", plane ? "lab.start_a" : "lab.start_x"], ["start-y", plane ? "lab.start_b" : "lab.start_y"]]) {
        const caption = $(id).closest("label").querySelector(".field-label");
        caption.dataset.i18n = key;
        caption.textContent = t(key);
      }
    }
    if (changed(state, prev, c((x) => x.start), c((x) => x.steps))) {
      showNumber($("start-x"), state.config.start[0]);
      showNumber($("start-y"), state.config.start[1]);
      showNumber($("steps-input"), state.config.steps);
    }
  }

  // ---- listeners (once)
  $("surface-select").addEventListener("change", (ev) => selectSurface(ev.target.value));
  $("expression-input").addEventListener("input", (ev) => checkExpression(ev.target.value));
  const onDomainInput = () => {
    const vals = DOMAIN_IDS.map((id) => parseNumber($(id).value));
    const ok = vals.every(Number.isFinite) && vals[0] < vals[1] && vals[2] < vals[3];
    for (const id of DOMAIN_IDS) $(id).setAttribute("aria-invalid", String(!ok));
    if (ok) setConfig({ domain: { x: [vals[0], vals[1]], y: [vals[2], vals[3]] } });
  };
  for (const id of DOMAIN_IDS) $(id).addEventListener("change", onDomainInput);
  $("domain-reset").addEventListener("click", () => setConfig({ domain: null }));
  const startInput = (id, index) =>
    $(id).addEventListener("input", () => {
      const v = parseNumber($(id).value);
      const ok = Number.isFinite(v);
      $(id).setAttribute("aria-invalid", String(!ok));
      if (!ok) return;
      const start = [...cfg().start];
      start[index] = v;
      setConfig({ start });
    });
  startInput("start-x", 0);
  startInput("start-y", 1);
  $("steps-input").addEventListener("input", () => {
    const max = store.get().limits.max_steps;
    const v = parseNumber($("steps-input").value);
    const ok = Number.isInteger(v) && v >= 1 && v <= max;
    $("steps-input").setAttribute("aria-invalid", String(!ok));
    $("steps-input").title = ok ? "" : t("common.invalid_number", { min: 1, max });
    if (ok) setConfig({ steps: v });
  });

  return { render };
}
