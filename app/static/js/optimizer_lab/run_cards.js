/**
 * run_cards.js — one card per optimizer run: colour, label, optimizer, its update rule as an
 * equation, its hyperparameters (defaults and bounds from GET /api/optimizers), and under
 * "more": learning-rate schedule (GET /api/schedules), gradient clipping and gradient noise.
 *
 *   import { RunCards } from "./run_cards.js";
 *   const cards = new RunCards(container, {
 *     onRunsChange: (runs, {cosmetic}) => …,  // the new list of runs (never mutated in place);
 *                                             // cosmetic = only a colour or label changed
 *   });
 *   cards.render(state, prev);          // page state: cat, config.runs, limits, lang, results
 *   cards.hasInvalid()                  // true while a field holds an out-of-bounds value
 *
 * Rendering is keyed per card on what its DOM depends on (run key, optimizer, schedule type,
 * clip mode, noise on/off, language, index): a value typed into a card does not rebuild it.
 *
 * Test hooks: each card is [data-testid=run-card][data-index=i]; inside: run-optimizer,
 * param-<name>, run-label, run-colour, run-remove, run-duplicate, run-schedule, sched-<name>,
 * run-clip-mode, run-clip-max, run-noise-std, run-noise-seed, run-status, run-equation.
 */

import { t, tr, hasKey } from "../shared/i18n.js";
import { renderMath } from "../shared/math.js";
import { refitDeferred } from "./fit_math.js";
import { parseNumber, fmt } from "../shared/format.js";
import { switchOptimizer, duplicateRun, makeRun, defaultSchedule, runLabel, labelTags, optimizerName } from "./model.js";
import { changed } from "../shared/store.js";

export { optimizerName };

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

/** Where a suggested η came from (POST /api/lr-suggestion `source`), in the page's language. */
export function lrSourceText(source) {
  const p = source.params ?? {};
  const key = `lrsrc.${source.code}`;
  return hasKey(key) ? t(key, { lambda: fmt(p.lambda_max, 3), steps: p.steps ?? "?", distance: fmt(p.distance, 3), lr: fmt(source.lr, 3) }) : "";
}

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

function isInteger(spec) {
  return spec.integer === true || spec.kind === "integer" || spec.type === "int" || spec.type === "integer" || (INTEGER_PARAMS.has(spec.name) && Number.isInteger(spec.default));
}

/** A number input's spec from a bound of GET /api/lab/catalogue: an integer's exclusive end made inclusive, a float's kept as gt/lt. */
function boundedSpec(name, b = {}) {
  const int = Boolean(b.integer);
  const min = b.minimum ?? (int && b.exclusive_minimum !== undefined ? b.exclusive_minimum + 1 : undefined);
  const max = b.maximum ?? (int && b.exclusive_maximum !== undefined ? b.exclusive_maximum - 1 : undefined);
  return { name, integer: int, min, max, gt: int ? undefined : b.exclusive_minimum, lt: int ? undefined : b.exclusive_maximum };
}

function paramLabel(spec, prefix) {
  if (spec.description) return tr(spec.description);
  const key = `${prefix}.${spec.name}`;
  return hasKey(key) ? t(key) : spec.name;
}

