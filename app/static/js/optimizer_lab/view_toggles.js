/**
 * view_toggles.js — the view switches above the Optimizer Lab's main plot (static/index.html):
 * filled contours, 3-D, equal axes, log levels, the three arrows, the whole path, auto-run.
 *
 *   import { createViewToggles } from "./view_toggles.js";
 *   const toggles = createViewToggles({ onToggle: (key, on) => … });   // key of config.view
 *   toggles.render(state, prev);          // config.view → checkboxes (+ the 3-D layout class)
 */

import { changed } from "../shared/store.js";
import { t } from "../shared/i18n.js";
import { runLabels } from "./model.js";

const $ = (id) => document.getElementById(id);

/** Checkbox id → key of config.view. */
export const VIEW_INPUTS = {
  "view-filled": "filled",
  "view-3d": "threeD",
  "view-equal": "equal",
  "view-log": "logLevels",
  "view-grad": "grad",
  "view-update": "update",
  "view-velocity": "velocity",
  "view-ghost": "ghost",
  "view-textbook": "textbook",
  "auto-run": "autoRun",
};

/**
 * The view switches.
 * @param {{onToggle: (key: string, on: boolean) => void}} hooks called when a box is (un)checked
 */
export function createViewToggles({ onToggle, onArrowRun }) {
  for (const [id, key] of Object.entries(VIEW_INPUTS)) {
    $(id).addEventListener("change", () => onToggle(key, $(id).checked));
  }
  $("arrow-run").addEventListener("change", () => onArrowRun(Number($("arrow-run").value)));

  /** "arrows for: <run>" — every run's label, plus "all runs". */
  function fillArrowRun(state) {
    const select = $("arrow-run");
    const labels = runLabels(state);
    const options = [[-1, t("view.arrows_all")], ...labels.map((label, i) => [i, label])];
    select.replaceChildren(...options.map(([v, text]) => Object.assign(document.createElement("option"), { value: String(v), textContent: text })));
    const want = state.config.view.arrowRun ?? 0;
    select.value = String(want >= labels.length ? 0 : want);
    fillRunKey(state, labels, want);
  }

  /**
   * The run key under the plot (the plot's own legend holds only minima, saddles and the start, so
   * it never takes the plot's room): one chip per run, colour + label; a click shows that run's arrows.
   */
  function fillRunKey(state, labels, want) {
    const box = $("run-key");
    box.replaceChildren(
      ...state.config.runs.map((run, i) => {
        const chip = document.createElement("button");
        chip.type = "button";
        chip.className = "run-chip";
        chip.setAttribute("data-testid", "run-chip");
        chip.setAttribute("aria-pressed", String(want === i || want === -1));
        const swatch = document.createElement("span");
        swatch.className = "swatch";
        swatch.style.background = run.colour;
        chip.append(swatch, document.createTextNode(labels[i]));
        chip.title = t("view.chip_tip");
        chip.addEventListener("click", () => onArrowRun(i));
        return chip;
      }),
    );
  }

  function render(state, prev) {
    if (!state.config) return;
    if (changed(state, prev, (s) => s.config.view.arrowRun, (s) => s.config.runs, (s) => s.lang, (s) => s.cat)) fillArrowRun(state);
    if (!changed(state, prev, (s) => s.config?.view)) return;
    const view = state.config.view;
    for (const [id, key] of Object.entries(VIEW_INPUTS)) $(id).checked = Boolean(view[key]);
    $("plot-panel").classList.toggle("three-d", view.threeD);
  }

  return { render };
}
