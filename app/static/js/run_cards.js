/**
 * run_cards.js — one card per optimizer run: colour, label, optimizer, its update rule as an
 * equation, its hyperparameters (defaults and bounds from GET /api/optimizers), and under
 * "more": learning-rate schedule (GET /api/schedules), gradient clipping and gradient noise.
 *
 *   import { RunCards } from "./run_cards.js";
 *   const cards = new RunCards(container, cat, {
 *     onChange: ({cosmetic, index}) => …,  // a value changed (config.runs already updated);
 *                                          // cosmetic = only colour/label of run `index`
 *     onStructure: () => …,            // runs added/removed/duplicated (re-render others)
 *   });
 *   cards.render(config.runs);          // (re)build every card
 *   cards.setStatus(results);           // diverged badges after a run
 *   cards.hasInvalid()                  // true while a field holds an out-of-bounds value
 *
 * Test hooks: each card is [data-testid=run-card][data-index=i]; inside: run-optimizer,
 * param-<name>, run-label, run-colour, run-remove, run-duplicate, run-schedule, sched-<name>,
 * run-clip-mode, run-clip-max, run-noise-std, run-noise-seed, run-status, run-equation.
 */

import { t, tr, hasKey } from "./i18n.js";
import { renderMath } from "./math.js";
import { parseNumber, fmt } from "./format.js";
import { switchOptimizer, duplicateRun, makeRun, defaultSchedule, runLabel, labelTags, MAX_RUNS } from "./lab_model.js";

const INTEGER_PARAMS = new Set(["memory", "decay_steps", "warmup_steps", "seed", "history"]);

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...children);
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";
const ICONS = {
  copy: "M8 8h11v11H8zM5 5h11v2H7v9H5z",
  close: "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z",
};

/** A small inline SVG icon (no icon font needed: works offline on any machine). */
function icon(name) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", ICONS[name]);
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}

/** Display name of an optimizer: our translation when we have one, else the API's name. */
export function optimizerName(spec) {
  if (!spec) return "?";
  const key = `opt.${spec.id}`;
  return hasKey(key) ? t(key) : tr(spec.name) || spec.id;
}

function isInteger(spec) {
  return spec.integer === true || spec.kind === "integer" || spec.type === "int" || spec.type === "integer" || (INTEGER_PARAMS.has(spec.name) && Number.isInteger(spec.default));
}

function paramLabel(spec, prefix) {
  if (spec.description) return tr(spec.description);
  const key = `${prefix}.${spec.name}`;
  return hasKey(key) ? t(key) : spec.name;
}

/**
 * An input bound to `target[spec.name]` with validation against spec.min/max.
 * Booleans → checkbox, lists → comma-separated text, choices → select, numbers → number input.
 */
function paramInput(spec, target, testid, onChange, labelPrefix) {
  const value = target[spec.name];
  const wrap = el("label", { class: "field" });
  const caption = el("span", { class: "field-label", text: paramLabel(spec, labelPrefix) });
  if (typeof spec.default === "boolean" || spec.kind === "bool") {
    const input = el("input", { type: "checkbox", "data-testid": testid, "data-param": spec.name });
    input.checked = Boolean(value);
    input.addEventListener("change", () => {
      target[spec.name] = input.checked;
      onChange();
    });
    wrap.classList.add("field-check");
    wrap.append(input, caption);
    return wrap;
  }
  const choices = spec.choices ?? spec.options ?? spec.enum;
  if (Array.isArray(choices)) {
    const select = el("select", { "data-testid": testid, "data-param": spec.name });
    for (const c of choices) select.append(el("option", { value: String(c), text: String(c) }));
    select.value = String(value);
    select.addEventListener("change", () => {
      target[spec.name] = select.value;
      onChange();
    });
    wrap.append(caption, select);
    return wrap;
  }
  if (Array.isArray(spec.default) || spec.kind === "list") {
    const input = el("input", { type: "text", "data-testid": testid, "data-param": spec.name, inputmode: "decimal" });
    input.value = (value ?? []).join(", ");
    input.addEventListener("input", () => {
      const parts = input.value.split(/[,\s]+/).filter(Boolean).map(parseNumber);
      const ok = parts.length > 0 && parts.every(Number.isFinite);
      input.setAttribute("aria-invalid", String(!ok));
      input.title = ok ? "" : t("common.invalid_value");
      if (ok) {
        target[spec.name] = parts;
        onChange();
      }
    });
    wrap.append(caption, input);
    return wrap;
  }
  const integer = isInteger(spec);
  const input = el("input", {
    type: "number",
    step: integer ? 1 : "any",
    min: Number.isFinite(spec.min) ? spec.min : null,
    max: Number.isFinite(spec.max) ? spec.max : null,
    "data-testid": testid,
    "data-param": spec.name,
    inputmode: "decimal",
  });
  input.value = value === null || value === undefined ? "" : String(value);
  const bounds = `${Number.isFinite(spec.min) ? fmt(spec.min) : "−∞"} … ${Number.isFinite(spec.max) ? fmt(spec.max) : "∞"}`;
  wrap.title = `${paramLabel(spec, labelPrefix)} · ${t("card.default")} ${fmt(spec.default)} · ${bounds}`;
  input.addEventListener("input", () => {
    let v = parseNumber(input.value);
    if (integer && Number.isFinite(v)) v = Math.round(v);
    const ok = Number.isFinite(v) && !(Number.isFinite(spec.min) && v < spec.min) && !(Number.isFinite(spec.max) && v > spec.max);
    input.setAttribute("aria-invalid", String(!ok));
    input.title = ok ? "" : t("common.invalid_number", { min: fmt(spec.min ?? -Infinity), max: fmt(spec.max ?? Infinity) });
    if (ok) {
      target[spec.name] = v;
      onChange();
    }
  });
  wrap.append(caption, input);
  return wrap;
}

