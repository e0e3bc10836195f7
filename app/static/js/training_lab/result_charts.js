/**
 * result_charts.js — what a run ends with (and, for 2-D data, what it looks like meanwhile):
 *   - decision-boundary map: heatmap of the predicted class on a grid + the training points;
 *   - confusion matrix of the test split (heatmap with counts);
 *   - the summary table (one row per run: status, epochs, train/val/test accuracy, test loss, time);
 *   - history export (JSON with every event, CSV with one row per event).
 *
 *   drawBoundary(div, boundary, {classes}, t)        boundary = {x, y, z, points} (API format)
 *   drawConfusion(div, summary, t)
 *   renderSummary(tbody, runs, colours, t)
 *   runToJSON(run) / runToCSV(run) / runsToCSV(runs)   (every run in one file, a "run" column first)
 */

import { colourAt, draw, withAlpha } from "../shared/plots.js";
import { fmt, toCSV } from "../shared/format.js";

/** A discrete colour scale for class indices 0 … k−1 (light tints of the palette). */
function classScale(k, alpha) {
  if (k <= 1) return [[0, withAlpha(colourAt(0), alpha)], [1, withAlpha(colourAt(0), alpha)]];
  const scale = [];
  for (let c = 0; c < k; c += 1) {
    const lo = c / k;
    const hi = (c + 1) / k;
    const colour = withAlpha(colourAt(c), alpha);
    scale.push([lo, colour], [hi, colour]);
  }
  return scale;
}

/**
 * Decision boundary of a 2-D data set.
 * @param {HTMLElement} div
 * @param {object|null} boundary {x, y, z, points: {x, y, label}}
 * @param {{classes?: string[], step?: number|null, final?: boolean}} info
 * @param {Function} t
 */
export function drawBoundary(div, boundary, { classes = [], step = null, final = false } = {}, t) {
  if (!boundary) {
    draw(div, [], {
      xaxis: { visible: false },
      yaxis: { visible: false },
      annotations: [{ text: t("train.no_boundary"), xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { size: 16, color: "#6b7380" } }],
    });
    return;
  }
  const labels = boundary.points?.label || [];
  let k = Math.max(classes.length, 2);
  for (const row of boundary.z || []) for (const v of row) if (v + 1 > k) k = v + 1;
  for (const v of labels) if (v + 1 > k) k = v + 1;
  const name = (c) => classes[c] ?? String(c);
  const traces = [
    {
      type: "heatmap",
      x: boundary.x,
      y: boundary.y,
      z: boundary.z,
      zmin: -0.5,
      zmax: k - 0.5,
      colorscale: classScale(k, 0.28),
      showscale: false,
      hovertemplate: `x %{x:.3g}, y %{y:.3g}<br>${t("res.predicted")} %{z}<extra></extra>`,
    },
  ];
  for (let c = 0; c < k; c += 1) {
    const xs = [];
    const ys = [];
    labels.forEach((lab, i) => {
      if (lab === c) {
        xs.push(boundary.points.x[i]);
        ys.push(boundary.points.y[i]);
      }
    });
    if (!xs.length) continue;
    traces.push({
      type: "scatter",
      mode: "markers",
      x: xs,
      y: ys,
      name: `${t("res.class")} ${name(c)}`,
      marker: { color: colourAt(c), size: 7, line: { color: "#ffffff", width: 1 } },
      hovertemplate: `(%{x:.3g}, %{y:.3g})<extra>${t("res.class")} ${name(c)}</extra>`,
    });
  }
  const title = final ? t("res.boundary_final") : step !== null ? t("res.boundary_at", { step }) : "";
  draw(div, traces, {
    xaxis: { title: { text: "x₁" }, range: [boundary.x[0], boundary.x[boundary.x.length - 1]], constrain: "domain" },
    yaxis: { title: { text: "x₂" }, range: [boundary.y[0], boundary.y[boundary.y.length - 1]], scaleanchor: "x", scaleratio: 1 },
    title: { text: title, font: { size: 15 }, x: 0, xanchor: "left" },
    margin: { t: 44 },
    legend: { orientation: "h", y: -0.15, yanchor: "top" },
    uirevision: "boundary",
  });
}

/**
 * Confusion matrix heatmap (rows = true class, columns = predicted class).
 * @param {HTMLElement} div
 * @param {object|null} summary
 * @param {Function} t
 */
export function drawConfusion(div, summary, t) {
  const m = summary?.confusion;
  if (!m || !m.length) {
    draw(div, [], {
      xaxis: { visible: false },
      yaxis: { visible: false },
      annotations: [{ text: t("res.no_confusion"), xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { size: 16, color: "#6b7380" } }],
    });
    return;
  }
  const classes = (summary.classes && summary.classes.length === m.length ? summary.classes : m.map((_, i) => String(i))).map(String);
  // Category axes would merge labels like "0" and 0; prefix-free strings keep the order we give.
  const rowSums = m.map((row) => row.reduce((a, b) => a + b, 0));
  const share = m.map((row, i) => row.map((v) => (rowSums[i] ? v / rowSums[i] : 0)));
  draw(div, [
    {
      type: "heatmap",
      x: classes,
      y: classes,
      z: share,
      customdata: m,
      zmin: 0,
      zmax: 1,
      colorscale: [[0, "#f7fbff"], [0.25, "#c6dbef"], [0.6, "#6baed6"], [1, "#08519c"]],
      showscale: false,
      text: m.map((row) => row.map(String)),
      texttemplate: "%{text}",
      textfont: { size: m.length > 6 ? 13 : 17 },
      hovertemplate: `${t("res.true_class")} %{y}<br>${t("res.predicted")} %{x}<br>${t("hist.count")} %{customdata}<extra></extra>`,
    },
  ], {
    xaxis: { title: { text: t("res.predicted") }, type: "category", side: "bottom", showgrid: false, constrain: "domain" },
    yaxis: { title: { text: t("res.true_class") }, type: "category", autorange: "reversed", showgrid: false, scaleanchor: "x", constrain: "domain" },
    margin: { t: 20 },
    uirevision: "confusion",
  });
}

