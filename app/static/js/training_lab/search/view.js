/**
 * search/view.js — the Training Lab's "Hyperparameter search" view (tab data-view="search").
 *
 * The form (page state `config.s`, in the URL through url_fields.js) sets the ranges, the method
 * and the budget; "Start search" posts it, and the view follows the search live (stream.js):
 * progress with ETA, the lr × weight-decay scatter, the best 20 trials' validation curves, the
 * ranked table. "Narrow to the best region" starts the finer search in one click and puts its
 * ranges in the form; "Same budget with grid/random search" starts the contrast search, shown on
 * one learning-rate axis with a note computed from both. Bounds come from GET /api/searches/catalogue.
 *
 *   const view = createSearchView({ store, setConfig });   // then view.render(state, prev) on every update
 */

import { changed } from "../../shared/store.js";
import { t } from "../../shared/i18n.js";
import { fmt } from "../../shared/format.js";
import { formatApiError } from "../../shared/errors.js";
import { SearchFollower } from "./stream.js";
import { distinctValues, formWithSpace, gridBudget, ranked, requestBody } from "./model.js";
import { drawContrast, drawCurves, drawScatter } from "./charts.js";

const $ = (id) => document.getElementById(id);
const TABLE_ROWS = 25;
const REDRAW_MS = 250;

function duration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "—";
  // A trial of a few epochs on 500 samples takes a fraction of a second: "0 s" would hide it.
  if (seconds < 10) return `${Math.max(0, seconds).toFixed(seconds < 1 ? 2 : 1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - 60 * m)} s`;
}

const exp = (v) => (typeof v === "number" ? (Number.isInteger(v) && v >= 1 ? String(v) : v.toExponential(2).replace("-", "−")) : "—");
/** A bound as typed in the form: 1e-6 rather than 0.000001. */
const numberText = (v) => (v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v));
const pct = (v) => (typeof v === "number" ? `${(100 * v).toFixed(1)} %` : "—");

/** The visible label of a search error's field (for formatApiError). */
function fieldLabel(form) {
  const on = form.ax.filter((a) => a.on);
  const scalar = { trials: "search.trials", epochs: "search.epochs", subset: "search.subset", val_fraction: "search.val_fraction", seed: "search.seed", method: "search.method" };
  return (loc) => {
    const parts = loc.filter((p, i) => !(i === 0 && p === "body")).map(String);
    if (parts[0] === "space" && parts.length >= 2) {
      const axis = on[Number(parts[1])];
      const name = axis ? t(`search.knob.${axis.knob}`) : `#${Number(parts[1]) + 1}`;
      const part = { low: "search.low", high: "search.high", scale: "search.scale" }[parts[2]];
      return part ? `${name}, ${t(part)}` : name;
    }
    return scalar[parts[0]] ? t(scalar[parts[0]]) : null;
  };
}

