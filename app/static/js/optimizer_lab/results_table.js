/**
 * results_table.js — the small table of each run's outcome and the CSV / JSON export.
 *
 *   renderResults(tbody, runs)                 runs: trajectory results + {label, colour}
 *   runsToCSV(runs) → text                     one row per (run, step), long format
 *   runsToJSON(config, body, response) → text  the request and the full answer, re-runnable
 */

import { t } from "../shared/i18n.js";
import { fmt, fmtPoint, toCSV } from "../shared/format.js";

function td(text, cls) {
  const cell = document.createElement("td");
  cell.textContent = text;
  if (cls) cell.className = cls;
  return cell;
}

/** Fill the results table body: label, optimizer, final point, final loss, distance, status. */
export function renderResults(tbody, runs, optimizerName) {
  tbody.replaceChildren();
  for (const [i, run] of runs.entries()) {
    const tr = document.createElement("tr");
    tr.dataset.run = String(i);
    tr.setAttribute("data-testid", "result-row");
    const name = document.createElement("td");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = run.colour;
    name.append(swatch, document.createTextNode(run.label));
    tr.append(name);
    tr.append(td(optimizerName(run.optimizer)));
    tr.append(td(fmtPoint(run.final_point), "num"));
    tr.append(td(fmt(run.final_loss), "num"));
    tr.append(td(run.distance_to_min === null || run.distance_to_min === undefined ? "—" : fmt(run.distance_to_min), "num"));
    const status = document.createElement("td");
    const badge = document.createElement("span");
    if (run.diverged) {
      badge.className = "badge badge-diverged";
      badge.textContent = t("common.diverged_at", { k: run.diverged_at ?? "?" });
    } else {
      badge.className = "badge badge-ok";
      badge.textContent = t("results.finished", { k: Math.max(0, (run.path?.length ?? 1) - 1) });
    }
    status.append(badge);
    tr.append(status);
    tbody.append(tr);
  }
}

const pair = (arr, i) => (arr && arr[i] ? arr[i] : [null, null]);

/** Long-format CSV: run, label, optimizer, step, x, y, f, gx, gy, dx, dy, lr. */
export function runsToCSV(runs) {
  const header = ["run", "label", "optimizer", "step", "x", "y", "f", "grad_x", "grad_y", "update_x", "update_y", "lr"];
  const rows = [];
  runs.forEach((run, r) => {
    run.path.forEach((p, k) => {
      const g = pair(run.grad, k);
      const d = pair(run.update, k);
      rows.push([r, run.label, run.optimizer, k, p[0], p[1], run.loss?.[k] ?? null, g[0], g[1], d[0], d[1], run.lr?.[k] ?? null]);
    });
  });
  return toCSV(header, rows);
}

/** JSON export: the request (POST it again to reproduce) and the answer, with colours. */
export function runsToJSON(request, runs, pageUrl) {
  const clean = runs.map((run) => {
    const { _custom, ...rest } = run;
    return rest;
  });
  return JSON.stringify({ app: "optimizer-playground", url: pageUrl, request, runs: clean }, null, 1);
}
