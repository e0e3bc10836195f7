/**
 * math.js — a tiny, offline TeX-subset → MathML renderer (Chromium, Firefox and Safari render
 * MathML natively; no fonts or scripts to download).
 *
 * How a page uses it:
 *
 *   import { renderMath, mathElement, exprToTex } from "/static/js/shared/math.js";
 *
 *   renderMath(div, "\\theta \\leftarrow \\theta - \\eta \\frac{g}{\\sqrt{h} + \\epsilon}");
 *   renderMath(div, ["v \\leftarrow \\mu v - \\eta g", "\\theta \\leftarrow \\theta + v"]); // lines
 *   const node = mathElement("x^2 + y^2", { display: false });   // an inline <math> element
 *   renderMath(div, exprToTex("x^2 + 3*sin(y)"));                // a custom f(x, y) as typed
 *
 * Supported: groups {…}; superscripts ^ and subscripts _; \frac, \dfrac, \tfrac; \sqrt and
 * \sqrt[n]; accents \hat \bar \tilde \vec \dot; Greek letters (\alpha … \omega, \Gamma … \Omega,
 * \epsilon, \varepsilon, \varphi); \leftarrow \gets \rightarrow \to \odot \otimes \oslash \cdot
 * \times \pm \le \ge \ne \approx \in \sum \prod \nabla \partial \infty \ldots; \left( … \right);
 * \sin \cos \exp \log \ln \min \max \tanh …, \operatorname{…}; \text{…} \mathrm{…} \mathbf{…};
 * spaces \, \; \quad \qquad; digits, letters, + − = < > ( ) [ ] | , / * ' !.
 * Bare function words (sin, cos, exp, log, sqrt, abs, …) are set upright, as in custom formulas.
 * Anything unknown is shown as plain text rather than failing. Output is built with DOM calls
 * (no innerHTML), so no input can inject markup.
 */

const NS = "http://www.w3.org/1998/Math/MathML";

const GREEK = {
  alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", zeta: "ζ",
  eta: "η", theta: "θ", vartheta: "ϑ", iota: "ι", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν",
  xi: "ξ", pi: "π", rho: "ρ", sigma: "σ", tau: "τ", upsilon: "υ", phi: "ϕ", varphi: "φ",
  chi: "χ", psi: "ψ", omega: "ω",
  Gamma: "Γ", Delta: "Δ", Theta: "Θ", Lambda: "Λ", Xi: "Ξ", Pi: "Π", Sigma: "Σ",
  Upsilon: "Υ", Phi: "Φ", Psi: "Ψ", Omega: "Ω",
};

// Identifier-like symbols (no operator spacing).
const SYMBOL_MI = { nabla: "∇", partial: "∂", infty: "∞", ell: "ℓ", top: "⊤", emptyset: "∅" };

// Operators and relations.
const SYMBOL_MO = {
  leftarrow: "←", gets: "←", rightarrow: "→", to: "→", Leftarrow: "⇐", Rightarrow: "⇒",
  leftrightarrow: "↔", mapsto: "↦", odot: "⊙", otimes: "⊗", oslash: "⊘", oplus: "⊕",
  cdot: "⋅", times: "×", div: "÷", pm: "±", mp: "∓", le: "≤", leq: "≤", ge: "≥", geq: "≥",
  ne: "≠", neq: "≠", approx: "≈", sim: "∼", equiv: "≡", propto: "∝", in: "∈", notin: "∉",
  sum: "∑", prod: "∏", int: "∫", lVert: "‖", rVert: "‖", Vert: "‖", lvert: "|", rvert: "|",
  vert: "|", mid: "|", langle: "⟨", rangle: "⟩", ldots: "…", cdots: "⋯", dots: "…", circ: "∘",
  ast: "∗", star: "⋆", forall: "∀", exists: "∃", colon: ":", setminus: "∖", lfloor: "⌊",
  rfloor: "⌋", lceil: "⌈", rceil: "⌉", "|": "‖", "{": "{", "}": "}",
};

const FUNCTIONS = new Set([
  "sin", "cos", "tan", "exp", "log", "ln", "min", "max", "arg", "argmin", "argmax", "tanh",
  "sinh", "cosh", "det", "sgn", "sign", "abs", "sqrt", "atan", "arctan", "arcsin", "arccos",
  "asin", "acos", "clip",
]);

// Spacing-modifier forms of the accents sit right above the base (ASCII "^" floats too high).
const ACCENTS = { hat: "ˆ", bar: "¯", tilde: "˜", vec: "→", dot: "˙", widehat: "ˆ", overline: "¯" };

const SPACES = { ",": "0.1667em", ":": "0.2222em", ";": "0.2778em", " ": "0.25em", quad: "1em", qquad: "2em" };

const CHAR_MO = { "-": "−", "*": "⋅", "'": "′" };

function node(tag, children = [], attrs = {}) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const child of children) el.append(child);
  return el;
}

function leaf(tag, text, attrs = {}) {
  const el = node(tag, [], attrs);
  el.textContent = text;
  return el;
}