export function createSearchView({ store, setConfig }) {
  let pending = null;
  const bump = () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      store.update((s) => ({ searchLive: (s.searchLive ?? 0) + 1 }));
    }, REDRAW_MS);
  };
  const main = new SearchFollower(bump);
  const contrast = new SearchFollower(bump);
  const form = () => store.get().config.s;
  const setForm = (patch) => setConfig({ s: { ...form(), ...patch } });
  let error = null;

  const showError = (err) => {
    error = err;
    store.update((s) => ({ searchLive: (s.searchLive ?? 0) + 1 }));
  };

  // ---------------------------------------------------------------- actions
  async function start() {
    error = null;
    contrast.stop();
    contrast.data = null;
    try {
      const d = await main.start(requestBody(form()));
      setForm({ id: d.id, cid: null });
    } catch (err) {
      showError(err);
    }
  }

  async function narrow() {
    error = null;
    const from = main.data;
    if (!from) return;
    contrast.stop();
    contrast.data = null;
    try {
      const d = await main.narrow(from.id);
      setConfig({ s: { ...formWithSpace(form(), d.space), id: d.id, cid: null } });
    } catch (err) {
      showError(err);
    }
  }

  async function startContrast() {
    error = null;
    const other = (main.data?.method ?? form().m) === "grid" ? "random" : "grid";
    const base = main.data ? formWithSpace(form(), main.data.space) : form();
    try {
      const d = await contrast.start(requestBody(base, other));
      setForm({ cid: d.id });
    } catch (err) {
      showError(err);
    }
  }

  async function cancel() {
    try {
      await Promise.all([main, contrast].filter((f) => f.data && !f.finished).map((f) => f.cancel()));
    } catch (err) {
      showError(err);
    }
  }

  // ---------------------------------------------------------------- the form
  function buildAxes(state) {
    const cat = state.cat.searchCatalogue;
    const box = $("search-axes");
    box.replaceChildren();
    const head = document.createElement("tr");
    for (const key of ["search.knob", "search.low", "search.high", "search.scale"]) {
      const th = document.createElement("th");
      th.textContent = t(key);
      head.append(th);
    }
    const thead = document.createElement("thead");
    thead.append(head);
    const tbody = document.createElement("tbody");
    for (const k of cat.knobs) {
      const tr = document.createElement("tr");
      tr.dataset.knob = k.knob;
      const name = document.createElement("td");
      const label = document.createElement("label");
      label.className = "toggle";
      const on = document.createElement("input");
      on.type = "checkbox";
      on.dataset.sax = "on";
      on.setAttribute("data-testid", `sax-${k.knob}-on`);
      on.setAttribute("aria-label", t("search.include", { knob: t(`search.knob.${k.knob}`) }));
      const span = document.createElement("span");
      span.textContent = t(`search.knob.${k.knob}`);
      label.append(on, span);
      name.append(label);
      tr.append(name);
      for (const part of ["low", "high"]) {
        const td = document.createElement("td");
        const input = document.createElement("input");
        input.type = "number";
        input.step = "any";
        input.dataset.sax = part;
        input.setAttribute("data-testid", `sax-${k.knob}-${part}`);
        input.setAttribute("aria-label", `${t(`search.knob.${k.knob}`)}, ${t(`search.${part}`)}`);
        input.min = String(k.minimum);
        input.max = String(k.maximum);
        td.append(input);
        tr.append(td);
      }
      const td = document.createElement("td");
      const sel = document.createElement("select");
      sel.dataset.sax = "scale";
      sel.setAttribute("data-testid", `sax-${k.knob}-scale`);
      sel.setAttribute("aria-label", `${t(`search.knob.${k.knob}`)}, ${t("search.scale")}`);
      for (const sc of ["log", "linear"]) {
        const o = document.createElement("option");
        o.value = sc;
        o.textContent = t(`search.scale.${sc}`);
        sel.append(o);
      }
      td.append(sel);
      tr.append(td);
      tbody.append(tr);
    }
    box.append(thead, tbody);
  }

  function fillForm(f) {
    for (const tr of $("search-axes").querySelectorAll("tr[data-knob]")) {
      const a = f.ax.find((x) => x.knob === tr.dataset.knob);
      if (!a) continue;
      for (const el of tr.querySelectorAll("[data-sax]")) {
        const key = el.dataset.sax;
        if (key === "on") el.checked = a.on;
        else if (document.activeElement !== el) el.value = key === "scale" ? a.scale : numberText(a[key]);
        if (key !== "on") el.disabled = !a.on;
      }
      tr.classList.toggle("off", !a.on);
    }
    $("search-method").value = f.m;
    for (const [id, key] of [["search-trials", "n"], ["search-epochs", "e"], ["search-subset", "sub"], ["search-val", "vf"], ["search-seed", "seed"]]) {
      if (document.activeElement !== $(id)) $(id).value = String(f[key]);
    }
  }

  function onAxisInput(ev) {
    const el = ev.target;
    const key = el.dataset.sax;
    const knob = el.closest("tr[data-knob]")?.dataset.knob;
    if (!key || !knob) return;
    let value;
    if (key === "on") value = el.checked;
    else if (key === "scale") value = el.value;
    else {
      value = Number(el.value);
      const okNum = el.value.trim() !== "" && Number.isFinite(value);
      el.classList.toggle("invalid", !okNum);
      if (!okNum) return;
    }
    setForm({ ax: form().ax.map((a) => (a.knob === knob ? { ...a, [key]: value } : a)) });
  }

  function onScalarInput(ev) {
    const el = ev.target;
    const key = el.dataset.sf;
    if (!key) return;
    if (key === "m") {
      setForm({ m: el.value });
      return;
    }
    const value = Number(el.value);
    const okNum = el.value.trim() !== "" && Number.isFinite(value);
    el.classList.toggle("invalid", !okNum);
    if (okNum) setForm({ [key]: value });
  }

  $("search-axes").addEventListener("change", onAxisInput);
  $("search-scalars").addEventListener("change", onScalarInput);
  $("search-start").addEventListener("click", start);
  $("search-cancel").addEventListener("click", cancel);
  $("search-narrow").addEventListener("click", narrow);
  $("search-contrast-start").addEventListener("click", startContrast);

  // ---------------------------------------------------------------- drawing
  function renderControls(state) {
    const f = state.config.s;
    const d = main.data;
    const running = Boolean(d && !main.finished) || Boolean(contrast.data && !contrast.finished);
    $("search-start").disabled = running;
    $("search-cancel").disabled = !running;
    $("search-narrow").disabled = running || !d || !d.trials.some((tr) => tr.status === "done");
    const other = (d?.method ?? f.m) === "grid" ? "random" : "grid";
    $("search-contrast-start").textContent = t("search.contrast", { method: t(`search.method.${other}`) });
    $("search-contrast-start").disabled = running || !d || !main.finished;
    const dims = f.ax.filter((a) => a.on).length;
    const { k, used } = gridBudget(f.n, dims);
    $("search-grid-hint").textContent = t("search.grid_hint", { k, used });
  }

  function renderProgress() {
    const d = main.data;
    const bar = $("search-progress");
    const frac = d && d.total ? d.done / d.total : 0;
    $("search-progress-fill").style.width = `${(100 * frac).toFixed(1)}%`;
    bar.setAttribute("aria-valuenow", String(Math.round(100 * frac)));
    bar.classList.toggle("done", Boolean(d && main.finished));
    let text = "";
    if (d) {
      if (main.finished) text = t("search.progress_done", { done: d.done, total: d.total, elapsed: duration(d.elapsed) });
      else if (typeof d.eta === "number") text = t("search.progress_eta", { done: d.done, total: d.total, eta: duration(d.eta) });
      else text = t("search.progress", { done: d.done, total: d.total });
    }
    $("search-progress-text").textContent = text;
    const status = $("search-status");
    status.dataset.status = d ? d.status : "";
    const parts = [];
    if (d) {
      parts.push(t(`search.status.${d.status}`) || d.status);
      if (d.parallelism) parts.push(t("search.on_executor", { parallel: d.parallelism, executor: t(`search.executor.${d.executor}`) }));
      if (d.parentId && d.narrowedBest) parts.push(t("search.narrowed_from", { best: d.narrowedBest }));
      if (d.message) parts.push(d.message);
    }
    status.textContent = parts.join(" · ");
  }

  function renderTable() {
    const d = main.data;
    const body = $("search-table-body");
    const head = $("search-table-head");
    body.replaceChildren();
    head.replaceChildren();
    if (!d) return;
    const knobs = d.space.map((a) => a.knob);
    const cols = ["search.col.rank", ...knobs.map((k) => `search.knob.${k}`), "search.col.val_acc", "search.col.train_acc", "search.col.status", "search.col.epochs", "search.col.time"];
    for (const key of cols) {
      const th = document.createElement("th");
      th.textContent = t(key);
      head.append(th);
    }
    const rows = ranked(d.trials);
    rows.slice(0, TABLE_ROWS).forEach((tr, i) => {
      const row = document.createElement("tr");
      row.dataset.index = String(tr.index);
      row.dataset.status = tr.status;
      const cells = [
        String(i + 1),
        ...knobs.map((k) => exp(tr.values[k])),
        pct(tr.val_acc),
        pct(tr.train_acc),
        t(`search.trial_status.${tr.status}`),
        String(tr.epochs?.length ?? 0),
        duration(tr.elapsed),
      ];
      for (const c of cells) {
        const td = document.createElement("td");
        td.textContent = c;
        row.append(td);
      }
      if (tr.message) row.title = tr.message;
      body.append(row);
    });
    $("search-table-more").textContent = rows.length > TABLE_ROWS ? t("search.more_rows", { n: rows.length - TABLE_ROWS }) : "";
  }

  function renderContrast() {
    const a = main.data;
    const b = contrast.data;
    const note = $("search-contrast-note");
    if (!a || !b) {
      $("search-contrast-plot").hidden = true;
      note.textContent = t("search.contrast_empty");
      return;
    }
    $("search-contrast-plot").hidden = false;
    const [rnd, grd] = a.method === "random" ? [a, b] : [b, a];
    drawContrast($("search-contrast-plot"), [rnd, grd]);
    const r = distinctValues(rnd.trials, "lr");
    const g = distinctValues(grd.trials, "lr");
    const best = (s) => ranked(s.trials).find((tr) => tr.status === "done")?.val_acc;
    const k = gridBudget(grd.total, grd.space.length).k;
    if (!(main.finished && contrast.finished)) {
      note.textContent = t("search.contrast_running", { r, g });
      return;
    }
    let text = t("search.contrast_note", { n: rnd.total, r, g, k, ra: pct(best(rnd)), ga: pct(best(grd)) });
    if ((best(grd) ?? 0) > (best(rnd) ?? 0)) {
      // why a grid can win: its points include the bounds, and the best region may sit on one
      const top = ranked(grd.trials).find((tr) => tr.status === "done");
      const lr = grd.space.find((a) => a.knob === "lr");
      const edge = lr && top && [lr.low, lr.high].find((b) => Math.abs(Math.log10(top.values.lr / b)) < 1e-6);
      text += ` ${edge ? t("search.contrast_edge", { edge: exp(edge) }) : t("search.contrast_luck")}`;
    }
    note.textContent = text;
  }

  function renderCharts() {
    const d = main.data;
    $("search-curves-title").textContent = t("search.chart_curves", { n: 20 });
    if (!d) {
      $("search-scatter").hidden = true;
      $("search-curves").hidden = true;
      $("search-curves-empty").textContent = t("search.curves_empty");
      renderContrast();
      return;
    }
    $("search-scatter").hidden = false;
    drawScatter($("search-scatter"), d);
    const any = d.trials.some((tr) => tr.status === "done");
    $("search-curves").hidden = !any;
    $("search-curves-empty").textContent = any ? "" : t("search.curves_empty");
    if (any) drawCurves($("search-curves"), d);
    renderContrast();
  }

  async function follow(state) {
    const f = state.config.s;
    for (const [follower, key] of [[main, "id"], [contrast, "cid"]]) {
      const id = f[key];
      if (id && follower.data?.id !== id && follower.opening !== id) {
        follower.opening = id;
        follower.open(id).catch(() => setForm({ [key]: null })).finally(() => (follower.opening = null));
      }
    }
  }

  let built = null;
  return {
    render(state, prev) {
      if (!state.config.s || !state.cat?.searchCatalogue) return;
      if (built !== state.lang) {
        buildAxes(state);
        built = state.lang;
        prev = null;
      }
      if (changed(state, prev, (s) => s.config.s, (s) => s.lang)) fillForm(state.config.s);
      if (state.config.v !== "search") return;
      follow(state);
      if (!changed(state, prev, (s) => s.searchLive, (s) => s.config.s, (s) => s.lang, (s) => s.config.v)) return;
      renderControls(state);
      renderProgress();
      renderTable();
      renderCharts();
      const err = $("search-error");
      err.textContent = error ? formatApiError(error, { fieldLabel: fieldLabel(state.config.s) }) : "";
      err.hidden = !error;
      $("view-search").dataset.search = main.data ? main.data.status : "none";
    },
    get main() {
      return main.data;
    },
    get contrast() {
      return contrast.data;
    },
  };
}
