/**
 * landscape/view.js — the Training Lab's "Landscape" view (docs/landscape.md).
 *
 * Pick a finished run (GET /api/jobs, status done), a plane (PCA of the weight path, or two
 * filter-normalised random directions), a grid and a number of training samples; POST
 * /api/landscapes draws the training loss on the plane as a contour with the projected weight path
 * and its epochs, θ* at (0, 0). Colours are log-scaled when the server says the grid spans more
 * than a factor 100 (`color_scale: "log"`); the colour bar then labels real loss values and says
 * "log colour scale". "Race optimizers on this plane" registers the plane as an Optimizer-Lab
 * surface (POST /api/landscapes/surfaces) and opens the Optimizer Lab on it, racing the run's own
 * optimizer and η (GET /api/jobs/{id}) against contrasting ones (optimizer_lab/landscape_surface.js).
 *
 * State: `config.ls` {run, d, g, n, s} (URL fields in ../url_fields.js); the last answer is
 * `state.landscape` {status: "idle"|"busy"|"done"|"error", body, error, key}. Bounds come from
 * GET /api/limits (landscape_max_grid, landscape_max_samples).
 *
 *   const view = createLandscapeView({ store, setConfig, toast });
 *   view.render(state, prev);    // from main.js's render
 */

import { getJSON, postJSON } from "../../shared/api.js";
import { t, tr } from "../../shared/i18n.js";
import { formatApiError } from "../../shared/errors.js";
import { fmt, downloadText } from "../../shared/format.js";
import { draw, colourAt } from "../../shared/plots.js";
import { changed } from "../../shared/store.js";
import { landscapeRaceHash } from "../../optimizer_lab/landscape_surface.js";

const $ = (id) => document.getElementById(id);

/** Nice loss values (1, 2, 5 × 10ᵏ) between lo and hi, for a log colour bar's ticks. */
function logTicks(lo, hi) {
  const out = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k += 1) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** k;
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out.length >= 2 ? out : [lo, hi];
}

/** The request body the current settings describe. */
function requestOf(ls) {
  return { run_id: ls.run, directions: ls.d, grid: ls.g, samples: ls.n, seed: ls.s };
}

const keyOf = (ls) => JSON.stringify(requestOf(ls));

function axisTitle(body, i) {
  if (body.directions === "pca") {
    const pct = Math.round(100 * (body.explained_variance?.[i] ?? 0));
    return t("ls.axis_pc", { n: i + 1, pct });
  }
  return t("ls.axis_random", { n: i + 1 });
}

/**
 * @param {{store: object, setConfig: (patch: object) => void, toast: (msg: string, kind?: string, ms?: number) => void}} deps
 */
