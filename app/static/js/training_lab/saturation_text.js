/**
 * saturation_text.js — how the page names and judges a layer's `saturated` share, from the
 * server's per-activation `saturation_rule` (docs/telemetry.md, "saturated and saturation_rule"):
 *   outside {low, high}  sigmoid: a < low or a > high        (bad when a large share)
 *   abs_above {threshold} tanh: |a| > threshold               (bad when a large share)
 *   zero                 ReLU: a = 0 exactly                  (≈ half is normal; bad near all)
 *   negative {slope}     Leaky ReLU: a < 0                    (≈ half is normal)
 *   below {threshold}    ELU: a < threshold                   (bad when a large share)
 * so sigmoid's thresholds are never applied to tanh or ReLU, and a healthy tanh + Xavier network
 * (a few per cent beyond |a| > 0.99) or a ReLU layer with half its outputs at 0 is not painted red.
 *
 *   const s = saturationLabel(rule, t);  // {column, short, tip, warn, alarm}
 *   s.column  → "< 0.01 or > 0.99" (table header), s.short → "saturated" / "= 0" (badge)
 *   value ≥ s.alarm → red, ≥ s.warn → amber
 */

/** Shares above which a layer's saturation is worth a warning / an alarm, per rule code. */
const LEVELS = {
  outside: { warn: 0.1, alarm: 0.25 },
  abs_above: { warn: 0.1, alarm: 0.25 },
  below: { warn: 0.1, alarm: 0.25 },
  zero: { warn: 0.8, alarm: 0.95 },
  negative: { warn: 0.8, alarm: 0.95 },
};

/** A layer's activation std below this has collapsed (the std 0.01 networks of §6.2). */
export const COLLAPSED_STD = 0.05;

/**
 * Texts and levels for one saturation rule.
 * @param {{code: string, params?: object}|null} rule
 * @param {Function} t
 */
export function saturationLabel(rule, t) {
  const code = rule?.code ?? "outside";
  const p = rule?.params ?? {};
  const known = code in LEVELS;
  const vars = { low: p.low ?? 0.01, high: p.high ?? 0.99, threshold: p.threshold ?? 0.99, slope: p.slope ?? 0.01 };
  return {
    column: known ? t(`sat.col.${code}`, vars) : t("sat.col.other"),
    short: known ? t(`sat.short.${code}`, vars) : t("sat.short.other"),
    tip: known ? t(`sat.tip.${code}`, vars) : "",
    ...(LEVELS[code] ?? LEVELS.outside),
  };
}
