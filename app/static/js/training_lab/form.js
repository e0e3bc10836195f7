/**
 * form.js — the Training Lab's configuration form ⇄ one run's flat form object
 * (model.js). The static controls are in training.html; this module fills the selects
 * from the catalogues (GET /api/datasets, /api/optimizers (mlp only), /api/schedules), renders the
 * optimizer's hyperparameters and the schedule's parameters, and reads everything back.
 *
 *   const form = new TrainingForm(document.getElementById("training-form"), { onChange });
 *   form.render(state, prev);        // show the selected run (config.runs[config.sel]); options
 *                                    // from state.cat, bounds from the catalogue, 422 marks
 *   onChange(newForm, previous)      // called after every edit with the complete new form
 *
 * Invalid typed values are marked (red outline, message in the title) and left out: the form
 * object keeps the last valid value until the field is fixed.
 */

import { t, tr, hasKey } from "../shared/i18n.js";
import { parseNumber } from "../shared/format.js";
import { renderMath } from "../shared/math.js";
import { changed } from "../shared/store.js";
import { defaultEarlyStopping, FORM_FIELDS, clone, formBounds, formatHidden, parseHidden } from "./model.js";
import { readEdit } from "./form_edits.js";
import { choiceLabel } from "./run_list.js";

const $ = (root, sel) => root.querySelector(sel);


function option(value, text, { disabled = false } = {}) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  o.disabled = disabled;
  return o;
}

/** Set an input's value without losing the caret when it already shows the same number. */
function setValue(input, value) {
  const text = value === null || value === undefined ? "" : String(value);
  if (document.activeElement === input && parseNumber(input.value) === Number(text)) return;
  if (input.value !== text) input.value = text;
}

/** The Training Lab's configuration form, showing the selected run (see the header). */
export class TrainingForm {
  /**
   * @param {HTMLFormElement} root
   * @param {{onChange: (form: object, previous: object) => void}} hooks
   */
  constructor(root, { onChange }) {
    this.root = root;
    this.cat = null;
    this.onChange = onChange;
    this.form = null;
    this.invalid = new Set();
    root.addEventListener("input", (ev) => this.handle(ev));
    root.addEventListener("change", (ev) => this.handle(ev));
    root.addEventListener("submit", (ev) => ev.preventDefault());
    for (const b of root.querySelectorAll("[data-bs]")) {
      b.addEventListener("click", () => {
        $(root, "#batch-size").value = b.dataset.bs;
        this.handle({ target: $(root, "#batch-size"), type: "change" });
      });
    }
  }

  /** Bring the form in line with the state: options, bounds, the selected run, server errors. */
  render(state, prev) {
    if (changed(state, prev, (s) => s.cat, (s) => s.lang)) {
      this.cat = state.cat;
      this.fillSelects();
      this.applyBounds();
    }
    const form = state.config.runs[state.config.sel];
    if (changed(state, prev, (s) => s.formEpoch, (s) => s.config.sel)) this.load(form);
    else if (changed(state, prev, (s) => s.config.runs) && form !== this.shown) this.set(form);
    this.shown = form;
    if (changed(state, prev, (s) => s.errorKeys)) this.markErrors(state.errorKeys);
  }

  /** min / max / step of every control from the server's bounds (GET /api/training/catalogue). */
  applyBounds() {
    for (const field of FORM_FIELDS) {
      const b = formBounds(this.cat.catalogue, field.key);
      for (const input of this.root.querySelectorAll(`input[type=number][data-key="${field.key}"]`)) {
        const lo = b.minimum ?? b.exclusive_minimum;
        const hi = b.maximum ?? b.exclusive_maximum;
        if (lo !== undefined) input.min = String(lo);
        if (hi !== undefined) input.max = String(hi);
      }
    }
  }