export function createLandscapeView({ store, setConfig, toast }) {
  let runs = null; // [{id, label}] of finished jobs; null until fetched
  let limits = null;
  let wired = false;
  let loading = false;

  const ls = () => store.get().config.ls;
  const setLs = (patch) => setConfig({ ls: { ...ls(), ...patch } });
  const setResult = (landscape) => store.update({ landscape });

  async function loadRuns() {
    try {
      const [jobs, lim] = await Promise.all([getJSON("/api/jobs"), limits ? Promise.resolve(limits) : getJSON("/api/limits")]);
      limits = lim;
      runs = jobs.filter((j) => j.status === "done").map((j) => ({ id: j.id, label: j.label }));
    } catch (err) {
      runs = [];
      toast(formatApiError(err), "error", 8000);
    }
    $("ls-grid").max = String(limits?.landscape_max_grid ?? "");
    $("ls-samples").max = String(limits?.landscape_max_samples ?? "");
    const current = ls();
    if (runs.length && !runs.some((r) => r.id === current.run)) setLs({ run: runs[0].id });
    else store.update({ landscapeRuns: (store.get().landscapeRuns ?? 0) + 1 }); // redraw the select
  }

  async function compute() {
    const cur = ls();
    if (!cur.run) return;
    const key = keyOf(cur);
    setResult({ status: "busy", body: null, error: null, key });
    try {
      const body = await postJSON("/api/landscapes", requestOf(cur));
      if (store.get().landscape?.key === key) setResult({ status: "done", body, error: null, key });
    } catch (err) {
      if (store.get().landscape?.key === key) setResult({ status: "error", body: null, error: err, key });
    }
  }

  async function race() {
    const result = store.get().landscape;
    if (!result?.body) return;
    const button = $("ls-race");
    button.disabled = true;
    try {
      const cur = ls();
      const runId = result.body.run_id;
      const [surface, job] = await Promise.all([postJSON("/api/landscapes/surfaces", { ...requestOf(cur), run_id: runId }), getJSON(`/api/jobs/${encodeURIComponent(runId)}`)]);
      // the training run's own optimizer first, then contrasting ones with the server's η for this plane
      const trained = job.config.optimizer;
      const spec = store.get().cat?.optimizerById?.get(trained.optimizer);
      const name = (spec && tr(spec.name)) || trained.optimizer;
      const lr = trained.params?.lr;
      const label = t("ls.race_trained", { run: lr === undefined ? name : `${name} η=${lr}` });
      const hash = await landscapeRaceHash(surface, trained, { label });
      window.location.assign(`/#${hash}`);
    } catch (err) {
      toast(formatApiError(err), "error", 8000);
      button.disabled = false;
    }
  }

  function exportJSON() {
    const body = store.get().landscape?.body;
    if (body) downloadText(`landscape-${body.run_id}-${body.directions}.json`, JSON.stringify(body, null, 1), "application/json");
  }

  function exportCSV() {
    const body = store.get().landscape?.body;
    if (!body) return;
    const lines = ["a,b,loss"];
    body.b.forEach((bv, i) => body.a.forEach((av, j) => lines.push(`${av},${bv},${body.loss[i][j] ?? ""}`)));
    downloadText(`landscape-${body.run_id}-${body.directions}.csv`, lines.join("\n") + "\n", "text/csv");
  }

  function wire() {
    wired = true;
    $("ls-run").addEventListener("change", (ev) => setLs({ run: ev.target.value }));
    $("ls-directions").addEventListener("change", (ev) => setLs({ d: ev.target.value }));
    for (const [id, key] of [["ls-grid", "g"], ["ls-samples", "n"], ["ls-seed", "s"]]) {
      $(id).addEventListener("change", (ev) => {
        const input = ev.target;
        const v = Number(input.value);
        const ok = Number.isInteger(v) && v >= Number(input.min || 0) && (!input.max || v <= Number(input.max));
        input.setAttribute("aria-invalid", String(!ok));
        if (ok) setLs({ [key]: v });
      });
    }
    $("ls-compute").addEventListener("click", compute);
    $("ls-refresh").addEventListener("click", loadRuns);
    $("ls-race").addEventListener("click", race);
    $("ls-export-json").addEventListener("click", exportJSON);
    $("ls-export-csv").addEventListener("click", exportCSV);
  }

  function renderRuns(state) {
    const select = $("ls-run");
    select.replaceChildren();
    const list = runs ?? [];
    if (!list.length) {
      const o = document.createElement("option");
      o.value = "";
      o.textContent = runs === null ? t("common.loading") : t("ls.no_runs");
      select.append(o);
    }
    for (const r of list) {
      const o = document.createElement("option");
      o.value = r.id;
      o.textContent = `${r.label} (${r.id})`;
      select.append(o);
    }
    select.value = state.config.ls.run && list.some((r) => r.id === state.config.ls.run) ? state.config.ls.run : list[0]?.id ?? "";
    $("ls-compute").disabled = !select.value;
  }

  function renderFields(state) {
    const cur = state.config.ls;
    $("ls-directions").value = cur.d;
    for (const [id, key] of [["ls-grid", "g"], ["ls-samples", "n"], ["ls-seed", "s"]]) {
      if (document.activeElement !== $(id)) $(id).value = String(cur[key]);
    }
  }

  function renderStatus(state) {
    const result = state.landscape;
    const status = $("ls-status");
    status.classList.toggle("error", result?.status === "error");
    if (!result || result.status === "idle") status.textContent = runs && !runs.length ? t("ls.no_runs_hint") : t("ls.idle");
    else if (result.status === "busy") status.textContent = t("ls.busy");
    else if (result.status === "error") status.textContent = formatApiError(result.error);
    else {
      const b = result.body;
      status.textContent = t("ls.done", { seconds: fmt(b.seconds, 2), grid: b.a.length, samples: b.samples, snapshots: b.snapshots, parameters: b.parameters });
    }
    const ready = result?.status === "done";
    for (const id of ["ls-race", "ls-export-json", "ls-export-csv"]) $(id).disabled = !ready;
  }

  function renderPlot(state) {
    const div = $("ls-plot");
    const body = state.landscape?.status === "done" ? state.landscape.body : null;
    if (!body) {
      draw(div, [], { xaxis: { visible: false }, yaxis: { visible: false }, annotations: [{ text: t("ls.empty"), showarrow: false, font: { size: 16 } }] });
      $("ls-summary").textContent = "";
      return;
    }
    const log = body.color_scale === "log";
    const z = log ? body.loss.map((row) => row.map((v) => (v !== null && v > 0 ? Math.log10(v) : null))) : body.loss;
    const ticks = log ? logTicks(body.loss_min, body.loss_max) : null;
    const colorbar = {
      title: { text: log ? t("ls.colour_log") : t("ls.colour_linear"), side: "right" },
      ...(log ? { tickvals: ticks.map(Math.log10), ticktext: ticks.map((v) => fmt(v, 3)) } : {}),
    };
    const path = body.path;
    const every = Math.max(1, Math.ceil(path.epochs.length / 12));
    const labels = path.epochs.map((e, i) => (i % every === 0 || i === path.epochs.length - 1 ? String(e) : ""));
    const hoverLoss = (v) => (v === null ? "—" : fmt(v, 4));
    const traces = [
      {
        type: "contour",
        x: body.a,
        y: body.b,
        z,
        colorscale: "Viridis",
        reversescale: false,
        contours: { coloring: "heatmap", showlines: true },
        line: { color: "rgba(255,255,255,0.35)", width: 1 },
        ncontours: 24,
        colorbar,
        customdata: body.loss,
        hovertemplate: `a=%{x:.3f}<br>b=%{y:.3f}<br>${t("ls.loss")}=%{customdata:.4f}<extra></extra>`,
        name: t("ls.loss"),
        showlegend: false,
      },
      {
        type: "scatter",
        mode: "lines+markers+text",
        x: path.a,
        y: path.b,
        text: labels,
        textposition: "top center",
        textfont: { color: "#ffffff", size: 13 },
        marker: { size: 8, color: colourAt(3), line: { color: "#111", width: 1 } },
        line: { color: colourAt(3), width: 3 },
        name: t("ls.path"),
        customdata: path.epochs.map((e, i) => [e, path.steps[i], hoverLoss(path.loss[i])]),
        hovertemplate: `${t("ls.epoch")} %{customdata[0]} (${t("ls.step")} %{customdata[1]})<br>${t("ls.loss")}=%{customdata[2]}<extra></extra>`,
      },
      {
        type: "scatter",
        mode: "markers",
        x: [path.a[0]],
        y: [path.b[0]],
        marker: { size: 14, symbol: "circle", color: "#ffffff", line: { color: "#111111", width: 2.5 } },
        name: t("ls.start"),
        hovertemplate: `${t("ls.start")}<extra></extra>`,
      },
      {
        type: "scatter",
        mode: "markers",
        x: [0],
        y: [0],
        marker: { size: 16, symbol: "star", color: "#ffffff", line: { color: "#111", width: 1.5 } },
        name: t("ls.final"),
        hovertemplate: `${t("ls.final")}: ${t("ls.loss")}=${hoverLoss(body.final_loss)}<extra></extra>`,
      },
    ];
    draw(div, traces, {
      xaxis: { title: { text: axisTitle(body, 0) }, zeroline: false },
      yaxis: { title: { text: axisTitle(body, 1) }, zeroline: false },
      legend: { orientation: "h", y: 1.02, yanchor: "bottom", x: 0 },
      margin: { l: 70, r: 20, t: 40, b: 60 },
    });
    const parts = [t("ls.summary_final", { loss: fmt(body.final_loss, 4), reported: fmt(body.run_train_loss, 4), samples: body.samples })];
    if (body.captured !== null) parts.push(t("ls.summary_captured", { pct: Math.round(100 * body.captured) }));
    if (log) parts.push(t("ls.summary_log", { lo: fmt(body.loss_min, 3), hi: fmt(body.loss_max, 3) }));
    $("ls-summary").textContent = parts.join(" ");
  }

  function render(state, prev) {
    if (state.config.v !== "landscape") return;
    if (!wired) wire();
    if (runs === null && !loading) {
      loading = true;
      loadRuns();
    }
    // a session's status change (a run finished) may add runs to pick from
    if (prev && runs !== null && changed(state, prev, (s) => s.telemetry.status)) loadRuns();
    const shown = prev && prev.config.v === "landscape";
    if (!shown || changed(state, prev, (s) => s.config.ls.run, (s) => s.landscapeRuns, (s) => s.lang)) renderRuns(state);
    if (!shown || changed(state, prev, (s) => s.config.ls)) renderFields(state);
    if (!shown || changed(state, prev, (s) => s.landscape, (s) => s.lang, (s) => s.landscapeRuns)) renderStatus(state);
    if (!shown || changed(state, prev, (s) => s.landscape, (s) => s.lang)) renderPlot(state);
  }

  return { render };
}