/** Split TeX source into tokens: {type: "cmd"|"num"|"word"|"char", value}. */
function tokenize(src) {
  const tokens = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === "\\") {
      const m = /^[A-Za-z]+/.exec(src.slice(i + 1));
      if (m) {
        tokens.push({ type: "cmd", value: m[0], at: i });
        i += 1 + m[0].length;
      } else {
        tokens.push({ type: "cmd", value: src[i + 1] ?? "", at: i });
        i += 2;
      }
    } else if (/\s/.test(c)) {
      i += 1;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(?:\d+\.?\d*|\.\d+)/.exec(src.slice(i));
      const value = m ? m[0] : c;
      tokens.push({ type: "num", value, at: i });
      i += value.length;
    } else if (/[A-Za-z]/.test(c)) {
      const m = /^[A-Za-z]+/.exec(src.slice(i))[0];
      if (FUNCTIONS.has(m)) {
        tokens.push({ type: "word", value: m, at: i });
      } else {
        [...m].forEach((ch, k) => tokens.push({ type: "char", value: ch, at: i + k }));
      }
      i += m.length;
    } else {
      tokens.push({ type: "char", value: c, at: i });
      i += 1;
    }
  }
  return tokens;
}

class Parser {
  constructor(src) {
    this.src = src;
    this.tokens = tokenize(src);
    this.pos = 0;
  }

  peek() {
    return this.tokens[this.pos];
  }

  next() {
    return this.tokens[this.pos++];
  }

  /** Parse tokens until a closing "}" (consumed) or the end; returns a list of nodes. */
  parseSequence(stopAtBrace = false) {
    const items = [];
    while (this.pos < this.tokens.length) {
      const tok = this.peek();
      if (stopAtBrace && tok.type === "char" && tok.value === "}") {
        this.pos += 1;
        return items;
      }
      if (tok.type === "cmd" && tok.value === "right") {
        // \right<delim> closes a \left group.
        return items;
      }
      const atom = this.parseScripted();
      if (atom) items.push(atom);
    }
    return items;
  }

  /** One atom with optional ^ and _ scripts. */
  parseScripted() {
    let base = this.parseAtom();
    if (base === null) return null;
    let sub = null;
    let sup = null;
    for (;;) {
      const tok = this.peek();
      if (!tok || tok.type !== "char" || (tok.value !== "^" && tok.value !== "_")) break;
      this.pos += 1;
      const script = this.parseAtom() ?? node("mrow");
      if (tok.value === "^") sup = script;
      else sub = script;
    }
    if (sub && sup) base = node("msubsup", [base, sub, sup]);
    else if (sub) base = node("msub", [base, sub]);
    else if (sup) base = node("msup", [base, sup]);
    return base;
  }

  /** A required argument: a {group} or a single atom. */
  parseArgument() {
    const tok = this.peek();
    if (!tok) return node("mrow");
    return this.parseAtom() ?? node("mrow");
  }

