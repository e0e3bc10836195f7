/**
 * field_labels.js — which control of the Training Lab an API error's `loc` points at, by its
 * visible label, with the run's name when several runs are compared (for formatApiError in
 * shared/errors.js: ["body", "configs", 1, "epochs"] → "epochs (Adam)").
 *
 *   const fieldLabel = trainingFieldLabel(() => store.get());
 *   formatApiError(err, { fieldLabel });
 *
 * Labels are read from the form (already in the current language); hyperparameters and schedule
 * parameters from the dictionary (the form shows only the selected run's optimizer).
 */

import { hasKey, t } from "../shared/i18n.js";
import { inRun, labelOf } from "../shared/errors.js";
import { formKeyOfField } from "./model.js";
import { runLabels } from "./run_list.js";

const ROOTS = new Set(["body", "query", "path"]);

/** Sub-fields of the form's object-valued keys → their control's id. */
const SUB_CONTROLS = {
  "early_stopping.monitor": "es-monitor",
  "early_stopping.patience": "es-patience",
  "early_stopping.min_delta": "es-min-delta",
  "early_stopping.mode": "es-mode",
  "early_stopping.restore_best_weights": "es-restore",
  "optimizer.clip.mode": "clip-mode",
  "optimizer.clip.max": "clip-max",
};

/** The label of a field path of one configuration ("optimizer.params.lr", "epochs"). */
function configFieldLabel(path) {
  const hp = /^optimizer\.params\.(\w+)/.exec(path);
  if (hp) return hasKey(`hp.${hp[1]}`) ? t(`hp.${hp[1]}`) : hp[1];
  const sp = /^optimizer\.schedule\.(\w+)/.exec(path);
  if (sp && sp[1] !== "type") return hasKey(`sched.param.${sp[1]}`) ? t(`sched.param.${sp[1]}`) : sp[1];
  const sub = Object.keys(SUB_CONTROLS).find((p) => path === p || path.startsWith(`${p}.`));
  if (sub) return labelOf(document.getElementById(SUB_CONTROLS[sub]));
  const key = formKeyOfField(path);
  const form = document.getElementById("training-form");
  return key && form ? labelOf(form.querySelector(`[data-key="${key}"]`)) : null;
}

/**
 * `fieldLabel(loc, item)` for the Training Lab, reading the runs' names from `getState()`.
 * @param {() => object} getState the page store's `get`
 */
export function trainingFieldLabel(getState) {
  return (loc, item) => {
    const parts = loc.filter((p, i) => !(i === 0 && ROOTS.has(p)));
    let run = null;
    if (parts[0] === "configs" && Number.isInteger(Number(parts[1]))) {
      const index = Number(parts.splice(0, 2)[1]);
      const state = getState();
      if (state?.config?.runs?.length > 1) run = runLabels(state)[index] ?? t("err.run_number", { n: index + 1 });
    }
    let label = configFieldLabel(parts.join("."));
    if (!label) return null;
    const index = item?.params?.index;
    if (parts.join(".") === "model.hidden" && Number.isInteger(index)) label = t("err.layer", { field: label, layer: index + 1 });
    return inRun(label, run);
  };
}
