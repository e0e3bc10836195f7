/**
 * fit_math.js — long formulas fit their box (issue 7: Beale, six-hump camel, local_minima, custom
 * gradients, the L-BFGS equation). Each MathML line wider than its box is scaled down (font size ×
 * box/line, at most to MIN_SCALE); what is still wider scrolls (`.equation` has overflow-x: auto).
 *
 *   import { fitMath } from "./fit_math.js";
 *   fitMath(container);      // after the math is in the document (it measures)
 */

const MIN_SCALE = 0.55;

/** Scale every `math` element inside `root` (or `root` itself when it is an .equation) to fit. */
export function fitMath(root) {
  if (!root) return;
  for (const math of root.querySelectorAll(".equation math")) {
    math.style.fontSize = "";
    const box = math.closest(".equation");
    const avail = box.clientWidth - 4;
    const need = math.scrollWidth || math.getBoundingClientRect().width;
    if (avail > 0 && need > avail) {
      const base = parseFloat(getComputedStyle(math).fontSize);
      math.style.fontSize = `${Math.max(MIN_SCALE, avail / need) * base}px`;
    }
  }
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => fitMath(document), 100);
});
