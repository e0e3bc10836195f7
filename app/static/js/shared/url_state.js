/**
 * url_state.js — page state ⇄ URL, so a reload or a shared link restores exactly the same view.
 *
 * The state is a plain JSON-like object (numbers, strings, booleans, null, arrays, objects).
 * It is written into the URL hash in a compact, readable "URL-JSON" notation (Rison-like):
 *
 *   {s: "book_bowl", x0: [-7, 2], r: [{o: "sgd", p: {lr: 0.95}}], f: true}
 *   → #(s:book_bowl,x0:!(-7,2),r:!((o:sgd,p:(lr:0.95))),f:!t)
 *
 *   objects (k:v,k:v)   arrays !(a,b)   true/false/null !t !f !n   numbers as-is
 *   strings bare when they look like identifiers, else quoted 'it''s' → 'it!'s' (! escapes ' and !)
 *
 * How a page uses it:
 *
 *   import { readUrlState, writeUrlState } from "/static/js/shared/url_state.js";
 *
 *   const saved = readUrlState();          // object, or null when the URL has no (valid) state
 *   ...
 *   writeUrlState(pageState);              // debounced history.replaceState (no reload, no scroll)
 *   writeUrlState(pageState, { now: true });  // write immediately (e.g. before a test reads it)
 *
 * Keep keys short in the page's own (de)serialiser (e.g. `s` for surface); validate everything
 * you read back against the catalogues (a link may be old or hand-edited).
 * `encodeState` / `decodeState` are exported for tests and for other carriers (e.g. a "copy link").
 */

const NUMBER_RE = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
// Strings that can go bare: must not start with a digit, '-' or '!', and contain only safe chars.
const BARE_RE = /^[A-Za-z_~][A-Za-z0-9_.~-]*$/;

/** Serialise a JSON-like value to the compact notation. */
export function encodeState(value) {
  if (value === null || value === undefined) return "!n";
  if (value === true) return "!t";
  if (value === false) return "!f";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return "!n";
    return String(value);
  }
  if (typeof value === "string") {
    if (BARE_RE.test(value)) return value;
    return `'${value.replace(/!/g, "!!").replace(/'/g, "!'")}'`;
  }
  if (Array.isArray(value)) return `!(${value.map(encodeState).join(",")})`;
  if (typeof value === "object") {
    const parts = [];
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      parts.push(`${encodeState(String(key))}:${encodeState(v)}`);
    }
    return `(${parts.join(",")})`;
  }
  throw new TypeError(`cannot encode ${typeof value}`);
}

/** Parse the compact notation back into a value. Throws SyntaxError on malformed input. */
export function decodeState(text) {
  let i = 0;
  const fail = (what) => {
    throw new SyntaxError(`state: ${what} at ${i}`);
  };
  const parseString = () => {
    // at opening quote
    i += 1;
    let out = "";
    while (i < text.length) {
      const c = text[i];
      if (c === "!") {
        const next = text[i + 1];
        if (next !== "!" && next !== "'") fail("bad escape");
        out += next;
        i += 2;
      } else if (c === "'") {
        i += 1;
        return out;
      } else {
        out += c;
        i += 1;
      }
    }
    return fail("unterminated string");
  };
  const parseValue = () => {
    const c = text[i];
    if (c === undefined) fail("unexpected end");
    if (c === "(") {
      i += 1;
      const obj = {};
      if (text[i] === ")") {
        i += 1;
        return obj;
      }
      for (;;) {
        const key = parseValue();
        if (typeof key !== "string" && typeof key !== "number") fail("bad key");
        if (text[i] !== ":") fail("expected ':'");
        i += 1;
        obj[String(key)] = parseValue();
        if (text[i] === ",") i += 1;
        else if (text[i] === ")") {
          i += 1;
          return obj;
        } else fail("expected ',' or ')'");
      }
    }
    if (c === "!") {
      const next = text[i + 1];
      i += 2;
      if (next === "t") return true;
      if (next === "f") return false;
      if (next === "n") return null;
      if (next === "(") {
        const arr = [];
        if (text[i] === ")") {
          i += 1;
          return arr;
        }
        for (;;) {
          arr.push(parseValue());
          if (text[i] === ",") i += 1;
          else if (text[i] === ")") {
            i += 1;
            return arr;
          } else fail("expected ',' or ')'");
        }
      }
      return fail("bad '!' token");
    }
    if (c === "'") return parseString();
    const num = NUMBER_RE.exec(text.slice(i));
    if (num && (c === "-" || c === "." || (c >= "0" && c <= "9"))) {
      i += num[0].length;
      return Number(num[0]);
    }
    const bare = /^[A-Za-z_~][A-Za-z0-9_.~-]*/.exec(text.slice(i));
    if (bare) {
      i += bare[0].length;
      return bare[0];
    }
    return fail(`unexpected '${c}'`);
  };
  const value = parseValue();
  if (i !== text.length) fail("trailing characters");
  return value;
}

// Characters left as-is in the hash; everything else (spaces, %, #, non-ASCII) is percent-encoded.
const SAFE_CHAR = /[A-Za-z0-9\-_.~!'()*:,;@$/?=+]/;

/** Percent-encode what the hash cannot hold, keep the notation's own characters readable. */
export function toHash(value) {
  let out = "";
  for (const ch of encodeState(value)) out += SAFE_CHAR.test(ch) ? ch : encodeURIComponent(ch);
  return out;
}

/** Decode a location.hash (with or without '#'); null when empty or invalid. */
export function fromHash(hash) {
  const raw = (hash || "").replace(/^#/, "");
  if (!raw) return null;
  try {
    return decodeState(decodeURIComponent(raw));
  } catch (err) {
    console.warn("ignoring unreadable URL state:", err.message);
    return null;
  }
}

/** The state stored in the current URL, or null. */
export function readUrlState() {
  return fromHash(window.location.hash);
}

let pending = null;
let timer = null;

function flush() {
  timer = null;
  if (pending === null) return;
  const hash = `#${toHash(pending)}`;
  pending = null;
  if (hash !== window.location.hash) {
    const url = `${window.location.pathname}${window.location.search}${hash}`;
    window.history.replaceState(window.history.state, "", url);
  }
}

/**
 * Store `value` in the URL hash (replaceState: no reload, no new history entry).
 * Writes are debounced (browsers throttle rapid history calls); `{now: true}` flushes at once.
 * @param {unknown} value
 * @param {{now?: boolean, delay?: number}} [options]
 */
export function writeUrlState(value, { now = false, delay = 250 } = {}) {
  pending = value;
  if (timer !== null) clearTimeout(timer);
  if (now) flush();
  else timer = setTimeout(flush, delay);
}

/** Write any pending state immediately (e.g. on `pagehide`). */
export function flushUrlState() {
  if (timer !== null) clearTimeout(timer);
  flush();
}

window.addEventListener("pagehide", flushUrlState);
