/**
 * view_toggles.js — the view switches above the Optimizer Lab's main plot (static/index.html):
 * filled contours, 3-D, equal axes, log levels, the three arrows, the whole path, auto-run.
 *
 *   import { createViewToggles } from "./view_toggles.js";
 *   const toggles = createViewToggles({ onToggle: (key, on) => … });   // key of config.view
 *   toggles.render(state, prev);          // config.view → checkboxes (+ the 3-D layout class)
 */

import { changed } from "../shared/store.js";

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
  "auto-run": "autoRun",
};

/**
 * The view switches.
 * @param {{onToggle: (key: string, on: boolean) => void}} hooks called when a box is (un)checked
 */
export function createViewToggles({ onToggle }) {
  for (const [id, key] of Object.entries(VIEW_INPUTS)) {
    $(id).addEventListener("change", () => onToggle(key, $(id).checked));
  }

  function render(state, prev) {
    if (!state.config || !changed(state, prev, (s) => s.config?.view)) return;
    const view = state.config.view;
    for (const [id, key] of Object.entries(VIEW_INPUTS)) $(id).checked = Boolean(view[key]);
    $("plot-panel").classList.toggle("three-d", view.threeD);
  }

  return { render };
}
