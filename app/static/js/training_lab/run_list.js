/**
 * run_list.js — the Training Lab's runs to train (static/training.html, left column): the
 * preset buttons, the run list (select / copy / remove a run), how an edit of the form spreads
 * over the runs, and the runs' labels ("Adam · Spiral", or what differs between the runs).
 *
 *   import { createRunList, runLabels, describe, fitToCatalogue } from "./run_list.js";
 *   const list = createRunList({ store, setConfig, toast });
 *   list.render(state, prev);            // presets and run list, from the page's render path
 *   list.onFormChange(next, previous)    // the form's onChange: spreads an edit over the runs
 *   runLabels(state) / describe(state, key, value, form) / fitToCatalogue(cat, defaults, form)
 *
 * Edits go through `setConfig(patch)` (the page state's `config.runs`, `.sel` and `.pr`, forms of
 * model.js); a preset, a selection, a removal or a copy bumps `formEpoch` so the form reloads.
 */

import { t, tr, hasKey } from "../shared/i18n.js";
import { colourAt } from "../shared/plots.js";
import { el } from "../shared/shell.js";
import { fmt } from "../shared/format.js";
import { clone, diffForm, runLabel, same, varyingKeys } from "./model.js";
import { PRESETS, PRESET_BY_ID, presetRuns } from "./presets.js";
import { changed } from "../shared/store.js";

const $ = (id) => document.getElementById(id);

const fmtNumber = (v) => fmt(v, 3);

/**
 * Display name of an activation ("act") or an initialisation ("init"): our translation when we
 * have one, else the catalogue's label (GET /api/training/catalogue).
 */
export function choiceLabel(cat, kind, id) {
  const key = `${kind === "act" ? "act" : "initm"}.${id}`;
  if (hasKey(key)) return t(key);
  const list = kind === "act" ? cat?.catalogue.activations : cat?.catalogue.initializers;
  return tr(list?.find((c) => c.id === id)?.label) || id;
}

/** "key=value" text for a form key (run labels and the run list), in the current language. */
export function describe(state, key, value, f) {
const { cat } = state;
  switch (key) {
    case "label":
      return String(value).startsWith("@") ? t(String(value).slice(1)) : String(value);
    case "ds": {
      const ds = cat?.datasetById.get(value);
      return ds ? tr(ds.name) : String(value);
    }
    case "opt":
      return hasKey(`opt.${value}`) ? t(`opt.${value}`) : cat?.optimizerById.get(value)?.name ?? String(value);
    case "hp": {
      const parts = Object.entries(value || {}).map(([k, v]) => `${k === "lr" ? "η" : k}=${fmtNumber(v)}`);
      return parts.length ? parts.join(" ") : t("train.defaults");
    }
    case "init":
      return value === "normal" ? `σ=${fmtNumber(f.std)}` : choiceLabel(cat, "init", value);
    case "std":
      return `σ=${fmtNumber(value)}`;
    case "act":
      return t(`act.${value}`);
    case "bn":
      return value ? t("train.bn_on") : t("train.bn_off");
    case "dp":
      return `${t("train.dropout_short")} ${fmtNumber(value)}`;
    case "l2":
      return `L2 λ=${fmtNumber(value)}`;
    case "l1":
      return `L1 λ=${fmtNumber(value)}`;
    case "h":
      return `[${(value || []).join(",")}]`;
    case "bs":
      return value === 0 ? t("train.bs_gd") : `${t("train.batch_short")} ${value}`;
    case "ep":
      return `${value} ${t("train.epochs_short")}`;
    case "tl":
      return value === null ? t("train.all") : `${t("train.train_short")} ${value}`;
    case "sch":
      return value ? tr(cat?.scheduleById.get(value.type)?.name) || value.type : t("train.constant_lr");
    case "clip":
      return value ? `${t(`clip.${value.mode}`)} ${fmtNumber(value.max)}` : t("clip.none");
    case "es":
      return value ? t("train.early_stopping") : t("train.no_early_stopping");
    default:
      return `${key}=${typeof value === "object" ? JSON.stringify(value) : value}`;
  }
}

