/**
 * axis_names.js — what the two coordinates of the current surface are called.
 *
 * The built-in surfaces and f(x, y) are functions of x and y. A training run's landscape plane
 * (landscape_surface.js, docs/landscape.md) is f(a, b) = L(θ* + a·d₁ + b·d₂): its coordinates are
 * a and b, the distances along the plane's directions d₁ and d₂, whose kind the server states in
 * the surface's `plane` field ("pca": the top two PCA directions of the weight path, "random": two
 * filter-normalised random directions).
 *
 *   const [xName, yName] = axisNames(spec);      // ["x", "y"] or ["a (PC1)", "b (PC2)"]
 */

import { t } from "../shared/i18n.js";

/**
 * @param {object|null} spec the surface's GET /api/surfaces item
 * @returns {[string, string]} the names of the first and second coordinate, in the page's language
 */
export function axisNames(spec) {
  const plane = spec?.plane;
  if (plane === "pca" || plane === "random") return [t(`axis.a_${plane}`), t(`axis.b_${plane}`)];
  return ["x", "y"];
}
