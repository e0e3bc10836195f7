/**
 * lesson_panels.js — the Training Lab parts that state a lesson in words next to its chart
 * (issue 8): the per-unit heatmap's note (zero-init symmetry), the batch-norm small multiples
 * with the count of weight scales that learn (figure 6-19), and the notes under the loss and
 * accuracy charts (log axis / cut axis, dropout's two training curves). Drawn by chart_panels.js.
 *
 *   drawUnitsPart(run, frame, t); drawBnPart(runs, t); renderCurveNotes(shown, scale, t);
 */

import { fmt } from "../shared/format.js";
import { bnPairs, drawBnGrid } from "./compare_charts.js";
import { describeUnits, setAlt } from "./plot_text.js";
import { drawUnits } from "./units_view.js";

const $ = (id) => document.getElementById(id);

/** The per-unit heatmap of the shown frame and its note (identical columns or not). */
export function drawUnitsPart(run, frame, t) {
  const facts = drawUnits($("units-plot"), frame ?? null, t);
  const note = $("units-note");
  note.textContent = facts ? t(facts.identical ? "units.identical" : "units.different", { n: facts.units }) : t("units.hint");
  $("units-plot").dataset.identical = facts ? String(facts.identical) : "";
  describeUnits($("units-plot"), facts, frame, t);
}

/** The batch-norm small multiples (figure 6-19) when the runs are BN vs none over scales. */
export function drawBnPart(runs, t) {
  const pairs = bnPairs(runs);
  $("bn-grid-panel").hidden = !pairs;
  if (!pairs) return;
  const res = drawBnGrid($("bn-grid-plot"), pairs, t);
  const plot = $("bn-grid-plot");
  plot.dataset.panels = String(res.scales);
  plot.dataset.learnedBn = String(res.learnedBn);
  plot.dataset.learnedPlain = String(res.learnedPlain);
  const text = res.finished === res.scales ? t("bn.result", { bn: res.learnedBn, plain: res.learnedPlain, n: res.scales }) : t("bn.running", { k: res.finished, n: res.scales });
  $("bn-grid-note").textContent = `${text} ${t("bn.reading")}`;
  setAlt(plot, `${t("train.chart_bn_grid")}. ${text}`);
}

/** The notes under the loss and accuracy charts (log axis, cut axis, why two training curves). */
export function renderCurveNotes(shown, scale, t) {
  const notes = [];
  if (shown.log && scale === "auto") notes.push(t("train.loss_auto_log"));
  if (shown.cut !== null) notes.push(t("train.loss_cut", { max: fmt(shown.cut, 3) }));
  $("loss-note").textContent = notes.join(" ");
  $("acc-note").textContent = shown.dropout ? t("train.dropout_note") : t("train.acc_note");
  for (const b of document.querySelectorAll("#loss-scale [data-ly]")) b.setAttribute("aria-pressed", String(b.dataset.ly === scale));
}