function pct(v) {
  return typeof v === "number" ? `${(100 * v).toFixed(1)}%` : "—";
}

/**
 * Fill the summary table body.
 * @param {HTMLTableSectionElement} tbody
 * @param {object[]} runs
 * @param {string[]} colours
 * @param {Function} t
 * @param {number} focus the run whose details are shown
 * @param {(i: number) => void} onFocus
 */
export function renderSummary(tbody, runs, colours, t, focus, onFocus) {
  tbody.replaceChildren();
  runs.forEach((run, i) => {
    const s = run.summary || {};
    const tr = document.createElement("tr");
    tr.setAttribute("data-testid", `summary-row-${i}`);
    if (i === focus) tr.classList.add("focus");
    const cell = (text, cls) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
      return td;
    };
    const first = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "run-chip";
    button.style.setProperty("--run-colour", colours[i] ?? colourAt(i));
    button.textContent = run.label;
    button.title = t("res.show_run");
    button.addEventListener("click", () => onFocus(i));
    first.append(button);
    tr.append(first);
    let status = t(`status.${run.status}`);
    if (s.status === "diverged") status = t("status.diverged_at", { step: s.diverged_at ?? "?" });
    else if (run.status === "done" && s.stopped_early) status = t("status.stopped_early", { epoch: s.best_epoch ?? "?" });
    cell(status, `status-${s.status === "diverged" ? "diverged" : run.status}`).title = run.message || "";
    const epochs = run.summary ? s.epochs_run : run.latest ? Math.floor(run.latest.epoch) : 0;
    cell(`${epochs ?? "—"} / ${run.config.epochs}`, "num");
    cell(pct(s.train_acc ?? run.latest?.train_acc), "num");
    cell(pct(s.val_acc ?? run.latest?.val_acc), "num");
    cell(pct(s.test_acc), "num strong").dataset.testid = "test-acc";
    cell(fmt(s.test_loss), "num");
    const elapsed = s.elapsed ?? run.latest?.elapsed;
    cell(typeof elapsed === "number" ? `${elapsed.toFixed(1)} s` : "—", "num");
    tbody.append(tr);
  });
}

// ---------------------------------------------------------------- export

/** The whole history of a run as a JSON-serialisable object. */
export function runToJSON(run) {
  return {
    label: run.label,
    job_id: run.jobId,
    status: run.status,
    config: run.config,
    summary: run.summary,
    events: run.events.map((e) => ({ id: e.id, event: e.event, data: e.data })),
  };
}

/** Every run's rows in one CSV: a leading "run" column (the run's label), then runToCSV's columns. */
export function runsToCSV(runs) {
  const tables = runs.map((r) => runToCSV(r).split("\n").filter(Boolean));
  // the widest header (most layers) names the columns; shorter rows are padded by the reader
  const header = tables.reduce((a, b) => (b[0].length > a.length ? b[0] : a), "");
  const quote = (s) => `"${String(s).replace(/"/g, '""')}"`;
  const lines = [`run,${header}`];
  tables.forEach((rows, i) => {
    for (const row of rows.slice(1)) lines.push(`${quote(runs[i].label)},${row}`);
  });
  return `${lines.join("\n")}\n`;
}

/** One CSV row per metrics/epoch event: curves + per-layer statistics. */
export function runToCSV(run) {
  const nLayers = run.frames.length ? (run.frames[run.frames.length - 1].layers || []).length : 0;
  const header = ["event", "id", "step", "epoch", "elapsed", "train_loss", "train_acc", "train_loss_eval", "train_accuracy_eval", "val_loss", "val_acc", "lr"];
  const layerKeys = ["grad_norm", "weight_norm", "update_ratio", "act_mean", "act_std", "pre_mean", "pre_std", "saturated", "dead"];
  for (let li = 1; li <= nLayers; li += 1) for (const k of layerKeys) header.push(`layer${li}_${k}`);
  const rows = [];
  for (const e of run.events) {
    if (e.event !== "metrics" && e.event !== "epoch") continue;
    const d = e.data;
    const row = [e.event, e.id, d.step, d.epoch, d.elapsed, d.train_loss, d.train_acc, d.train_loss_eval, d.train_accuracy_eval, d.val_loss, d.val_acc, d.lr];
    for (let li = 0; li < nLayers; li += 1) {
      const l = d.layers?.[li];
      if (!l) {
        for (let j = 0; j < layerKeys.length; j += 1) row.push(null);
        continue;
      }
      row.push(l.grad_norm, l.weight_norm, l.update_ratio, l.act?.mean, l.act?.std, l.pre?.mean, l.pre?.std, l.act?.saturated, l.act?.dead);
    }
    rows.push(row);
  }
  return toCSV(header, rows);
}
