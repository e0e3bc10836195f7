/**
 * presets.js — the Training Lab's one-click experiments (docs/experiments.md; issue 8 point 6):
 * the textbook's (§6.1–6.4: initialisation, optimizers, batch norm over 16 weight scales,
 * overfitting and its cures) and the course's (batch GD vs SGD vs mini-batch, learning-rate
 * schedules, early stopping, L1 vs L2, AdamW vs Adam + L2, zero initialisation). Each preset's
 * "what to look for" note is in dictionary.js (`preset.<id>.note`), checked against a run.
 *
 *   import { PRESETS, PRESET_BY_ID, presetRuns } from "./presets.js";
 *   const runs = presetRuns("batchnorm", defaults);   // complete forms (model.js)
 */

import { makeForm } from "./model.js";

const FIVE_100 = [100, 100, 100, 100, 100];
/** The textbook's 16 initial weight scales, log-spaced from 1 to 1e-4 (figure 6-19): 10^(−4k/15). */
export const BN_SCALES = Array.from({ length: 16 }, (_, k) => Number((10 ** ((-4 * k) / 15)).toPrecision(3)));
const IRIS_SMALL = { ds: "iris", h: [16], act: "relu", init: "he_normal", opt: "sgd", hp: { lr: 0.1 } };

/**
 * Presets: `form` is applied over the defaults for every run; `runs` (optional) lists per-run
 * overrides with a label. Every preset resets the whole configuration.
 */
export const PRESETS = [
  {
    id: "default",
    form: { ds: "digits", h: [100, 100, 100], act: "relu", init: "he_normal", opt: "adam", hp: { lr: 0.001 }, bs: 100, ep: 20 },
  },
  {
    id: "spiral",
    form: {
      ds: "spiral", h: [50, 50], act: "relu", init: "he_normal", opt: "adam", hp: { lr: 0.01 },
      bs: 32, ep: 40, ti: 5,
    },
  },
  {
    id: "init_compare",
    form: { ds: "digits", h: FIVE_100, act: "relu", opt: "sgd", hp: { lr: 0.01 }, bs: 100, ep: 30 },
    runs: [
      { label: "@run.std001", init: "normal", std: 0.01 },
      { label: "@run.xavier", init: "lecun_normal" },
      { label: "@run.he", init: "he_normal" },
    ],
  },
  {
    id: "optimizer_compare",
    form: { ds: "digits", h: FIVE_100, act: "relu", init: "he_normal", bs: 100, ep: 20 },
    runs: [
      { label: "@opt.sgd", opt: "sgd", hp: { lr: 0.01 } },
      { label: "@opt.momentum", opt: "momentum", hp: { lr: 0.01, momentum: 0.9 } },
      { label: "@opt.adagrad", opt: "adagrad", hp: { lr: 0.01 } },
      { label: "@opt.adam", opt: "adam", hp: { lr: 0.001 } },
    ],
  },
  {
    id: "batchnorm",
    form: { ds: "digits", tl: 1000, h: FIVE_100, act: "relu", init: "normal", opt: "sgd", hp: { lr: 0.01 }, bs: 100, ep: 20 },
    runs: BN_SCALES.flatMap((s) => [
      { label: `BN, σ=${s}`, std: s, bn: true },
      { label: `σ=${s}`, std: s, bn: false },
    ]),
  },
  {
    id: "batch_sizes",
    form: { ...IRIS_SMALL, ep: 30, ti: 10 },
    runs: [
      { label: "@run.batch_gd", bs: 0 },
      { label: "@run.sgd_1", bs: 1 },
      { label: "@run.mini_16", bs: 16 },
    ],
  },
  {
    id: "schedules",
    form: { ...IRIS_SMALL, bs: 10, ep: 100, ti: 100 },
    runs: [
      { label: "@run.constant" },
      { label: "@run.piecewise", sch: { type: "piecewise", boundaries: [700, 900], values: [0.1, 0.05, 0.01] } },
      // the course's Keras schedules (docs/experiments.md, "Learning-rate schedules")
      { label: "@run.exponential", sch: { type: "exponential", decay_rate: 0.5, decay_steps: 500, staircase: false } },
      { label: "@run.polynomial", sch: { type: "polynomial", decay_steps: 900, end_lr: 0.01, power: 0.5 } },
    ],
  },
  {
    id: "early_stopping",
    form: { ds: "digits", tl: 300, h: [100, 100], act: "relu", init: "he_normal", opt: "adam", hp: { lr: 0.001 }, bs: 32, ep: 100, ti: 100 },
    runs: [
      { label: "@run.no_es" },
      { label: "@run.es", es: { monitor: "val_loss", min_delta: 0, patience: 5, mode: "auto", restore_best_weights: true } },
    ],
  },
  {
    id: "l1_l2",
    form: { ds: "digits", h: [100], act: "relu", init: "he_normal", opt: "sgd", hp: { lr: 0.1 }, bs: 100, ep: 30, ti: 20 },
    runs: [
      { label: "@run.l1", l1: 0.01 },
      { label: "@run.l2", l2: 0.01 },
    ],
  },
  {
    id: "adamw",
    form: { ds: "digits", h: [100, 100], act: "relu", init: "he_normal", bs: 100, ep: 30, ti: 20 },
    runs: [
      { label: "@run.adamw", opt: "adamw", hp: { lr: 0.001, weight_decay: 0.1 } },
      { label: "@run.adam_l2", opt: "adam", hp: { lr: 0.001 }, l2: 0.1 },
    ],
  },
  {
    id: "zero_init",
    // sigmoid: with zero weights a = 0.5, so the output layer learns and the hidden weights move —
    // but every unit by the same amount (with ReLU or tanh, zero weights would not move at all)
    form: { ds: "digits", h: [50, 50], act: "sigmoid", opt: "sgd", hp: { lr: 1 }, bs: 100, ep: 10, ti: 10 },
    runs: [
      { label: "@run.zeros", init: "zeros" },
      { label: "@run.xavier", init: "lecun_normal" },
    ],
  },
  {
    id: "overfitting",
    form: {
      ds: "digits", tl: 300, h: [100, 100, 100, 100, 100, 100], act: "relu", init: "he_normal",
      opt: "sgd", hp: { lr: 0.01 }, bs: 100, ep: 200, ti: 15,
    },
    runs: [
      { label: "@run.plain" },
      { label: "@run.weight_decay", l2: 0.1 },
      { label: "@run.dropout", dp: 0.2 },
    ],
  },
  {
    // issue 11 (docs/landscape.md §7, docs/experiments.md): full-batch GD on 300 digits, sharpness every 5 steps
    id: "edge_of_stability",
    form: {
      ds: "digits", tl: 300, h: [64, 64], act: "relu", init: "he_normal",
      opt: "sgd", hp: { lr: 0.2 }, bs: 0, ep: 120, ti: 50, shp: { every: 5, iterations: 20, samples: 300 },
    },
    runs: [{ label: "GD, η = 0.2 (2/η = 10)" }],
  },
];
export const PRESET_BY_ID = new Map(PRESETS.map((p) => [p.id, p]));

/**
 * The runs of a preset as complete forms.
 * @param {string} id preset id
 * @param {object} defaults the default form (formDefaults of the catalogue)
 */
export function presetRuns(id, defaults) {
  const preset = PRESET_BY_ID.get(id);
  if (!preset) return [makeForm({}, defaults)];
  const base = makeForm(preset.form, defaults);
  if (!preset.runs) return [base];
  return preset.runs.map((patch) => makeForm(patch, base));
}