/** The label of every configured run (memoised on the runs and the language). */
export function runLabels(state) {
const { runs } = state.config;
if (labelMemo.runs !== runs || labelMemo.lang !== state.lang) {
  labelMemo.labels = runs.map((r) => runLabel(r, runs, (k, v, f) => describe(state, k, v, f)));
  Object.assign(labelMemo, { runs, lang: state.lang });
}
return labelMemo.labels;
}
const labelMemo = { runs: null, lang: null, labels: [] };

/** A form fitted to what the server offers (an old or hand-edited link may name other things). */
export function fitToCatalogue(cat, defaults, f) {
  const out = clone(f);
  const ds = cat.datasetById.get(out.ds);
  if (!ds || ds.available === false) {
    out.ds = defaults.ds;
    out.n = out.noise = out.cls = null;
  }
  let spec = cat.optimizerById.get(out.opt);
  if (!spec) {
    out.opt = cat.optimizerById.has("adam") ? "adam" : cat.optimizers[0]?.id;
    out.hp = {};
    spec = cat.optimizerById.get(out.opt);
  }
  const names = new Set((spec?.hyperparams ?? []).map((h) => h.name));
  out.hp = Object.fromEntries(Object.entries(out.hp || {}).filter(([k]) => names.has(k)));
  if (out.sch && !cat.scheduleById.has(out.sch.type)) out.sch = null;
  if (out.sch && out.sch.type === "constant") out.sch = null;
  return out;
}

/**
 * The presets and the run list of one page.
 * @param {{store: object, setConfig: (patch: object) => void, toast: Function}} deps
 */
