/**
 * upload_panel.js — "Your own data" in the Training Lab: upload a CSV (numeric features + a label
 * column, chosen from the file's header) or MNIST-style IDX files, or draw points (draw_points.js);
 * POST /api/datasets/uploads, with the upload's progress, and the server's refusals shown in the
 * learner's language (error `code` + `params`, upload_dictionary.js). A new set joins the data-set
 * select (the page state's `cat.datasets`) and becomes the selected run's data set; the list below
 * deletes uploads (DELETE /api/datasets/uploads/{id}). When MNIST is not enabled on the server, its
 * catalogue `hint` says how (shown in the IDX mode).
 *
 *   const uploads = createUploadPanel({ store, root: document.getElementById("upload-panel"), toast });
 *   uploads.render(state, prev);          // from the page's one render path
 *   withUploads(datasets, catalogueIds)   // GET /api/datasets → the sets the form offers
 *
 * State (the page store's `uploads`): {mode: "csv" | "idx" | "draw", busy, progress (0..1 | null),
 * status: {key, vars} | null, errors: [detail items] | null, limits (GET /api/limits) | null}.
 */

import { addDictionary, applyTranslations, t, tr } from "../shared/i18n.js";
import { deleteJSON, getJSON } from "../shared/api.js";
import { el } from "../shared/shell.js";
import { changed } from "../shared/store.js";
import dictionary, { uploadErrorText } from "./upload_dictionary.js";
import { createDrawPoints } from "./draw_points.js";

addDictionary(dictionary);

const UPLOAD_URL = "/api/datasets/uploads";
const MODES = ["csv", "idx", "draw"];
/** Bytes of a CSV read in the page to offer its header's columns as label choices. */
const HEADER_BYTES = 65536;

/**
 * The data sets the form offers: the catalogue's built-in ids in its order, then every upload.
 * @param {object[]} datasets GET /api/datasets
 * @param {string[]} ids GET /api/training/catalogue `datasets`
 */
export function withUploads(datasets, ids) {
  const builtIn = ids.map((id) => datasets.find((d) => d.id === id)).filter(Boolean);
  return [...builtIn, ...datasets.filter((d) => d.uploaded)];
}

/** The columns named by a CSV's first line (as the server reads it: `,` `;` or tab; "column n" without a header). */
export function headerColumns(text) {
  const first = text.replace(/^\uFEFF/, "").split(/\r?\n/).find((line) => line.trim()) ?? "";
  const delimiter = [",", ";", "\t"].reduce((best, d) => (first.split(d).length > first.split(best).length ? d : best), ",");
  const cells = first.split(delimiter).map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
  const numeric = (c) => c !== "" && Number.isFinite(Number(c));
  const header = cells.filter((c) => !numeric(c)).length > 1 || cells.every((c) => !numeric(c));
  return cells.map((c, i) => (header && c ? c : `column ${i + 1}`));
}

/** POST a body to the upload route; resolves {status, body}, reporting upload progress (0..1). */
function send(body, contentType, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", UPLOAD_URL);
    xhr.setRequestHeader("Accept", "application/json");
    if (contentType) xhr.setRequestHeader("Content-Type", contentType);
    xhr.upload.onprogress = (ev) => ev.lengthComputable && onProgress(ev.loaded / ev.total);
    xhr.onload = () => {
      let parsed = null;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        parsed = { detail: [{ msg: xhr.responseText || `HTTP ${xhr.status}` }] };
      }
      resolve({ status: xhr.status, body: parsed });
    };
    xhr.onerror = () => resolve({ status: 0, body: { detail: [{ msg: t("common.server_unreachable", { message: "" }) }] } });
    xhr.send(body);
  });
}

/**
 * The "Your own data" panel.
 * @param {{store: object, root: HTMLElement, toast: Function}} deps
 */