export class RunCards {
  constructor(container, cat, { onChange, onStructure }) {
    this.container = container;
    this.cat = cat;
    this.onChange = onChange;
    this.onStructure = onStructure;
    this.runs = [];
    this.openMore = new Set(); // run keys whose "more" section the person opened
  }

  render(runs) {
    this.runs = runs;
    this.container.replaceChildren(...runs.map((run, i) => this.card(run, i)));
  }

  hasInvalid() {
    return Boolean(this.container.querySelector('[aria-invalid="true"]'));
  }

  /** Show "diverged at step k" (or nothing) on each card after a run. */
  setStatus(results) {
    for (const card of this.container.querySelectorAll("[data-testid=run-card]")) {
      const badge = card.querySelector("[data-testid=run-status]");
      const res = results?.[Number(card.dataset.index)];
      if (res && res.diverged) {
        badge.hidden = false;
        badge.textContent = t("common.diverged_at", { k: res.diverged_at ?? "?" });
      } else {
        badge.hidden = true;
        badge.textContent = "";
      }
    }
  }

  replaceCard(index) {
    const old = this.container.querySelector(`[data-testid=run-card][data-index="${index}"]`);
    if (old) old.replaceWith(this.card(this.runs[index], index));
  }

  card(run, index) {
    const cat = this.cat;
    const spec = cat.optimizerById.get(run.optimizer);
    const changed = () => {
      label.placeholder = runLabel({ ...run, label: "" }, optimizerName(spec), labelTags(t));
      this.onChange();
    };

    const card = el("article", { class: "run-card", "data-testid": "run-card", "data-index": index, "data-key": run.key });
    card.style.setProperty("--run-colour", run.colour);

    // --- header: colour, label, status, duplicate, remove
    const colour = el("input", { type: "color", class: "run-colour", "data-testid": "run-colour", "aria-label": t("common.colour") });
    colour.value = run.colour;
    colour.addEventListener("input", () => {
      run.colour = colour.value;
      card.style.setProperty("--run-colour", run.colour);
      this.onChange({ cosmetic: true, index });
    });
    const label = el("input", {
      type: "text",
      class: "run-label",
      "data-testid": "run-label",
      maxlength: 80,
      "aria-label": t("common.label"),
      placeholder: runLabel({ ...run, label: "" }, optimizerName(spec), labelTags(t)),
    });
    label.value = run.label;
    label.addEventListener("input", () => {
      run.label = label.value;
      this.onChange({ cosmetic: true, index });
    });
    const status = el("span", { class: "badge badge-diverged", "data-testid": "run-status", hidden: true });
    const dup = el("button", { type: "button", class: "icon-button", "data-testid": "run-duplicate", title: t("common.duplicate"), "aria-label": t("common.duplicate") }, [icon("copy")]);
    dup.disabled = this.runs.length >= MAX_RUNS;
    dup.addEventListener("click", () => {
      if (this.runs.length >= MAX_RUNS) return;
      this.runs.splice(index + 1, 0, duplicateRun(run, this.runs));
      this.render(this.runs);
      this.onStructure();
    });
    const remove = el("button", { type: "button", class: "icon-button", "data-testid": "run-remove", title: t("common.remove"), "aria-label": t("common.remove") }, [icon("close")]);
    remove.addEventListener("click", () => {
      this.runs.splice(index, 1);
      this.render(this.runs);
      this.onStructure();
    });
    card.append(el("header", { class: "run-card-head" }, [colour, label, status, dup, remove]));

    // --- optimizer select + update rule
    const select = el("select", { "data-testid": "run-optimizer", "aria-label": t("card.optimizer") });
    for (const o of cat.optimizers) select.append(el("option", { value: o.id, text: optimizerName(o) }));
    select.value = run.optimizer;
    select.addEventListener("change", () => {
      Object.assign(run, switchOptimizer(cat, run, select.value));
      this.replaceCard(index);
      this.onChange();
    });
    card.append(el("label", { class: "field field-wide" }, [el("span", { class: "field-label", text: t("card.optimizer") }), select]));
    const eq = el("div", { class: "equation", "data-testid": "run-equation" });
    renderMath(eq, spec?.equation ?? []);
    card.append(eq);

    // --- hyperparameters
    const grid = el("div", { class: "hp-grid" });
    for (const hp of spec?.hyperparams ?? []) grid.append(paramInput(hp, run.params, `param-${hp.name}`, changed, "hp"));
    card.append(grid);

    // --- schedule, clipping, noise
    const more = el("details", { class: "more", "data-testid": "run-more" });
    if (run.schedule || run.clip || run.noise || this.openMore.has(run.key)) more.open = true;
    more.addEventListener("toggle", () => {
      if (more.open) this.openMore.add(run.key);
      else this.openMore.delete(run.key);
    });
    const summary = el("summary", { text: t("card.more") });
    const bits = [];
    if (run.schedule) bits.push(tr(cat.scheduleById.get(run.schedule.type)?.name));
    if (run.clip) bits.push(t(`clip.${run.clip.mode}`));
    if (run.noise) bits.push(`${t("card.noise")} σ=${run.noise.std}`);
    if (bits.length) summary.append(el("span", { class: "muted", text: ` · ${bits.join(" · ")}` }));
    more.append(summary);

    const schedSelect = el("select", { "data-testid": "run-schedule" });
    for (const s of cat.schedules) schedSelect.append(el("option", { value: s.id, text: tr(s.name) || s.id }));
    schedSelect.value = run.schedule?.type ?? "constant";
    schedSelect.addEventListener("change", () => {
      run.schedule = defaultSchedule(cat.scheduleById.get(schedSelect.value));
      this.replaceCard(index);
      this.onChange();
    });
    more.append(el("label", { class: "field field-wide" }, [el("span", { class: "field-label", text: t("card.schedule") }), schedSelect]));
    if (run.schedule) {
      const sspec = cat.scheduleById.get(run.schedule.type);
      if (sspec?.equation) more.append(renderMath(el("div", { class: "equation small" }), sspec.equation));
      const sgrid = el("div", { class: "hp-grid" });
      for (const p of sspec?.params ?? []) sgrid.append(paramInput(p, run.schedule, `sched-${p.name}`, changed, "sched.param"));
      more.append(sgrid);
    }

    const clipMode = el("select", { "data-testid": "run-clip-mode" });
    for (const mode of ["none", "value", "norm"]) clipMode.append(el("option", { value: mode, text: t(`clip.${mode}`) }));
    clipMode.value = run.clip?.mode ?? "none";
    clipMode.addEventListener("change", () => {
      run.clip = clipMode.value === "none" ? null : { mode: clipMode.value, max: run.clip?.max ?? 1 };
      this.replaceCard(index);
      this.onChange();
    });
    const clipRow = el("div", { class: "hp-grid" }, [el("label", { class: "field" }, [el("span", { class: "field-label", text: t("card.clip") }), clipMode])]);
    if (run.clip) {
      clipRow.append(paramInput({ name: "max", default: 1, min: 1e-12, max: 1e12, description: { en: t("card.clip_max"), ko: t("card.clip_max") } }, run.clip, "run-clip-max", changed, "card"));
    }
    more.append(clipRow);

    const noiseOn = el("input", { type: "checkbox", "data-testid": "run-noise-on" });
    noiseOn.checked = Boolean(run.noise);
    noiseOn.addEventListener("change", () => {
      run.noise = noiseOn.checked ? { std: 0.1, seed: 0 } : null;
      this.replaceCard(index);
      this.onChange();
    });
    const noiseRow = el("div", { class: "hp-grid" }, [el("label", { class: "field field-check" }, [noiseOn, el("span", { class: "field-label", text: t("card.noise") })])]);
    if (run.noise) {
      noiseRow.append(
        paramInput({ name: "std", default: 0.1, min: 0, max: 1e6, description: { en: t("card.noise_std"), ko: t("card.noise_std") } }, run.noise, "run-noise-std", changed, "card"),
        paramInput({ name: "seed", default: 0, min: 0, max: 2 ** 31 - 1, integer: true, description: { en: t("common.seed"), ko: t("common.seed") } }, run.noise, "run-noise-seed", changed, "card"),
      );
    }
    more.append(noiseRow);
    card.append(more);
    return card;
  }

  /** Append a new run (Adam if present, else the first optimizer) with defaults. */
  addRun() {
    if (this.runs.length >= MAX_RUNS) return;
    const id = this.cat.optimizerById.has("adam") ? "adam" : this.cat.optimizers[0].id;
    this.runs.push(makeRun(this.cat, id, {}, this.runs));
    this.render(this.runs);
    this.onStructure();
  }
}
