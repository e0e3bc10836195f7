/**
 * field_labels.js — which control of the Optimizer Lab an API error's `loc` points at, by its
 * visible label (for formatApiError in shared/errors.js: "f(x, y): unexpected '^' at position 3").
 *
 *   import { labFieldLabel } from "./field_labels.js";
 *   formatApiError(err, { fieldLabel: labFieldLabel });          // trajectories, expressions
 *   formatApiError(err, { fieldLabel: labFieldLabel.for("map") }); // the start-point map's own fields
 *
 * Labels are read from the page (already in the current language); a loc without a control gives
 * null (formatApiError then shows the dotted path).
 */

import { t } from "../shared/i18n.js";
import { inRun, labelOf } from "../shared/errors.js";

const ROOTS = new Set(["body", "query", "path"]);
const byId = (id) => document.getElementById(id);
const byTestId = (root, id) => root?.querySelector(`[data-testid="${id}"]`) ?? null;

/** Request fields → control ids, per request: the main run, the LR sweep, the start-point map. */
const TOP = {
  run: { expression: "expression-input", surface: "surface-select", steps: "steps-input" },
  sweep: { lr_min: "sweep-lr-min", lr_max: "sweep-lr-max", n: "sweep-n" },
  map: { run: "map-run", n: "map-n", steps: "map-steps" },
};

/** Inside a run card: a run field path → the control's test id. */
function cardControl(parts) {
  const [head, name] = parts;
  if (head === "params" && name) return `param-${name}`;
  if (head === "schedule") return name && name !== "type" ? `sched-${name}` : "run-schedule";
  if (head === "clip") return name === "mode" ? "run-clip-mode" : "run-clip-max";
  if (head === "noise") return name === "seed" ? "run-noise-seed" : "run-noise-std";
  return { optimizer: "run-optimizer", label: "run-label" }[head] ?? null;
}

/** The label of run card `index`'s field `parts`, with the run's name. */
function runFieldLabel(index, parts) {
  const card = document.querySelector(`[data-testid="run-card"][data-index="${index}"]`);
  const control = byTestId(card, cardControl(parts));
  const input = byTestId(card, "run-label");
  const run = input?.value || input?.placeholder || t("err.run_number", { n: index + 1 });
  return inRun(labelOf(control) ?? parts.join("."), run);
}

function labelFor(scope, loc) {
  const parts = loc.filter((p, i) => !(i === 0 && ROOTS.has(p)));
  const [head, ...rest] = parts;
  if (head === "runs" && Number.isInteger(Number(rest[0]))) return runFieldLabel(Number(rest[0]), rest.slice(1));
  if (head === "run" && scope === "map") return rest.length ? runFieldLabel(Number(byId("map-run")?.value ?? 0), rest) : labelOf(byId("map-run"));
  if (head === "start") {
    const ids = rest.length ? [rest[0] === 1 || rest[0] === "1" ? "start-y" : "start-x"] : ["start-x", "start-y"];
    return ids.map((id) => labelOf(byId(id))).join(", ");
  }
  if (head === "surface_params") return labelOf(byId(`surface-param-${rest[0]}`)) ?? rest[0];
  const id = TOP[scope]?.[head] ?? TOP.run[head];
  if (id) return labelOf(byId(id));
  if (loc[0] === "query" && byId(`surface-param-${head}`)) return labelOf(byId(`surface-param-${head}`));
  return null;
}

/** `fieldLabel(loc)` of the main run (trajectories, expression checks, surface grids). */
export function labFieldLabel(loc) {
  return labelFor("run", loc);
}

/** The same for the sweep's or the map's request: `labFieldLabel.for("sweep" | "map")`. */
labFieldLabel.for = (scope) => (loc) => labelFor(scope, loc);