/**
 * An input showing `target[spec.name]`, validated against spec.min/max; `onChange(value)` gets each
 * valid new value (the target is not modified).
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
      onChange(input.checked);
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
      onChange(select.value);
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
        onChange(parts);
      }
    });
    wrap.append(caption, input);
    return wrap;
  }
  const integer = isInteger(spec);
  const input = el("input", {
    type: "number",
    step: integer ? 1 : "any",
    min: Number.isFinite(spec.min) ? spec.min : (spec.gt ?? null),
    max: Number.isFinite(spec.max) ? spec.max : (spec.lt ?? null),
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
    const ok = Number.isFinite(v) && !(Number.isFinite(spec.min) && v < spec.min) && !(Number.isFinite(spec.max) && v > spec.max) && !(v <= spec.gt) && !(v >= spec.lt);
    input.setAttribute("aria-invalid", String(!ok));
    input.title = ok ? "" : t("common.invalid_number", { min: fmt(spec.min ?? -Infinity), max: fmt(spec.max ?? Infinity) });
    if (ok) {
      onChange(v);
    }
  });
  wrap.append(caption, input);
  return wrap;
}

const clone = (value) => JSON.parse(JSON.stringify(value));

/** The optimizer cards of the Optimizer Lab (see the header): they show `config.runs` and report edits. */
export class RunCards {
  /**
   * @param {HTMLElement} container
   * @param {{onRunsChange: (runs: object[], info: {cosmetic: boolean, index: number}) => void,
   *          onOptimizerPicked?: (key: string) => void, scheduleSpec?: (type: string) => object}} hooks
   */
  constructor(container, { onRunsChange, onOptimizerPicked = () => {}, scheduleSpec = null }) {
    this.container = container;
    this.onRunsChange = onRunsChange;
    this.onOptimizerPicked = onOptimizerPicked; // (run key) → the page asks for a suggested η
    this.scheduleSpec = scheduleSpec; // (type) → schedule spec with defaults scaled to the steps
    this.cat = null;
    this.runs = [];
    this.maxRuns = Infinity;
    this.openMore = new Set(); // run keys whose "more" section the person opened
  }

  /** Bring the cards in line with the state (rebuilds only cards whose structure changed). */
  render(state, prev) {
    if (changed(state, prev, (s) => s.config?.runs, (s) => s.lang, (s) => s.cat, (s) => s.limits)) {
      this.cat = state.cat;
      this.runs = state.config.runs;
      this.maxRuns = state.limits.max_runs;
      const cards = [...this.container.children];
      this.runs.forEach((run, i) => {
        const key = this.cardKey(run, i, state.lang);
        const old = cards[i];
        if (old && old.dataset.renderKey === key) {
          this.refreshCard(old, run);
          return;
        }
        const card = this.card(run, i);
        card.dataset.renderKey = key;
        if (old) old.replaceWith(card);
        else this.container.append(card);
      });
      for (const extra of cards.slice(this.runs.length)) extra.remove();
      refitDeferred(this.container);
    }
    if (changed(state, prev, (s) => s.results, (s) => s.lang, (s) => s.config?.runs)) this.setStatus(state.results?.runs);
  }

  cardKey(run, index, lang) {
    return JSON.stringify([lang, index, run.key, run.optimizer, run.lrSource ?? null, run.schedule?.type ?? null, Boolean(run.schedule?.staircase), run.clip?.mode ?? null, Boolean(run.noise), this.runs.length >= this.maxRuns]);
  }

  /** What a kept card shows that a typed value can change: colour, label placeholder. */
  refreshCard(card, run) {
    card.style.setProperty("--run-colour", run.colour);
    const spec = this.cat.optimizerById.get(run.optimizer);
    card.querySelector("[data-testid=run-label]").placeholder = runLabel({ ...run, label: "" }, optimizerName(spec), labelTags(t));
  }

  /** A new list of runs with run `index` edited by `fn` (on a copy). */
  edit(index, fn, { cosmetic = false } = {}) {
    const runs = [...this.runs];
    const next = clone(runs[index]);
    fn(next);
    runs[index] = next;
    this.onRunsChange(runs, { cosmetic, index });
  }

  hasInvalid() {
    return Boolean(this.container.querySelector('[aria-invalid="true"]'));
  }

  /** Show "diverged at step k" (or nothing) on each card after a run. */
  setStatus(results) {
    for (const card of this.container.querySelectorAll("[data-testid=run-card]")) {
      const badge = card.querySelector("[data-testid=run-status]");
      const res = results?.[Number(card.dataset.index)];
      const status = res?.outcome?.status ?? (res?.diverged ? "diverged" : null);
      if (status === "diverged" || status === "escaped") {
        badge.hidden = false;
        badge.className = `badge badge-${status}`;
        badge.dataset.status = status;
        badge.textContent = t(`outcome.${status}_at`, { k: res.outcome?.step ?? res.diverged_at ?? "?" });
      } else {
        badge.hidden = true;
        badge.textContent = "";
      }
    }
  }