export function createUploadPanel({ store, root, toast }) {
  const set = (patch) => store.update((s) => ({ uploads: { ...s.uploads, ...patch } }));
  store.update({ uploads: { mode: "csv", busy: false, progress: null, status: null, errors: null, limits: null } });
  getJSON("/api/limits").then((limits) => set({ limits }), () => {});

  const $ = (sel) => root.querySelector(sel);
  root.append(
    el("summary", {}, [el("h2", { "data-i18n": "up.title" })]),
    el("div", { class: "segmented up-modes", role: "group", "data-i18n-aria-label": "up.mode" },
      MODES.map((m) => el("button", { type: "button", "data-mode": m, "data-testid": `up-mode-${m}`, "data-i18n": `up.mode_${m}` }))),
    el("div", { class: "up-mode", "data-for": "csv" }, [
      el("label", { class: "field field-wide" }, [
        el("span", { class: "field-label", "data-i18n": "up.csv_file" }),
        el("input", { type: "file", id: "up-csv-file", accept: ".csv,.tsv,.txt,text/csv", "data-testid": "up-csv-file" }),
      ]),
      el("div", { class: "hp-grid" }, [
        el("label", { class: "field" }, [el("span", { class: "field-label", "data-i18n": "up.label_column" }), el("select", { id: "up-label", "data-testid": "up-label" })]),
        el("label", { class: "field" }, [
          el("span", { class: "field-label", "data-i18n": "up.name" }),
          el("input", { type: "text", id: "up-name", maxlength: "80", "data-testid": "up-name", "data-i18n-placeholder": "up.name_placeholder" }),
        ]),
      ]),
      el("p", { class: "hint", id: "up-csv-hint" }),
    ]),
    el("div", { class: "up-mode", "data-for": "idx" }, [
      el("label", { class: "field field-wide" }, [
        el("span", { class: "field-label", "data-i18n": "up.idx_files" }),
        el("input", { type: "file", id: "up-idx-files", multiple: true, "data-testid": "up-idx-files" }),
      ]),
      el("p", { class: "hint", "data-i18n": "up.idx_hint" }),
      el("p", { class: "hint mnist-hint", id: "up-mnist-hint", "data-testid": "mnist-hint" }),
    ]),
    el("div", { class: "up-mode", "data-for": "draw", id: "up-draw" }),
    el("div", { class: "button-row up-send" }, [el("button", { type: "button", class: "primary", id: "up-submit", "data-testid": "up-submit", "data-i18n": "up.upload" })]),
    el("progress", { id: "up-progress", max: "1", value: "0", "data-testid": "up-progress", "data-i18n-aria-label": "up.upload", hidden: true }),
    el("p", { class: "status", id: "up-status", "data-testid": "up-status", "aria-live": "polite" }),
    el("div", { class: "field-error", id: "up-error", role: "alert", "data-testid": "up-error", hidden: true }),
    el("div", { class: "up-list-wrap" }, [el("span", { class: "field-label", "data-i18n": "up.list" }), el("ul", { class: "up-list", "data-testid": "up-list" })]),
  );
  const drawing = createDrawPoints({ store, root: $("#up-draw"), onUse: (points) => submit("draw", points) });
  applyTranslations(root);

  for (const b of root.querySelectorAll("[data-mode]")) b.addEventListener("click", () => set({ mode: b.dataset.mode, errors: null, status: null }));
  root.addEventListener("toggle", () => requestAnimationFrame(drawing.resize));
  $("#up-csv-file").addEventListener("change", () => readHeader($("#up-csv-file").files[0]));
  $("#up-submit").addEventListener("click", () => submit(store.get().uploads.mode));

  async function readHeader(file) {
    const select = $("#up-label");
    select.replaceChildren();
    set({ errors: null, status: null });
    if (!file) return;
    $("#up-name").value = file.name.replace(/\.[^.]*$/, "");
    const columns = headerColumns(await file.slice(0, HEADER_BYTES).text());
    for (const c of columns) select.append(el("option", { value: c, text: c }));
    select.value = columns[columns.length - 1];
  }

  /** The body of an upload in `mode`, or null (with the reason shown) when something is missing. */
  function body(mode, points) {
    if (mode === "draw") {
      const drawn = store.get().cat.datasets.filter((d) => d.source === "points").length;
      return [JSON.stringify({ kind: "points", points, name: `${t("draw.name")} ${drawn + 1}` }), "application/json"];
    }
    const form = new FormData();
    form.append("kind", mode);
    const files = mode === "csv" ? [...$("#up-csv-file").files] : [...$("#up-idx-files").files];
    if (!files.length) return null;
    for (const f of files) form.append("file", f, f.name);
    if (mode === "csv") {
      form.append("label_column", $("#up-label").value);
      if ($("#up-name").value.trim()) form.append("name", $("#up-name").value.trim());
    }
    return [form, null];
  }

  async function submit(mode, points) {
    if (store.get().uploads.busy) return;
    const request = body(mode, points);
    if (!request) {
      set({ errors: [{ code: "upload.no_file", params: {}, msg: t("up.no_file") }], status: null });
      return;
    }
    set({ busy: true, progress: 0, errors: null, status: { key: "up.checking" } });
    const { status, body: answer } = await send(request[0], request[1], (p) => set({ progress: p, status: { key: p < 1 ? "up.uploading" : "up.checking", vars: { percent: Math.round(100 * p) } } }));
    if (status !== 201) {
      const detail = Array.isArray(answer?.detail) ? answer.detail : [{ msg: String(answer?.detail ?? `HTTP ${status}`) }];
      set({ busy: false, progress: null, status: null, errors: detail });
      return;
    }
    set({ busy: false, progress: null, errors: null, status: { key: "up.done", vars: { name: tr(answer.name), n: answer.n_samples, d: answer.n_features, k: answer.n_classes } } });
    addDataset(answer);
  }

  /** Put a new set into the page's catalogue and make it the selected run's data set (as if chosen). */
  function addDataset(entry) {
    store.update((s) => {
      const datasets = [...s.cat.datasets.filter((d) => d.id !== entry.id), entry];
      return { cat: { ...s.cat, datasets, datasetById: new Map(datasets.map((d) => [d.id, d])) } };
    });
    choose(entry.id);
  }

  /** Select a data set through the form's own select, so the edit takes the form's usual path. */
  function choose(id) {
    const select = document.getElementById("ds-select");
    if (!select) return;
    select.value = id;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  async function remove(entry) {
    try {
      await deleteJSON(`${UPLOAD_URL}/${encodeURIComponent(entry.id)}`);
    } catch (err) {
      if (err.status !== 404) {
        toast(t("up.failed", { message: err.message }), "error", 8000);
        return;
      }
    }
    const { config, defaults } = store.get();
    store.update((s) => {
      const datasets = s.cat.datasets.filter((d) => d.id !== entry.id);
      return { cat: { ...s.cat, datasets, datasetById: new Map(datasets.map((d) => [d.id, d])) } };
    });
    if (config.runs[config.sel].ds === entry.id) choose(defaults.ds);
    toast(t("up.deleted", { name: tr(entry.name) }), "info");
  }

  function renderList(state) {
    const list = root.querySelector(".up-list");
    const uploaded = state.cat.datasets.filter((d) => d.uploaded);
    list.parentElement.hidden = uploaded.length === 0;
    list.replaceChildren(
      ...uploaded.map((d) => {
        const del = el("button", { type: "button", class: "icon-button", "aria-label": t("up.delete", { name: tr(d.name) }), title: t("up.delete", { name: tr(d.name) }), text: "×" });
        del.addEventListener("click", () => remove(d));
        return el("li", { "data-id": d.id }, [el("span", { text: `${tr(d.name)} · ${t("up.list_item", { n: d.n_samples, k: d.n_classes })}` }), del]);
      }),
    );
  }

  function render(state, prev) {
    if (!state.uploads || !state.cat) return;
    const up = state.uploads;
    if (changed(state, prev, (s) => s.uploads, (s) => s.lang, (s) => s.cat)) {
      for (const b of root.querySelectorAll("[data-mode]")) b.setAttribute("aria-pressed", String(b.dataset.mode === up.mode));
      for (const box of root.querySelectorAll(".up-mode")) box.hidden = box.dataset.for !== up.mode;
      $(".up-send").hidden = up.mode === "draw";
      $("#up-submit").disabled = up.busy;
      $("#up-progress").hidden = up.progress === null;
      if (up.progress !== null) $("#up-progress").value = up.progress;
      $("#up-status").textContent = up.status ? t(up.status.key, up.status.vars) : "";
      $("#up-error").hidden = !up.errors;
      $("#up-error").textContent = up.errors ? up.errors.map(uploadErrorText).join(" ") : "";
      root.dataset.busy = String(up.busy);
      const limits = up.limits;
      $("#up-csv-hint").textContent = limits ? t("up.csv_hint", { rows: limits.max_upload_rows.toLocaleString(state.lang), columns: limits.max_upload_columns.toLocaleString(state.lang) }) : "";
      const mnist = state.cat.datasetById.get("mnist");
      const hint = mnist && mnist.available === false && mnist.hint;
      $("#up-mnist-hint").hidden = !hint;
      $("#up-mnist-hint").textContent = hint ? `${t("up.mnist_hint_title")} ${tr(mnist.hint)}` : "";
    }
    if (changed(state, prev, (s) => s.cat, (s) => s.lang)) renderList(state);
    drawing.render(state, prev);
    if (changed(state, prev, (s) => s.uploads.mode) && up.mode === "draw") requestAnimationFrame(drawing.resize);
  }

  return { render };
}
