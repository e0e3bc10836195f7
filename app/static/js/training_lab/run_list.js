/**
 * run_list.js — the Training Lab's runs to train (static/training.html, left column): the
 * preset buttons, the run list (select / copy / remove a run), how an edit of the form spreads
 * over the runs, and the runs' labels ("Adam · Spiral", or what differs between the runs).
 *
 *   import { createRunList } from "./run_list.js";
 *   const runs = createRunList(page);    // page: see training_lab/main.js
 *   runs.wire();                         // attach the "copy run" button (once)
 *   runs.renderPresets() / renderRuns()  // after the state or the language changed
 *   runs.onFormChange(next, previous)    // the form's onChange
 *   runs.labels() / describe(key, value, form) / fitToCatalogue(form)
 *
 * Edits `page.lab.state.runs`, `.sel` and `.pr` (the forms of model.js), loads the
 * selected run into `page.lab.form` and asks the page to `saveState()`.
 */

import { t, tr, hasKey } from "../shared/i18n.js";
import { toast } from "../shared/shell.js";
import { colourAt } from "../shared/plots.js";
import { fmt } from "../shared/format.js";
import { MAX_RUNS, PRESETS, PRESET_BY_ID, clone, diffForm, presetRuns, runLabel, same, varyingKeys } from "./model.js";

const $ = (id) => document.getElementById(id);

/**
 * The run list of one page.
 * @param {object} page the page context: {lab, saveState}
 */