  /** (Re)build the option lists (also after a language change). */
  fillSelects() {
    const r = this.root;
    const ds = $(r, "#ds-select");
    ds.replaceChildren(
      ...this.cat.datasets.map((d) =>
        option(d.id, d.available === false ? `${tr(d.name)} — ${t("train.unavailable")}` : tr(d.name), { disabled: d.available === false }),
      ),
    );
    const { activations, initializers } = this.cat.catalogue;
    $(r, "#act-select").replaceChildren(...activations.map((a) => option(a.id, choiceLabel(this.cat, "act", a.id))));
    $(r, "#init-select").replaceChildren(...initializers.map((i) => option(i.id, choiceLabel(this.cat, "init", i.id))));
    $(r, "#opt-select").replaceChildren(
      ...this.cat.optimizers.map((o) => option(o.id, hasKey(`opt.${o.id}`) ? t(`opt.${o.id}`) : o.name)),
    );
    $(r, "#sched-select").replaceChildren(...this.cat.schedules.map((s) => option(s.id, tr(s.name))));
    if (this.form) this.set(this.form);
  }

  /** Show another run's settings (forgets half-typed invalid values). */
  load(form) {
    this.invalid.clear();
    this.markErrors([]);
    this.set(form);
  }

  /** Show a form object in the controls. */
  set(form) {
    this.form = clone(form);
    const r = this.root;
    const f = this.form;
    const ds = this.cat.datasetById.get(f.ds);
    const params = new Set(ds?.params ?? []);
    const defaults = ds?.defaults ?? {};
    $(r, "#ds-select").value = f.ds;
    $(r, "#ds-description").textContent = ds ? `${tr(ds.description)} ${this.datasetFacts(ds)}` : "";
    $(r, "#ds-n-field").hidden = !params.has("n_samples");
    $(r, "#ds-noise-field").hidden = !params.has("noise");
    $(r, "#ds-classes-field").hidden = !params.has("classes");
    $(r, "#ds-n").placeholder = defaults.n_samples ?? ds?.n_samples ?? "";
    $(r, "#ds-n").max = ds && !ds.generated ? ds.n_samples : "";
    $(r, "#ds-noise").placeholder = defaults.noise ?? "";
    $(r, "#ds-classes").placeholder = defaults.classes ?? "";
    setValue($(r, "#ds-n"), f.n);
    setValue($(r, "#ds-noise"), f.noise);
    setValue($(r, "#ds-classes"), f.cls);
    setValue($(r, "#ds-seed"), f.dseed);
    setValue($(r, "#ds-train-limit"), f.tl);
    setValue($(r, "#ds-val"), f.vf);
    setValue($(r, "#ds-test"), f.tf);

    const hidden = $(r, "#hidden-input");
    if (!(document.activeElement === hidden && JSON.stringify(parseHidden(hidden.value)) === JSON.stringify(f.h))) {
      hidden.value = formatHidden(f.h);
    }
    $(r, "#hidden-hint").textContent = f.h.length
      ? t(f.h.length === 1 ? "train.hidden_hint_one" : "train.hidden_hint", { n: f.h.length, units: f.h.reduce((a, b) => a + b, 0) })
      : t("train.hidden_none");
    $(r, "#act-select").value = f.act;
    $(r, "#init-select").value = f.init;
    $(r, "#init-std-field").hidden = f.init !== "normal";
    setValue($(r, "#init-std"), f.std);
    $(r, "#bn-check").checked = f.bn;
    $(r, "#bn-momentum-field").hidden = !f.bn;
    setValue($(r, "#bn-momentum"), f.bnm);
    setValue($(r, "#dropout-input"), f.dp);
    setValue($(r, "#l2-input"), f.l2);
    setValue($(r, "#l1-input"), f.l1);

    $(r, "#opt-select").value = f.opt;
    this.renderOptimizer();
    $(r, "#sched-select").value = f.sch ? f.sch.type : "constant";
    this.renderSchedule();
    $(r, "#clip-mode").value = f.clip ? f.clip.mode : "";
    $(r, "#clip-max-field").hidden = !f.clip;
    setValue($(r, "#clip-max"), f.clip ? f.clip.max : this.cat.catalogue.optional_defaults["optimizer.clip"].max);

    setValue($(r, "#batch-size"), f.bs);
    for (const b of r.querySelectorAll("[data-bs]")) b.setAttribute("aria-pressed", String(Number(b.dataset.bs) === f.bs));
    $(r, "#batch-hint").textContent = this.batchHint(f, ds);
    setValue($(r, "#epochs-input"), f.ep);
    setValue($(r, "#seed-input"), f.seed);
    // a preset's label is an i18n key ("@run.plain"): show it translated as the placeholder
    const label = $(r, "#run-label");
    const keyed = f.label.startsWith("@");
    label.placeholder = keyed ? t(f.label.slice(1)) : t("train.label_auto");
    const shown = keyed ? "" : f.label;
    if (label.value !== shown && document.activeElement !== label) label.value = shown;

    const es = { ...defaultEarlyStopping(this.cat.catalogue), ...(f.es || this.lastEs || {}) };
    $(r, "#es-check").checked = Boolean(f.es);
    $(r, "#es-fields").hidden = !f.es;
    $(r, "#es-monitor").value = es.monitor;
    setValue($(r, "#es-patience"), es.patience);
    setValue($(r, "#es-min-delta"), es.min_delta);
    $(r, "#es-mode").value = es.mode;
    $(r, "#es-restore").checked = es.restore_best_weights;

    const shp = { ...this.cat.catalogue.optional_defaults.sharpness, ...(f.shp || {}) };
    $(r, "#shp-check").checked = Boolean(f.shp);
    $(r, "#shp-fields").hidden = !f.shp;
    setValue($(r, "#shp-every"), shp.every);
    setValue($(r, "#shp-iterations"), shp.iterations);

    setValue($(r, "#tel-interval"), f.ti);
    setValue($(r, "#tel-bins"), f.bins);
    setValue($(r, "#tel-sample"), f.ss);
    this.markInvalid();
  }