  card(run, index) {
    const cat = this.cat;
    const spec = cat.optimizerById.get(run.optimizer);
    // a value of this run changed: `set(r)` edits a copy of the run
    const edit = (set) => this.edit(index, set);

    const card = el("article", { class: "run-card", "data-testid": "run-card", "data-index": index, "data-key": run.key });
    card.style.setProperty("--run-colour", run.colour);

    // --- header: colour, label, status, duplicate, remove
    const colour = el("input", { type: "color", class: "run-colour", "data-testid": "run-colour", "aria-label": t("common.colour") });
    colour.value = run.colour;
    colour.addEventListener("input", () => {
      card.style.setProperty("--run-colour", colour.value);
      this.edit(index, (r) => (r.colour = colour.value), { cosmetic: true });
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
    label.addEventListener("input", () => this.edit(index, (r) => (r.label = label.value), { cosmetic: true }));
    const status = el("span", { class: "badge badge-diverged", "data-testid": "run-status", hidden: true });
    const dup = el("button", { type: "button", class: "icon-button", "data-testid": "run-duplicate", title: t("common.duplicate"), "aria-label": t("common.duplicate") }, [icon("copy")]);
    dup.disabled = this.runs.length >= this.maxRuns;
    dup.addEventListener("click", () => {
      if (this.runs.length >= this.maxRuns) return;
      const runs = [...this.runs];
      runs.splice(index + 1, 0, duplicateRun(this.runs[index], this.runs));
      this.onRunsChange(runs, { cosmetic: false, index });
    });
    const remove = el("button", { type: "button", class: "icon-button", "data-testid": "run-remove", title: t("common.remove"), "aria-label": t("common.remove") }, [icon("close")]);
    remove.addEventListener("click", () => this.onRunsChange(this.runs.filter((_, i) => i !== index), { cosmetic: false, index }));
    card.append(el("header", { class: "run-card-head" }, [colour, label, status, dup, remove]));

    // --- optimizer select + update rule
    const select = el("select", { "data-testid": "run-optimizer", "aria-label": t("card.optimizer") });
    for (const o of cat.optimizers) select.append(el("option", { value: o.id, text: optimizerName(o) }));
    select.value = run.optimizer;
    select.addEventListener("change", () => {
      edit((r) => Object.assign(r, switchOptimizer(cat, r, select.value), { lrSource: null }));
      this.onOptimizerPicked(run.key);
    });
    card.append(el("label", { class: "field field-wide" }, [el("span", { class: "field-label", text: t("card.optimizer") }), select]));
    const eq = el("div", { class: "equation", "data-testid": "run-equation" });
    renderMath(eq, spec?.equation ?? []);
    eq.dataset.tex = JSON.stringify(spec?.equation ?? []); // wrapped and fitted once in the document
    card.append(eq);
    if (run.lrSource) card.append(el("p", { class: "hint lr-note", "data-testid": "lr-source", text: lrSourceText(run.lrSource) }));

    // --- hyperparameters
    const grid = el("div", { class: "hp-grid" });
    for (const hp of spec?.hyperparams ?? []) grid.append(paramInput(hp, run.params, `param-${hp.name}`, (v) => edit((r) => Object.assign(r, { params: { ...r.params, [hp.name]: v }, lrSource: hp.name === "lr" ? null : r.lrSource })), "hp"));
    card.append(grid);

    // --- schedule, clipping, noise
    const more = el("details", { class: "more", "data-testid": "run-more" });
    if (run.schedule || run.clip || run.noise || this.openMore.has(run.key)) more.open = true;
    more.addEventListener("toggle", () => {
      if (more.open) refitDeferred(more); // measured only once visible
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
    const scheduleSpec = (type) => this.scheduleSpec?.(type) ?? cat.scheduleById.get(type);
    schedSelect.addEventListener("change", () => edit((r) => (r.schedule = defaultSchedule(scheduleSpec(schedSelect.value)))));
    more.append(el("label", { class: "field field-wide" }, [el("span", { class: "field-label", text: t("card.schedule") }), schedSelect]));
    if (run.schedule) {
      const sspec = cat.scheduleById.get(run.schedule.type);
      // the equation that matches the options: staircase floors the exponent (⌊t/T⌋)
      const equation = run.schedule.staircase && sspec?.equation_variants?.staircase ? sspec.equation_variants.staircase : sspec?.equation;
      if (equation) {
        const box = renderMath(el("div", { class: "equation small", "data-testid": "schedule-equation" }), equation);
        box.dataset.tex = JSON.stringify(Array.isArray(equation) ? equation : [equation]);
        more.append(box);
      }
      const sgrid = el("div", { class: "hp-grid" });
      for (const p of sspec?.params ?? []) sgrid.append(paramInput(p, run.schedule, `sched-${p.name}`, (v) => edit((r) => (r.schedule[p.name] = v)), "sched.param"));
      more.append(sgrid);
    }

    const clipMode = el("select", { "data-testid": "run-clip-mode" });
    for (const mode of ["none", "value", "norm"]) clipMode.append(el("option", { value: mode, text: t(`clip.${mode}`) }));
    clipMode.value = run.clip?.mode ?? "none";
    const { bounds, defaults } = cat.lab; // GET /api/lab/catalogue
    clipMode.addEventListener("change", () => edit((r) => (r.clip = clipMode.value === "none" ? null : { mode: clipMode.value, max: r.clip?.max ?? defaults.clip.max })));
    const clipRow = el("div", { class: "hp-grid" }, [el("label", { class: "field" }, [el("span", { class: "field-label", text: t("card.clip") }), clipMode])]);
    if (run.clip) {
      clipRow.append(paramInput({ ...boundedSpec("max", bounds["runs.clip.max"]), default: defaults.clip.max, description: { en: t("card.clip_max"), ko: t("card.clip_max") } }, run.clip, "run-clip-max", (v) => edit((r) => (r.clip.max = v)), "card"));
    }
    more.append(clipRow);

    const noiseOn = el("input", { type: "checkbox", "data-testid": "run-noise-on" });
    noiseOn.checked = Boolean(run.noise);
    noiseOn.addEventListener("change", () => edit((r) => (r.noise = noiseOn.checked ? { ...defaults.noise } : null)));
    const noiseRow = el("div", { class: "hp-grid" }, [el("label", { class: "field field-check" }, [noiseOn, el("span", { class: "field-label", text: t("card.noise") })])]);
    if (run.noise) {
      noiseRow.append(
        paramInput({ ...boundedSpec("std", bounds["runs.noise.std"]), default: defaults.noise.std, description: { en: t("card.noise_std"), ko: t("card.noise_std") } }, run.noise, "run-noise-std", (v) => edit((r) => (r.noise.std = v)), "card"),
        paramInput({ ...boundedSpec("seed", bounds["runs.noise.seed"]), default: defaults.noise.seed, description: { en: t("common.seed"), ko: t("common.seed") } }, run.noise, "run-noise-seed", (v) => edit((r) => (r.noise.seed = v)), "card"),
      );
    }
    more.append(noiseRow);
    card.append(more);
    return card;
  }

  /** Append a new run (Adam if present, else the first optimizer) with defaults. */
  addRun() {
    if (this.runs.length >= this.maxRuns) return;
    const id = this.cat.optimizerById.has("adam") ? "adam" : this.cat.optimizers[0].id;
    const run = makeRun(this.cat, id, {}, this.runs);
    this.onRunsChange([...this.runs, run], { cosmetic: false, index: this.runs.length });
    this.onOptimizerPicked(run.key);
  }
}