export function createRunList(page) {
  const { lab } = page;

  function fmtNumber(v) {
    return fmt(v, 3);
  }

  /** "key=value" text for a form key (run labels and the run list). */
  function describe(key, value, f) {
    switch (key) {
      case "label":
        return String(value).startsWith("@") ? t(String(value).slice(1)) : String(value);
      case "ds": {
        const ds = lab.cat?.datasetById.get(value);
        return ds ? tr(ds.name) : String(value);
      }
      case "opt":
        return hasKey(`opt.${value}`) ? t(`opt.${value}`) : lab.cat?.optimizerById.get(value)?.name ?? String(value);
      case "hp": {
        const parts = Object.entries(value || {}).map(([k, v]) => `${k === "lr" ? "η" : k}=${fmtNumber(v)}`);
        return parts.length ? parts.join(" ") : t("train.defaults");
      }
      case "init":
        return value === "normal" ? `σ=${fmtNumber(f.std)}` : t(`initm.${value}`);
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
        return value ? tr(lab.cat?.scheduleById.get(value.type)?.name) || value.type : t("train.constant_lr");
      case "clip":
        return value ? `${t(`clip.${value.mode}`)} ${fmtNumber(value.max)}` : t("clip.none");
      case "es":
        return value ? t("train.early_stopping") : t("train.no_early_stopping");
      default:
        return `${key}=${typeof value === "object" ? JSON.stringify(value) : value}`;
    }
  }

  function labels() {
    return lab.state.runs.map((r) => runLabel(r, lab.state.runs, describe));
  }

  /** A form fitted to what the server offers (an old or hand-edited link may name other things). */
  function fitToCatalogue(f) {
    const out = clone(f);
    const ds = lab.cat.datasetById.get(out.ds);
    if (!ds || ds.available === false) {
      out.ds = "digits";
      out.n = out.noise = out.cls = null;
    }
    let spec = lab.cat.optimizerById.get(out.opt);
    if (!spec) {
      out.opt = lab.cat.optimizerById.has("adam") ? "adam" : lab.cat.optimizers[0]?.id;
      out.hp = {};
      spec = lab.cat.optimizerById.get(out.opt);
    }
    const names = new Set((spec?.hyperparams ?? []).map((h) => h.name));
    out.hp = Object.fromEntries(Object.entries(out.hp || {}).filter(([k]) => names.has(k)));
    if (out.sch && !lab.cat.scheduleById.has(out.sch.type)) out.sch = null;
    if (out.sch && out.sch.type === "constant") out.sch = null;
    return out;
  }

  // ---------------------------------------------------------------- presets and runs

  function renderPresets() {
    const box = $("preset-buttons");
    if (!box.children.length) {
      // built once and then updated in place (a rebuild could swallow a click)
      for (const p of PRESETS) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "preset";
        b.dataset.preset = p.id;
        b.setAttribute("data-testid", `preset-${p.id}`);
        b.addEventListener("click", () => applyPreset(p.id));
        box.append(b);
      }
    }
    for (const b of box.children) {
      const p = PRESET_BY_ID.get(b.dataset.preset);
      b.textContent = t(`preset.${p.id}`);
      b.title = t(`preset.${p.id}.note`);
      const active = lab.state.pr === p.id && same(lab.state.runs, presetRuns(p.id).map(fitToCatalogue));
      b.classList.toggle("active", active);
      b.setAttribute("aria-pressed", String(active));
    }
    $("preset-note").textContent = lab.state.pr ? t(`preset.${lab.state.pr}.note`) : "";
  }

  function applyPreset(id) {
    if (lab.session && lab.session.running) {
      toast(t("train.busy_edit"), "info");
      return;
    }
    lab.state.runs = presetRuns(id).map(fitToCatalogue);
    lab.state.sel = 0;
    lab.state.pr = id;
    lab.form.load(lab.state.runs[0]);
    renderRuns();
    renderPresets();
    page.saveState();
  }

  function renderRuns() {
    const list = $("run-list");
    const names = labels();
    const axis = varyingKeys(lab.state.runs).filter((k) => k !== "label");
    // Rebuild only when something shown changed: a rebuild between mousedown and click (a field's
    // `change` fires on blur) would swallow the click on a run.
    const details = lab.state.runs.map((r) =>
      axis.length
        ? axis.map((k) => describe(k, r[k], r)).join(" · ")
        : `${describe("opt", r.opt, r)} ${describe("hp", r.hp, r)} · [${r.h.join(",")}] ${t(`act.${r.act}`)}`,
    );
    const key = JSON.stringify([names, details, lab.state.sel]);
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    list.replaceChildren();
    lab.state.runs.forEach((r, i) => {
      const li = document.createElement("li");
      li.className = "run-item";
      li.classList.toggle("selected", i === lab.state.sel);
      li.setAttribute("data-testid", `run-item-${i}`);
      li.style.setProperty("--run-colour", colourAt(i));
      const pick = document.createElement("button");
      pick.type = "button";
      pick.className = "run-pick";
      pick.setAttribute("aria-pressed", String(i === lab.state.sel));
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
      pick.addEventListener("click", () => selectRun(i));
      li.append(pick);
      if (lab.state.runs.length > 1) {
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
    $("run-duplicate").disabled = lab.state.runs.length >= MAX_RUNS;
    const editing = $("editing-note");
    editing.textContent = lab.state.runs.length > 1 ? t("train.editing_run", { label: names[lab.state.sel] }) : "";
    editing.hidden = lab.state.runs.length < 2;
    editing.style.setProperty("--run-colour", colourAt(lab.state.sel));
    $("start-button").textContent = lab.state.runs.length > 1 ? t("train.start_n", { n: lab.state.runs.length }) : t("train.start");
  }

  function selectRun(i) {
    lab.state.sel = i;
    lab.form.load(lab.state.runs[i]);
    renderRuns();
    page.saveState();
  }

  function removeRun(i) {
    if (lab.state.runs.length < 2) return;
    lab.state.runs.splice(i, 1);
    if (lab.state.sel > i) lab.state.sel -= 1;
    lab.state.sel = Math.min(lab.state.sel, lab.state.runs.length - 1);
    lab.form.load(lab.state.runs[lab.state.sel]);
    renderRuns();
    renderPresets();
    page.saveState();
  }

  function duplicateRun() {
    if (lab.state.runs.length >= MAX_RUNS) return;
    const copy = clone(lab.state.runs[lab.state.sel]);
    copy.label = "";
    lab.state.runs.push(copy);
    lab.state.sel = lab.state.runs.length - 1;
    lab.form.load(copy);
    renderRuns();
    renderPresets();
    page.saveState();
  }

  /**
   * An edit of the selected run. A setting that all runs shared before the edit changes for all
   * runs (e.g. epochs); a setting on which the runs differ changes only the selected run.
   */
  function onFormChange(next, previous) {
    const changed = Object.keys(diffForm(next, previous));
    if (!changed.length) return; // e.g. the `change` event after `input` already applied it
    const n = lab.state.runs.length;
    for (const key of changed) {
      const shared = key !== "label" && n > 1 && lab.state.runs.every((r) => same(r[key], previous[key]));
      // changing the optimizer resets its hyperparameters: keep hp in step with opt for all runs
      const keys = key === "opt" ? ["opt", "hp"] : [key];
      lab.state.runs.forEach((r, i) => {
        if (i === lab.state.sel || shared) for (const k of keys) r[k] = clone(next[k]);
      });
    }
    renderRuns();
    renderPresets();
    page.saveState();
  }

  function wire() {
    $("run-duplicate").addEventListener("click", duplicateRun);
  }

  return { describe, labels, fitToCatalogue, renderPresets, renderRuns, onFormChange, wire };
}
