/**
 * view.js — the Training Lab's "Saved runs" view (tab data-view="runs", section #view-runs):
 * every training job, comparison and search the server has saved (GET /api/runs), newest first,
 * with its status badge (done / diverged / interrupted / cancelled / error / running), a label
 * search, and per run: open (the curves and histograms in the Training view, like a run that has
 * just finished), rename (inline), delete (after a confirm), a copyable link
 * (`/training?run=<id>`; an Optimizer Lab save: `/?run=<id>`) and export. Several runs can be
 * selected and overlaid (overlay.js). An exported JSON file (the Training Lab's "Export JSON", or
 * this view's export) is imported with POST /api/runs/import.
 *
 *   const saved = createSavedRunsView({ store, root, openSession, toast });
 *   saved.render(state, prev);      // from main.js's render path
 *   saved.openFromUrl();            // at boot: `?run=<id>` opens that run
 *
 * A saved search (kind "search") opens in the Hyperparameter search view instead (its scatter,
 * best curves and ranked table, the form showing its settings); a comparison opens in the
 * Training view with all its runs, like a comparison that has just finished. In the Training view
 * an opened run has "Train again with these settings" (retrain.js): its stored configuration
 * (every run of a comparison) goes into the Training form, fitted to today's catalogue, and what
 * had to change is listed under the button.
 *
 * Page state: `saved` {items, total, query, kind, selected: [ids], overlay: [ids], loading,
 * error, editing: id|null, link: {id, url}|null}. The list is fetched when the view is shown,
 * when the search changes, and every few seconds while the view is shown and a run is still
 * running or the page's own session has just finished (the server saves within a second).
 * `#view-runs[data-state]` ("loading" / "ready" / "error") and `[data-overlay]` ("none" /
 * "loading" / "drawn") are for the browser tests.
 */

import { deleteJSON, getJSON, patchJSON, postJSON } from "../../shared/api.js";
import { formatApiError } from "../../shared/errors.js";
import { t } from "../../shared/i18n.js";
import { el } from "../../shared/shell.js";
import { changed } from "../../shared/store.js";
import { MAX_COMPARE_ROWS } from "../compare_charts.js";
import { drawOverlay } from "./overlay.js";
import { loadTrainingRuns, sessionFromSaved } from "./records.js";
import { formFromSavedConfig } from "./retrain.js";
import { searchFormFromRequest } from "../search/model.js";
import { describe } from "../run_list.js";
import { trainingFieldLabel } from "../field_labels.js";

const STATUSES = ["done", "diverged", "interrupted", "cancelled", "error", "running"];
const KINDS = ["training", "comparison", "search", "lab"];
const POLL_MS = 2000;
const SEARCH_DELAY_MS = 250;

export const INITIAL_SAVED = {
  items: [],
  total: 0,
  query: "",
  kind: "",
  selected: [],
  overlay: [],
  loading: false,
  error: null,
  editing: null,
  link: null,
};

/** The page link that opens a saved run (an Optimizer Lab save opens in the Optimizer Lab). */
export function runLink(run) {
  const page = run.kind === "lab" ? "/" : "/training";
  return `${window.location.origin}${page}?run=${encodeURIComponent(run.id)}`;
}

function when(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleString(document.documentElement.lang || undefined, { dateStyle: "short", timeStyle: "short" });
}

/**
 * @param {{store: object, root: HTMLElement, openSession: (session: object) => void, toast: Function}} deps
 */