  /** Raw source text of a {…} argument (for \text, \operatorname), spaces kept. */
  parseRawGroup() {
    const tok = this.peek();
    if (!tok) return "";
    if (tok.value !== "{") return String(this.next().value);
    let depth = 0;
    let end = this.src.length;
    for (let j = tok.at; j < this.src.length; j += 1) {
      const c = this.src[j];
      if (c === "\\") {
        j += 1;
        continue;
      }
      if (c === "{") depth += 1;
      if (c === "}") {
        depth -= 1;
        if (depth === 0) {
          end = j;
          break;
        }
      }
    }
    const text = this.src.slice(tok.at + 1, end).replace(/\\([{}_^&%$#])/g, "$1");
    while (this.pos < this.tokens.length && this.tokens[this.pos].at <= end) this.pos += 1;
    return text;
  }

  parseDelimiter() {
    const tok = this.next();
    if (!tok) return null;
    if (tok.type === "char" && tok.value === ".") return null;
    const text = tok.type === "cmd" ? SYMBOL_MO[tok.value] ?? tok.value : tok.value;
    return leaf("mo", text, { stretchy: "true" });
  }

  parseAtom() {
    const tok = this.next();
    if (!tok) return null;
    if (tok.type === "num") return leaf("mn", tok.value);
    if (tok.type === "word") {
      return node("mrow", [leaf("mi", tok.value, { mathvariant: "normal" }), leaf("mo", "\u2061")]);
    }
    if (tok.type === "char") {
      const c = tok.value;
      if (c === "{") return node("mrow", this.parseSequence(true));
      if (c === "}") return null; // stray closing brace
      if (c === "&") return null;
      if (/[A-Za-z]/.test(c)) return leaf("mi", c);
      if (c === "^" || c === "_") return node("mrow"); // script with no base
      if (c === "(" || c === ")" || c === "[" || c === "]") return leaf("mo", c, { stretchy: "false" });
      if (c === "|") return leaf("mo", "|", { stretchy: "false" });
      return leaf("mo", CHAR_MO[c] ?? c);
    }
    return this.parseCommand(tok.value);
  }

  parseCommand(name) {
    if (name in GREEK) return leaf("mi", GREEK[name]);
    if (name in SYMBOL_MI) return leaf("mi", SYMBOL_MI[name]);
    if (name in SYMBOL_MO) return leaf("mo", SYMBOL_MO[name]);
    if (name in SPACES) return node("mspace", [], { width: SPACES[name] });
    if (name === "!" || name === "displaystyle" || name === "limits") return null;
    if (name === "\\") return node("mspace", [], { width: "1em" });
    if (name === "frac" || name === "dfrac" || name === "tfrac") {
      const num = this.parseArgument();
      const den = this.parseArgument();
      return node("mfrac", [num, den]);
    }
    if (name === "sqrt") {
      const tok = this.peek();
      if (tok && tok.type === "char" && tok.value === "[") {
        this.pos += 1;
        const index = [];
        while (this.pos < this.tokens.length && !(this.peek().type === "char" && this.peek().value === "]")) {
          const atom = this.parseScripted();
          if (atom) index.push(atom);
        }
        this.pos += 1;
        return node("mroot", [this.parseArgument(), node("mrow", index)]);
      }
      return node("msqrt", [this.parseArgument()]);
    }
    if (name in ACCENTS) {
      return node("mover", [this.parseArgument(), leaf("mo", ACCENTS[name], { stretchy: "false" })], { accent: "true" });
    }
    if (name === "text" || name === "textrm" || name === "mbox") {
      // MathML collapses edge spaces of <mtext>; keep them as no-break spaces (" for ")
      return leaf("mtext", this.parseRawGroup().replace(/^ +| +$/g, (m) => "\u00a0".repeat(m.length)));
    }
    if (name === "mathrm" || name === "operatorname") {
      const text = this.parseRawGroup();
      const mi = leaf("mi", text, { mathvariant: "normal" });
      return name === "operatorname" ? node("mrow", [mi, leaf("mo", "\u2061")]) : mi;
    }
    if (name === "mathbf" || name === "boldsymbol" || name === "bm") {
      const arg = this.parseArgument();
      arg.setAttribute("style", "font-weight: bold");
      for (const mi of arg.querySelectorAll ? arg.querySelectorAll("mi") : []) mi.setAttribute("style", "font-weight: bold");
      return arg;
    }
    if (name === "left") {
      const open = this.parseDelimiter();
      const inner = this.parseSequence(false);
      let close = null;
      const tok = this.peek();
      if (tok && tok.type === "cmd" && tok.value === "right") {
        this.pos += 1;
        close = this.parseDelimiter();
      }
      return node("mrow", [open, ...inner, close].filter(Boolean));
    }
    if (name === "right") return this.parseDelimiter();
    if (FUNCTIONS.has(name)) {
      return node("mrow", [leaf("mi", name, { mathvariant: "normal" }), leaf("mo", "\u2061")]);
    }
    // Unknown command: show its name instead of failing.
    return leaf("mtext", name);
  }
}

/**
 * Build a <math> element from TeX source.
 * @param {string} tex
 * @param {{display?: boolean}} [options] display=true for a block equation
 * @returns {MathMLElement}
 */
export function mathElement(tex, { display = true } = {}) {
  const parser = new Parser(String(tex ?? ""));
  let children;
  try {
    children = parser.parseSequence(false);
    // A stray \right at top level: skip it and keep going.
    while (parser.pos < parser.tokens.length) {
      parser.pos += 1;
      children.push(...parser.parseSequence(false));
    }
  } catch (err) {
    console.warn("math.js could not parse", tex, err);
    children = [leaf("mtext", String(tex))];
  }
  const math = node("math", [node("mrow", children)], display ? { display: "block" } : {});
  math.setAttribute("data-tex", String(tex ?? ""));
  return math;
}

/**
 * Replace the contents of `container` with the rendered equation(s).
 * @param {Element} container
 * @param {string|string[]} tex one line, or several lines shown one under another
 * @param {{display?: boolean}} [options]
 */
export function renderMath(container, tex, { display = true } = {}) {
  const lines = Array.isArray(tex) ? tex : [tex];
  container.replaceChildren(...lines.filter((l) => l !== null && l !== undefined && l !== "").map((l) => mathElement(l, { display })));
  return container;
}

/**
 * Turn a typed expression (x^2 + 3*sin(y), x**2) into TeX the renderer shows nicely:
 * `**` → `^`, `*` → `\cdot`, exponents in parentheses become groups.
 * @param {string} expr
 */
export function exprToTex(expr) {
  let tex = String(expr ?? "").replace(/\*\*/g, "^");
  // x^(a+b) → x^{a+b} (balanced parentheses after ^)
  let out = "";
  for (let i = 0; i < tex.length; i += 1) {
    if (tex[i] === "^" && tex[i + 1] === "(") {
      let depth = 0;
      let j = i + 1;
      for (; j < tex.length; j += 1) {
        if (tex[j] === "(") depth += 1;
        if (tex[j] === ")") {
          depth -= 1;
          if (depth === 0) break;
        }
      }
      out += `^{${tex.slice(i + 2, j)}}`;
      i = j;
    } else {
      out += tex[i];
    }
  }
  return out.replace(/\*/g, " \\cdot ");
}