  datasetFacts(ds) {
    return t("train.ds_facts", { n: ds.n_samples, features: ds.n_features, classes: ds.n_classes });
  }

  batchHint(f, ds) {
    const n = f.n ?? ds?.defaults?.n_samples ?? ds?.n_samples;
    if (f.bs === 0) return t("train.bs_hint_gd");
    if (f.bs === 1) return t("train.bs_hint_sgd");
    if (n) {
      const trainN = f.tl ?? Math.floor(n * (1 - f.tf) * (1 - f.vf));
      if (f.bs >= trainN) return t("train.bs_hint_gd");
      return t("train.bs_hint_mini", { steps: Math.ceil(trainN / f.bs) });
    }
    return "";
  }

  /** Hyperparameter inputs of the selected optimizer (+ its update rule). */
  renderOptimizer() {
    const r = this.root;
    const spec = this.cat.optimizerById.get(this.form.opt);
    const box = $(r, "#hp-fields");
    const key = `${this.form.opt}`;
    if (box.dataset.opt !== key) {
      box.dataset.opt = key;
      box.replaceChildren();
      for (const hp of spec?.hyperparams ?? []) {
        const label = document.createElement("label");
        label.className = "field";
        const span = document.createElement("span");
        span.className = "field-label";
        span.dataset.hpLabel = hp.name;
        const input = document.createElement("input");
        input.type = "number";
        input.step = "any";
        input.id = `hp-${hp.name}`;
        input.dataset.hp = hp.name;
        input.dataset.key = "hp";
        input.setAttribute("data-testid", `hp-${hp.name}`);
        if (hp.min !== null && hp.min !== undefined) input.min = hp.min;
        if (hp.max !== null && hp.max !== undefined) input.max = hp.max;
        label.append(span, input);
        box.append(label);
      }
      const eq = $(r, "#opt-equation");
      if (spec?.equation) renderMath(eq, spec.equation);
      else eq.replaceChildren();
    }
    for (const hp of spec?.hyperparams ?? []) {
      const span = box.querySelector(`[data-hp-label="${hp.name}"]`);
      if (span) span.textContent = hasKey(`hp.${hp.name}`) ? t(`hp.${hp.name}`) : tr(hp.description) || hp.name;
      const input = box.querySelector(`[data-hp="${hp.name}"]`);
      if (!input) continue;
      input.placeholder = String(hp.default);
      input.title = tr(hp.description);
      setValue(input, this.form.hp?.[hp.name] ?? hp.default);
    }
  }

