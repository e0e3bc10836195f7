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

/**
 * The badge of a run's outcome (docs/stability.md "Run outcomes"): converged, still moving,
 * diverged at step k (the only alarming colour) or escaped at step k (left the domain while f kept
 * falling: a success on saddles and surfaces unbounded below). Runs without an outcome (an older
 * server) fall back to the diverged flag.
 */
export function outcomeBadge(run) {
  const badge = document.createElement("span");
  const o = run.outcome;
  const status = o?.status ?? (run.diverged ? "diverged" : "moving");
  const k = o?.step ?? run.diverged_at ?? "?";
  badge.className = `badge badge-${status}`;
  badge.dataset.status = status;
  badge.setAttribute("data-testid", "outcome-badge");
  badge.textContent = status === "diverged" || status === "escaped" ? t(`outcome.${status}_at`, { k }) : t(`outcome.${status}`);
  return badge;
}

/** Which known minimum the run ended near, and whether it is a global one (null: none). */
function minimumNote(outcome) {
  if (!outcome) return null;
  const m = outcome?.minimum;
  if (!m) return null;
  const note = document.createElement("span");
  note.className = m.global ? "stable-note" : "stable-note local-min";
  note.dataset.global = String(Boolean(m.global));
  note.setAttribute("data-testid", "minimum-reached");
  // converged: it is there; still moving: the minimum it is heading for
  const where = outcome.status === "converged" ? "at" : "toward";
  note.textContent = t(`outcome.${where}_${m.global ? "global" : "local"}`, { p: fmtPoint(m.point) });
  return note;
}

/** Is the run's η inside the stable range at the minimum (GD / heavy ball / Nesterov)? */
export function stableText(stable) {
  if (!stable || stable.inside === null || stable.inside === undefined || !Number.isFinite(stable.threshold)) return "";
  return t(stable.inside ? "outcome.stable_in" : "outcome.stable_out", { th: fmt(stable.threshold, 3) });
}

/** Fill the results table body: label, status (+ minimum reached, stable range: the student's first read), optimizer, final point, final loss, distance. */
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
    const status = document.createElement("td");
    status.append(outcomeBadge(run));
    const reached = minimumNote(run.outcome);
    if (reached) status.append(document.createElement("br"), reached);
    const stable = stableText(run.outcome?.stable);
    if (stable) status.append(document.createElement("br"), Object.assign(document.createElement("span"), { className: "stable-note", textContent: stable }));
    tr.append(status);
    tr.append(td(optimizerName(run.optimizer)));
    tr.append(td(fmtPoint(run.final_point), "num"));
    tr.append(td(fmt(run.final_loss), "num"));
    tr.append(td(run.distance_to_min === null || run.distance_to_min === undefined ? "—" : fmt(run.distance_to_min), "num"));
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