export function createRunList({ store, setConfig, toast }) {
  const fit = (f) => fitToCatalogue(store.get().cat, store.get().defaults, f);
  const config = () => store.get().config;
  const busy = () => Boolean(store.get().session?.running);
  /** New runs (and selection) that the form must show afresh. */
  const replaceRuns = (patch) => {
    setConfig(patch);
    store.update((s) => ({ formEpoch: s.formEpoch + 1 }));
  };

  // ---------------------------------------------------------------- presets and runs

  function renderPresets(state) {
    const box = $("preset-buttons");
    if (!box.children.length) {
      // built once and then updated in place (a rebuild could swallow a click)
      for (const p of PRESETS) {
        const b = el("button", { type: "button", class: "preset", "data-preset": p.id, "data-testid": `preset-${p.id}` });
        b.addEventListener("click", () => applyPreset(p.id));
        box.append(b);
      }
    }
    const { config } = state;
    for (const b of box.children) {
      const p = PRESET_BY_ID.get(b.dataset.preset);
      b.textContent = t(`preset.${p.id}`);
      b.title = t(`preset.${p.id}.note`);
      const active = config.pr === p.id && same(config.runs, presetRuns(p.id, state.defaults).map(fit));
      b.classList.toggle("active", active);
      b.setAttribute("aria-pressed", String(active));
    }
    $("preset-note").textContent = config.pr ? t(`preset.${config.pr}.note`) : "";
  }

  function applyPreset(id) {
    if (busy()) {
      toast(t("train.busy_edit"), "info");
      return;
    }
    replaceRuns({ runs: presetRuns(id, store.get().defaults).map(fit), sel: 0, pr: id });
  }

  function renderRuns(state) {
    const { config } = state;
    const list = $("run-list");
    const names = runLabels(state);
    const axis = varyingKeys(config.runs).filter((k) => k !== "label");
    const say = (k, v, f) => describe(state, k, v, f);
    // Rebuild only when something shown changed: a rebuild between mousedown and click (a field's
    // `change` fires on blur) would swallow the click on a run.
    const details = config.runs.map((r) =>
      axis.length ? axis.map((k) => say(k, r[k], r)).join(" · ") : `${say("opt", r.opt, r)} ${say("hp", r.hp, r)} · [${r.h.join(",")}] ${say("act", r.act, r)}`,
    );
    const maxRuns = state.cat.catalogue.limits.max_comparison_runs;
    const key = JSON.stringify([names, details, config.sel, maxRuns]);
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    list.replaceChildren();
    config.runs.forEach((r, i) => {
      const li = document.createElement("li");
      li.className = "run-item";
      li.classList.toggle("selected", i === config.sel);
      li.setAttribute("data-testid", `run-item-${i}`);
      li.style.setProperty("--run-colour", colourAt(i));
      const pick = document.createElement("button");
      pick.type = "button";
      pick.className = "run-pick";
      pick.setAttribute("aria-pressed", String(i === config.sel));
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.setAttribute("aria-hidden", "true");
      const name = document.createElement("span");
      name.className = "run-name";
      name.textContent = names[i];
      const detail = document.createElement("span");
      detail.className = "run-detail";
      detail.textContent = details[i];
      pick.append(swatch, name, detail);
      pick.addEventListener("click", () => replaceRuns({ sel: i }));
      li.append(pick);
      if (config.runs.length > 1) {
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "icon-button remove";
        remove.textContent = "×";
        remove.title = t("common.remove");
        remove.setAttribute("aria-label", `${t("common.remove")}: ${names[i]}`);
        remove.setAttribute("data-testid", `run-remove-${i}`);
        remove.addEventListener("click", () => removeRun(i));
        li.append(remove);
      }
      list.append(li);
    });
    $("run-duplicate").disabled = config.runs.length >= maxRuns;
    const editing = $("editing-note");
    editing.textContent = config.runs.length > 1 ? t("train.editing_run", { label: names[config.sel] }) : "";
    editing.hidden = config.runs.length < 2;
    editing.style.setProperty("--run-colour", colourAt(config.sel));
    $("start-button").textContent = config.runs.length > 1 ? t("train.start_n", { n: config.runs.length }) : t("train.start");
  }

  function removeRun(i) {
    const { runs, sel } = config();
    if (runs.length < 2) return;
    const next = runs.filter((_, k) => k !== i);
    replaceRuns({ runs: next, sel: Math.min(sel > i ? sel - 1 : sel, next.length - 1) });
  }

  function duplicateRun() {
    const { runs, sel } = config();
    if (runs.length >= store.get().cat.catalogue.limits.max_comparison_runs) return;
    const copy = clone(runs[sel]);
    copy.label = "";
    replaceRuns({ runs: [...runs, copy], sel: runs.length });
  }

  /**
   * An edit of the selected run. A setting that all runs shared before the edit changes for all
   * runs (e.g. epochs); a setting on which the runs differ changes only the selected run.
   */
  function onFormChange(next, previous) {
    const keysChanged = Object.keys(diffForm(next, previous));
    if (!keysChanged.length) return; // e.g. the `change` event after `input` already applied it
    const { runs, sel } = config();
    const out = runs.map(clone);
    const varying = new Set(varyingKeys(runs));
    for (const key of keysChanged) {
      const shared = key !== "label" && runs.length > 1 && runs.every((r) => same(r[key], previous[key]));
      // changing the optimizer resets its hyperparameters: keep hp in step with opt for all runs
      const keys = key === "opt" ? ["opt", "hp"] : [key];
      // a preset's label ("@run.plain" = "no regularisation") describes the setting that tells the
      // runs apart: editing that setting (or one of this run alone) makes the label wrong, so it goes
      const stale = key !== "label" && (!shared || varying.has(key) || runs.length === 1);
      out.forEach((r, i) => {
        if (i !== sel && !shared) return;
        for (const k of keys) r[k] = clone(next[k]);
        if (stale && r.label.startsWith("@")) r.label = "";
      });
    }
    setConfig({ runs: out });
  }

  function render(state, prev) {
    if (changed(state, prev, (s) => s.config.runs, (s) => s.config.pr, (s) => s.lang)) renderPresets(state);
    if (changed(state, prev, (s) => s.config.runs, (s) => s.config.sel, (s) => s.lang)) renderRuns(state);
  }

  $("run-duplicate").addEventListener("click", duplicateRun);

  return { render, onFormChange };
}