  /** Parameter inputs of the selected schedule (+ its formula). */
  renderSchedule() {
    const r = this.root;
    const id = this.form.sch ? this.form.sch.type : "constant";
    const spec = this.cat.scheduleById.get(id);
    const box = $(r, "#sched-fields");
    if (box.dataset.sched !== id) {
      box.dataset.sched = id;
      box.replaceChildren();
      for (const p of spec?.params ?? []) {
        const label = document.createElement(p.kind === "bool" ? "label" : "label");
        label.className = p.kind === "bool" ? "field-check" : "field";
        const span = document.createElement("span");
        span.className = p.kind === "bool" ? "" : "field-label";
        span.dataset.spLabel = p.name;
        const input = document.createElement("input");
        input.id = `sched-${p.name}`;
        input.dataset.sp = p.name;
        input.dataset.kind = p.kind;
        input.dataset.key = "sch";
        input.setAttribute("data-testid", `sched-${p.name}`);
        if (p.kind === "bool") input.type = "checkbox";
        else if (p.kind === "list") input.type = "text";
        else {
          input.type = "number";
          input.step = p.kind === "integer" ? "1" : "any";
          if (p.min !== null && p.min !== undefined) input.min = p.min;
          if (p.max !== null && p.max !== undefined) input.max = p.max;
        }
        if (p.kind === "bool") label.append(input, span);
        else label.append(span, input);
        box.append(label);
      }
      const eq = $(r, "#sched-equation");
      if (spec && id !== "constant") renderMath(eq, spec.equation);
      else eq.replaceChildren();
    }
    for (const p of spec?.params ?? []) {
      const span = box.querySelector(`[data-sp-label="${p.name}"]`);
      if (span) span.textContent = hasKey(`sched.param.${p.name}`) ? t(`sched.param.${p.name}`) : p.name;
      const input = box.querySelector(`[data-sp="${p.name}"]`);
      const value = this.form.sch?.[p.name] ?? p.default;
      if (p.kind === "bool") input.checked = Boolean(value);
      else if (p.kind === "list") {
        const text = (value || []).join(", ");
        if (document.activeElement !== input) input.value = text;
      } else setValue(input, value);
    }
  }

  /** React to an edit: update the form object (form_edits.js), then tell the page. */
  handle(ev) {
    const el = ev.target;
    if (!el || !el.dataset || !el.dataset.key) return;
    // Text fields update on every keystroke; selects/checkboxes on change. Avoid double work.
    if (ev.type === "input" && (el.tagName === "SELECT" || el.type === "checkbox")) return;
    const ctx = { cat: this.cat, root: this.root, lastEs: this.lastEs };
    const { ok, form: f } = readEdit(el, this.form, ctx);
    this.lastEs = ctx.lastEs;
    el.classList.remove("server-error"); // the person is fixing what the server named
    if (ok) this.invalid.delete(el.id);
    else this.invalid.add(el.id);
    this.markInvalid();
    if (!ok) return;
    const previous = this.form;
    this.form = f;
    // Re-render dependent parts (visibility, hyperparameters) without touching what is typed.
    this.set(f);
    this.onChange(clone(f), previous);
  }

  markInvalid() {
    for (const input of this.root.querySelectorAll("input, select")) {
      const bad = this.invalid.has(input.id);
      input.classList.toggle("invalid", bad);
      input.setAttribute("aria-invalid", String(bad));
    }
  }

  /** True when some typed value is not accepted. */
  hasInvalid() {
    return this.invalid.size > 0;
  }

  /** Highlight the controls of form keys named by a server error. */
  markErrors(keys) {
    for (const el of this.root.querySelectorAll(".server-error")) el.classList.remove("server-error");
    for (const key of keys) {
      for (const el of this.root.querySelectorAll(`[data-key="${key}"]`)) el.classList.add("server-error");
    }
  }
}
