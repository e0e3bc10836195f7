/**
 * fit_math.js — long formulas fit their box (issue 7: Beale, six-hump camel, local_minima, custom
 * gradients, the L-BFGS equation). A line that would need to shrink below WRAP_BELOW of its size
 * is first broken at its top-level + / − (after the "=") and before a \quad or \text{…} remark,
 * one term per line; each line still wider than its box is then scaled down (at most to
 * MIN_SCALE); what is still wider scrolls (`.equation` has overflow-x: auto).
 *
 *   import { renderFitted, fitMath } from "./fit_math.js";
 *   renderFitted(box, tex);   // renderMath + wrap + fit (box must be in the document: it measures)
 *   fitMath(root);            // re-fit every formula under root (after a resize or a reveal)
 *   box.dataset.tex = JSON.stringify(lines); refitDeferred(root);   // formulas built detached
 */

import { renderMath } from "../shared/math.js";

const MIN_SCALE = 0.55;
const WRAP_BELOW = 0.8;

/** The scale a `math` element needs to fit its .equation box (1 when it fits). */
function neededScale(math) {
  const box = math.closest(".equation");
  const avail = box ? box.clientWidth - 4 : 0;
  const need = math.scrollWidth || math.getBoundingClientRect().width;
  return avail > 0 && need > avail ? avail / need : 1;
}

/** Scale every `math` element under `root` to fit its box. */
export function fitMath(root) {
  if (!root) return;
  for (const math of root.querySelectorAll(".equation math")) {
    math.style.fontSize = "";
    const scale = neededScale(math);
    if (scale < 1) {
      const base = parseFloat(getComputedStyle(math).fontSize);
      math.style.fontSize = `${Math.max(MIN_SCALE, scale) * base}px`;
    }
  }
}

/**
 * Break one TeX line at its top-level + and − after the first "=" (not inside (), [], {} or
 * \left…\right) and before a \text{…} remark: ["f = a", "+ b", "+ c"]. A line without such
 * points comes back whole.
 */
export function splitTex(tex) {
  const eq = tex.indexOf("=");
  const parts = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < tex.length; i += 1) {
    const ch = tex[i];
    if ("({[".includes(ch) || tex.startsWith("\\left", i)) depth += 1;
    else if (")}]".includes(ch) || tex.startsWith("\\right", i)) depth -= 1;
    const remark = depth === 0 && (tex.startsWith("\\text{", i) || tex.startsWith("\\quad", i)) && i > 0;
    // a sign that starts a new term: top level, after "=" and after the first term (not "= −H g")
    const sign = depth === 0 && eq >= 0 && i > eq + 1 && tex.slice(eq + 1, i).trim() !== "" && "+-−".includes(ch) && tex[i - 1] === " ";
    if ((remark || sign) && tex.slice(from, i).trim()) {
      parts.push(tex.slice(from, i).trim());
      from = i;
    }
    if (tex.startsWith("\\left", i)) i += 4;
    else if (tex.startsWith("\\right", i)) i += 5;
  }
  parts.push(tex.slice(from).trim());
  return parts.filter(Boolean);
}

/** Render `tex` (a line or lines) into `box`, wrapped and scaled to fit (see the header). */
export function renderFitted(box, tex) {
  const lines = (Array.isArray(tex) ? tex : [tex]).filter((l) => l !== null && l !== undefined && l !== "");
  renderMath(box, lines);
  if (!box.isConnected || !box.clientWidth) return box;
  const maths = [...box.querySelectorAll("math")];
  if (maths.length === lines.length && maths.some((m) => neededScale(m) < WRAP_BELOW)) {
    const wrapped = lines.flatMap((line, i) => (neededScale(maths[i]) < WRAP_BELOW ? splitTex(line) : [line]));
    if (wrapped.length > lines.length) renderMath(box, wrapped);
  }
  fitMath(box);
  return box;
}

/**
 * Formulas built detached (run cards) keep their TeX in `data-tex` (JSON); once in the document,
 * `refitDeferred(root)` renders each of them fitted to its box (again only when the box's width changed).
 */
export function refitDeferred(root) {
  for (const box of root.querySelectorAll(".equation[data-tex]")) {
    const width = String(box.clientWidth);
    if (!box.clientWidth || box.dataset.fittedAt === width) continue;
    box.dataset.fittedAt = width;
    renderFitted(box, JSON.parse(box.dataset.tex));
  }
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    refitDeferred(document);
    fitMath(document);
  }, 100);
});