export function createSavedRunsView({ store, root, openSession, toast }) {
  let pageSize = 50;
  let searchTimer = null;
  let pollTimer = null;
  let request = 0; // the newest list request; older answers are dropped
  let overlayRuns = []; // run records drawn in the overlay (kept for a language switch)
  let sessionEndedAt = 0; // when the page's own session last finished (performance.now())

  const saved = () => store.get().saved ?? INITIAL_SAVED;
  const setSaved = (patch) => store.update((s) => ({ saved: { ...(s.saved ?? INITIAL_SAVED), ...patch } }));

  // ------------------------------------------------------------ the skeleton (built once)

  const search = el("input", { type: "search", id: "saved-search", "data-testid": "saved-search", autocomplete: "off" });
  const kind = el("select", { id: "saved-kind", "data-testid": "saved-kind" });
  const file = el("input", { type: "file", accept: ".json,application/json", id: "saved-import-file", "data-testid": "saved-import", class: "visually-hidden" });
  const importButton = el("button", { type: "button", class: "secondary", "data-testid": "saved-import-button" });
  const overlayButton = el("button", { type: "button", class: "primary", "data-testid": "saved-overlay", disabled: true });
  const status = el("p", { class: "hint", role: "status", "data-testid": "saved-status-line" });
  const linkBox = el("div", { class: "saved-link", "data-testid": "saved-link-box", hidden: true });
  const linkInput = el("input", { type: "text", readonly: true, "data-testid": "saved-link-input" });
  const linkLabel = el("span", { class: "field-label" });
  linkBox.append(linkLabel, linkInput);
  const table = el("table", { class: "saved-table", "data-testid": "saved-table" });
  const head = el("thead");
  const body = el("tbody", { id: "saved-list", "data-testid": "saved-list" });
  table.append(head, body);
  const more = el("button", { type: "button", class: "secondary", "data-testid": "saved-more", hidden: true });
  const title = el("h2");
  const intro = el("p", { class: "description" });
  const searchLabel = el("span", { class: "field-label" });
  const kindLabel = el("span", { class: "field-label" });
  const toolbar = el("div", { class: "saved-toolbar" }, [
    el("label", { class: "field saved-search-field" }, [searchLabel, search]),
    el("label", { class: "field" }, [kindLabel, kind]),
    el("div", { class: "button-row" }, [importButton, file, overlayButton]),
  ]);
  const listPanel = el("div", { class: "panel saved-panel" }, [title, intro, toolbar, linkBox, status, el("div", { class: "saved-table-wrap" }, [table]), more]);

  const overlayTitle = el("h2");
  const overlayHint = el("p", { class: "hint" });
  const lossTitle = el("h3");
  const accTitle = el("h3");
  const histTitle = el("h3");
  const lossDiv = el("div", { class: "chart", id: "saved-loss", "data-testid": "saved-loss" });
  const accDiv = el("div", { class: "chart", id: "saved-acc", "data-testid": "saved-acc" });
  const histDiv = el("div", { class: "chart saved-hist", id: "saved-hist", "data-testid": "saved-hist" });
  const overlayPanel = el("div", { class: "panel saved-overlay", "data-testid": "saved-overlay-panel", hidden: true }, [
    el("div", { class: "panel-head" }, [overlayTitle]),
    overlayHint,
    el("div", { class: "chart-grid two-up" }, [el("div", {}, [lossTitle, lossDiv]), el("div", {}, [accTitle, accDiv])]),
    histTitle,
    histDiv,
  ]);
  root.append(listPanel, overlayPanel);
  // in the Training view: which saved run the charts show, when one was opened
  const note = el("p", { class: "saved-note", "data-testid": "saved-note", hidden: true });
  const noteText = el("span");
  const noteBack = el("button", { type: "button", class: "chip-button", "data-testid": "saved-note-back" });
  const retrainButton = el("button", { type: "button", class: "chip-button saved-retrain", "data-testid": "saved-retrain" });
  const retrainBox = el("div", { class: "saved-retrain-notes", "data-testid": "saved-retrain-notes", role: "status", hidden: true });
  note.append(noteText, noteBack, retrainButton, retrainBox);
  noteBack.addEventListener("click", () => store.update((s) => ({ config: { ...s.config, v: "runs" } })));
  retrainButton.addEventListener("click", () => retrain());
  let retrained = null; // {session, label, n, total, notes}: what the last "Train again" loaded (shown under the button)
  document.getElementById("view-train")?.prepend(note);
  root.dataset.state = "idle";
  root.dataset.overlay = "none";

  // ------------------------------------------------------------ fetching

  async function load({ append = false } = {}) {
    const { query, kind: k, items } = saved();
    const mine = ++request;
    setSaved({ loading: true });
    root.dataset.state = "loading";
    try {
      const page = await getJSON("/api/runs", { q: query || null, kind: k || null, limit: pageSize, offset: append ? items.length : 0 });
      if (mine !== request) return;
      setSaved({ items: append ? [...items, ...page.runs] : page.runs, total: page.total, loading: false, error: null });
      root.dataset.state = "ready";
    } catch (err) {
      if (mine !== request) return;
      setSaved({ loading: false, error: err });
      root.dataset.state = "error";
    }
    schedulePoll();
  }

  function schedulePoll() {
    clearTimeout(pollTimer);
    const state = store.get();
    if (state.config?.v !== "runs") return;
    const running = saved().items.some((r) => r.status === "running");
    const justFinished = performance.now() - sessionEndedAt < 10000;
    if (running || justFinished) pollTimer = setTimeout(() => load(), POLL_MS);
  }

  // ------------------------------------------------------------ actions

  /** A saved search: the Hyperparameter search view showing it (search/view.js follows `config.s.id`). */
  async function openSearch(run) {
    const request = run.config ?? (await getJSON(`/api/runs/${encodeURIComponent(run.id)}`, { limit: 1 })).config;
    const cat = store.get().cat?.searchCatalogue;
    if (!cat) return;
    store.update((s) => ({ config: { ...s.config, v: "search", s: searchFormFromRequest(request, cat, run.id) } }));
    toast(t("saved.search_opened", { label: run.label }), "info");
  }

  async function open(run) {
    if (run.kind === "lab") {
      window.location.assign(runLink(run));
      return;
    }
    if (run.kind === "search") {
      try {
        await openSearch(run);
      } catch (err) {
        toast(formatApiError(err), "error", 8000);
      }
      return;
    }
    try {
      const { top, runs } = await loadTrainingRuns(run.id);
      openSession(sessionFromSaved(runs, top));
    } catch (err) {
      toast(formatApiError(err), "error", 8000);
    }
  }

  /** "Train again with these settings": the open run's stored configuration(s) into the Training form. */
  function retrain() {
    const state = store.get();
    const session = state.session;
    const configs = (session?.saved?.configs ?? []).filter((c) => c && typeof c === "object");
    if (!configs.length || !state.cat || !state.defaults) {
      toast(t("saved.retrain_none"), "error", 6000);
      return;
    }
    const max = state.cat.catalogue.limits.max_comparison_runs;
    const fitted = configs.slice(0, max).map((c) => formFromSavedConfig(c, { cat: state.cat, defaults: state.defaults }));
    const forms = fitted.map((f) => f.form);
    const notes = fitted.flatMap((f, i) => f.notes.map((n) => ({ ...n, run: i })));
    store.update((s) => ({ config: { ...s.config, runs: forms, sel: 0, pr: null, v: "train" }, formEpoch: s.formEpoch + 1, runError: "", errorKeys: [] }));
    retrained = { session, label: session.saved.label, n: forms.length, total: configs.length, notes };
    renderRetrain(store.get()); // said under the button (a toast would repeat it)
  }

  /** A value of a retrain note as the student reads it: data set / optimizer names, layer lists, numbers. */
  function noteValue(state, key, value) {
    if (value === null || value === undefined) return "—";
    if (["ds", "opt", "act", "init"].includes(key)) return `“${describe(state, key, value, {})}”`;
    if (Array.isArray(value)) return `[${value.join(", ")}]`;
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function renderRetrain(state) {
    const r = retrained && retrained.session === state.session ? retrained : null;
    retrainBox.hidden = !r;
    if (!r) {
      retrainBox.replaceChildren();
      return;
    }
    const fieldLabel = trainingFieldLabel(() => store.get());
    const lines = [el("p", { text: t(r.n > 1 ? "saved.retrain_done_many" : "saved.retrain_done", { label: r.label, n: r.n }) })];
    if (r.total > r.n) lines.push(el("p", { class: "warn", text: t("saved.retrain_left_out", { n: r.total, max: r.n }) }));
    if (r.notes.length) {
      lines.push(el("p", { class: "warn", text: t("saved.retrain_fitted") }));
      const list = el("ul", { "data-testid": "saved-retrain-fitted" });
      for (const n of r.notes) {
        const loc = r.n > 1 ? ["configs", n.run, ...n.path.split(".")] : n.path.split(".");
        const field = fieldLabel(loc, {}) ?? n.path;
        list.append(el("li", { "data-key": n.key, text: t(`saved.retrain_note.${n.why}`, { field, from: noteValue(state, n.key, n.from), to: noteValue(state, n.key, n.to) }) }));
      }
      lines.push(list);
    }
    retrainBox.replaceChildren(...lines);
  }

  async function rename(run, label) {
    const text = label.trim();
    if (!text || text === run.label) {
      setSaved({ editing: null });
      return;
    }
    try {
      const updated = await patchJSON(`/api/runs/${encodeURIComponent(run.id)}`, { label: text });
      setSaved({ editing: null, items: saved().items.map((r) => (r.id === run.id ? { ...r, label: updated.label } : r)) });
      // an open saved session shows the new name too
      const session = store.get().session;
      const shown = session?.saved ? session.runs.find((r) => r.savedId === run.id) : null;
      if (shown) {
        shown.label = updated.label;
        store.update((s) => ({ telemetry: { ...s.telemetry, status: s.telemetry.status + 1 } }));
      }
    } catch (err) {
      toast(formatApiError(err), "error", 8000);
    }
  }

  async function remove(run) {
    // eslint-disable-next-line no-alert -- a plain confirm is the clearest "are you sure"
    if (!window.confirm(t("saved.confirm_delete", { label: run.label }))) return;
    try {
      await deleteJSON(`/api/runs/${encodeURIComponent(run.id)}`);
      const { selected, overlay } = saved();
      setSaved({ selected: selected.filter((id) => id !== run.id), overlay: overlay.filter((id) => id !== run.id) });
      toast(t("saved.deleted", { label: run.label }), "info");
      await load();
    } catch (err) {
      toast(formatApiError(err), "error", 8000);
    }
  }

  async function copyLink(run) {
    const url = runLink(run);
    setSaved({ link: { id: run.id, url, label: run.label } });
    try {
      await navigator.clipboard.writeText(url);
      toast(t("saved.link_copied"), "info");
    } catch {
      linkInput.focus();
      linkInput.select(); // no clipboard permission: the link is selected, ready to copy
    }
  }

  async function importFile(f) {
    if (!f) return;
    let parsed;
    try {
      parsed = JSON.parse(await f.text());
    } catch {
      toast(t("saved.import_not_json", { name: f.name }), "error", 8000);
      return;
    }
    try {
      const result = await postJSON("/api/runs/import", parsed);
      toast(t("saved.imported", { n: result.runs.length, name: f.name }), "info");
      setSaved({ query: "", kind: "" });
      search.value = "";
      await load();
    } catch (err) {
      toast(`${f.name}: ${formatApiError(err)}`, "error", 10000);
    } finally {
      file.value = "";
    }
  }

  async function overlay() {
    const ids = saved().selected.slice(0, MAX_COMPARE_ROWS);
    if (ids.length < 1) return;
    root.dataset.overlay = "loading";
    setSaved({ overlay: ids });
    try {
      const loaded = await Promise.all(ids.map((id) => loadTrainingRuns(id)));
      // a comparison brings all its runs; the overlay shows at most MAX_COMPARE_ROWS
      const runs = loaded.flatMap(({ top, runs: rs }) => sessionFromSaved(rs, top).runs).slice(0, MAX_COMPARE_ROWS);
      runs.forEach((r, i) => {
        r.index = i;
      });
      overlayRuns = runs;
      drawOverlayNow();
    } catch (err) {
      root.dataset.overlay = "none";
      toast(formatApiError(err), "error", 8000);
    }
  }

  function drawOverlayNow() {
    if (!overlayRuns.length) return;
    overlayPanel.hidden = false;
    overlayHint.textContent = t("saved.overlay_hint", { n: overlayRuns.length });
    drawOverlay({ loss: lossDiv, acc: accDiv, hist: histDiv }, overlayRuns, t);
    root.dataset.overlay = "drawn";
  }

  // ------------------------------------------------------------ drawing

  function renderStatic() {
    title.textContent = t("saved.title");
    intro.textContent = t("saved.intro");
    searchLabel.textContent = t("saved.search");
    search.placeholder = t("saved.search_placeholder");
    kindLabel.textContent = t("saved.kind");
    const chosen = saved().kind;
    kind.replaceChildren(el("option", { value: "", text: t("saved.kind_all") }), ...KINDS.map((k) => el("option", { value: k, text: t(`saved.kind.${k}`) })));
    kind.value = chosen;
    importButton.textContent = t("saved.import");
    linkLabel.textContent = t("saved.link_label");
    more.textContent = t("saved.more");
    overlayTitle.textContent = t("saved.overlay_title");
    lossTitle.textContent = t("train.chart_loss");
    accTitle.textContent = t("train.chart_acc");
    histTitle.textContent = t("saved.hist_title");
    head.replaceChildren(
      el("tr", {}, [
        el("th", { scope: "col", class: "saved-check" }, [el("span", { class: "visually-hidden", text: t("saved.col_select") })]),
        el("th", { scope: "col", text: t("saved.col_label") }),
      ]),
    );
  }

  function result(run) {
    if (typeof run.test_acc !== "number") return "";
    return t(run.kind === "training" ? "saved.result_acc" : "saved.result_best", { acc: (100 * run.test_acc).toFixed(1) });
  }

  function actionButton(key, testid, onClick, extra = {}) {
    const b = el("button", { type: "button", class: "chip-button", "data-testid": testid, ...extra });
    b.textContent = t(key);
    b.addEventListener("click", onClick);
    return b;
  }

  function row(run) {
    const state = saved();
    const tr = el("tr", { "data-run-id": run.id, "data-testid": "saved-row", "data-status": run.status });
    const check = el("input", { type: "checkbox", "data-testid": "saved-select", "aria-label": t("saved.select_run", { label: run.label }) });
    check.checked = state.selected.includes(run.id);
    check.disabled = run.kind === "lab";
    check.addEventListener("change", () => {
      const chosen = new Set(saved().selected);
      if (check.checked) chosen.add(run.id);
      else chosen.delete(run.id);
      setSaved({ selected: saved().items.map((r) => r.id).filter((id) => chosen.has(id)) });
    });
    let labelCell;
    if (state.editing === run.id) {
      const input = el("input", { type: "text", value: run.label, maxlength: "200", "data-testid": "saved-rename-input", "aria-label": t("saved.rename") });
      const save = actionButton("saved.rename_save", "saved-rename-save", () => rename(run, input.value));
      const cancel = actionButton("saved.rename_cancel", "saved-rename-cancel", () => setSaved({ editing: null }));
      input.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter") rename(run, input.value);
        if (ev.key === "Escape") setSaved({ editing: null });
      });
      labelCell = el("td", { class: "saved-label-cell" }, [input, save, cancel]);
      requestAnimationFrame(() => input.focus());
    } else {
      labelCell = el("td", { class: "saved-label-cell" }, [el("span", { class: "saved-label", "data-testid": "saved-label", text: run.label })]);
    }
    const known = STATUSES.includes(run.status) ? run.status : "error";
    const badge = el("span", { class: `badge badge-run badge-run-${known}`, "data-testid": "saved-status", "data-status": known, text: t(`saved.status.${known}`) });
    // second line: kind · started · result
    const meta = [t(`saved.kind.${run.kind}`), when(run.created), result(run)].filter(Boolean).join(" · ");
    labelCell.append(el("div", { class: "saved-meta", "data-testid": "saved-meta", text: meta }));
    const actions = el("div", { class: "saved-actions" }, [
      actionButton("saved.open", "saved-open", () => open(run), { disabled: run.status === "running" && !["lab", "search"].includes(run.kind) ? true : null }),
      actionButton("saved.rename", "saved-rename", () => setSaved({ editing: run.id })),
      actionButton("saved.link", "saved-link", () => copyLink(run)),
      el("a", { class: "chip-button", href: `/api/runs/${encodeURIComponent(run.id)}/export`, download: "", "data-testid": "saved-export", text: t("saved.export") }),
      actionButton("saved.delete", "saved-delete", () => remove(run), { class: "chip-button danger", disabled: run.status === "running" ? true : null }),
    ]);
    labelCell.prepend(badge);
    labelCell.append(actions);
    tr.append(el("td", { class: "saved-check" }, [check]), labelCell);
    return tr;
  }

  function renderList() {
    const state = saved();
    body.replaceChildren(...state.items.map(row));
    if (state.error) status.textContent = formatApiError(state.error);
    else if (!state.items.length && !state.loading) status.textContent = state.query ? t("saved.none_found", { query: state.query }) : t("saved.none");
    else status.textContent = t("saved.count", { shown: state.items.length, total: state.total });
    more.hidden = state.items.length >= state.total;
    const n = state.selected.length;
    overlayButton.disabled = n < 1;
    overlayButton.textContent = t("saved.overlay", { n: Math.min(n, MAX_COMPARE_ROWS) });
    linkBox.hidden = !state.link;
    if (state.link) linkInput.value = state.link.url;
  }

  function renderNote(state) {
    const info = state.session?.saved;
    note.hidden = !info;
    if (!info) return;
    const label = state.session.runs.length === 1 ? state.session.runs[0].label : info.label;
    noteText.textContent = `${t("saved.note", { label, status: t(`saved.status.${STATUSES.includes(info.status) ? info.status : "error"}`) })} `;
    noteBack.textContent = t("saved.note_back");
    retrainButton.textContent = t("saved.retrain");
    retrainButton.title = t("saved.retrain_hint");
    retrainButton.hidden = !(info.configs ?? []).some((c) => c && typeof c === "object" && Object.keys(c).length);
    renderRetrain(state);
  }

  /** Bring the view in line with the state (main.js's render path). */
  function render(state, prev) {
    if (changed(state, prev, (s) => s.session, (s) => s.lang, (s) => s.telemetry.status)) renderNote(state);
    else if (retrained && changed(state, prev, (s) => s.config.runs)) renderRetrain(state); // field labels follow the runs' names
    const shown = state.config?.v === "runs";
    const wasShown = prev?.config?.v === "runs";
    if (prev?.session && prev.session.running && state.session && !state.session.running) sessionEndedAt = performance.now();
    if (changed(state, prev, (s) => s.lang)) {
      renderStatic();
      renderList();
      if (overlayRuns.length && shown) drawOverlayNow();
    } else if (changed(state, prev, (s) => s.saved)) renderList();
    if (shown && !wasShown) {
      load();
      if (overlayRuns.length) requestAnimationFrame(drawOverlayNow); // sized now that it is visible
    }
    if (!shown) clearTimeout(pollTimer);
  }

  /** `?run=<id>` in the address opens that saved run (the link "Link" copies). */
  async function openFromUrl() {
    const id = new URLSearchParams(window.location.search).get("run");
    if (!id) return;
    // from now on the address carries the page's own state (the hash) again
    window.history.replaceState(null, "", `${window.location.pathname}${window.location.hash}`);
    try {
      // what kind of run it is decides where it opens (one event is enough to know)
      const first = await getJSON(`/api/runs/${encodeURIComponent(id)}`, { limit: 1 });
      if (first.kind === "search" || first.kind === "lab") {
        await open(first);
        return;
      }
      const { top, runs } = await loadTrainingRuns(id);
      openSession(sessionFromSaved(runs, top));
    } catch (err) {
      toast(formatApiError(err), "error", 10000);
      store.update((s) => ({ config: { ...s.config, v: "runs" } }));
    }
  }

  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      setSaved({ query: search.value.trim() });
      load();
    }, SEARCH_DELAY_MS);
  });
  kind.addEventListener("change", () => {
    setSaved({ kind: kind.value });
    load();
  });
  importButton.addEventListener("click", () => file.click());
  file.addEventListener("change", () => importFile(file.files?.[0]));
  overlayButton.addEventListener("click", overlay);
  more.addEventListener("click", () => load({ append: true }));
  getJSON("/api/limits")
    .then((limits) => {
      pageSize = Math.min(pageSize, limits.max_saved_runs_page ?? pageSize);
    })
    .catch(() => {});

  return { render, openFromUrl };
}
