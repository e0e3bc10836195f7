/**
 * url_fields.js — a page's URL fields declared once, as a table; reading and writing the URL
 * object (see url_state.js for its notation) are both derived from it.
 *
 *   import { readFields, writeFields, integer, flag, oneOf } from "/static/js/shared/url_fields.js";
 *   const FIELDS = [
 *     // key in the URL ("v.f" = {v: {f: …}}, "sw.0" = {sw: [ …]}), path in the state, codec
 *     { key: "n", path: "steps", ...integer({ min: 1, max: (ctx) => ctx.limits.max_steps, clamp: true }) },
 *     { key: "v.f", path: "view.filled", ...flag() },
 *     { key: "hv", path: "hv", ...oneOf(["a", "b"]), omit: (v) => v === "a" },
 *   ];
 *   const url = writeFields(FIELDS, state, ctx);        // → the compact URL object
 *   const state = readFields(FIELDS, url, base, ctx);   // → base with every valid URL value
 *
 * A row: {key, path, decode?, encode?, omit?}. `decode(value, ctx, draft)` returns the state value
 * or `undefined` when the URL value is missing or invalid (the base value is kept); rows are read
 * in table order, so `draft` (the state read so far) lets a row depend on earlier ones.
 * `encode(value, ctx, state)` gives the URL value (default: the value itself); `omit(value, state)`
 * leaves the key out of the URL.
 */

const isNum = (v) => typeof v === "number" && Number.isFinite(v);

/** Read a dotted path ("view.filled", "sw.0") from an object; undefined when absent. */
export function getPath(obj, path) {
  let node = obj;
  for (const part of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = node[part];
  }
  return node;
}

/** A copy of `obj` with `value` at a dotted path (objects and arrays along the path are copied). */
export function setPath(obj, path, value) {
  const [head, ...rest] = path.split(".");
  const base = obj ?? (/^\d+$/.test(head) ? [] : {});
  const copy = Array.isArray(base) ? [...base] : { ...base };
  copy[head] = rest.length ? setPath(base[head] ?? (/^\d+$/.test(rest[0]) ? [] : {}), rest.join("."), value) : value;
  return copy;
}

const resolve = (bound, ctx) => (typeof bound === "function" ? bound(ctx) : bound);

/**
 * An integer in [min, max] (bounds may be functions of ctx, e.g. server limits). With `clamp`,
 * out-of-range numbers are clamped instead of rejected.
 */
export function integer({ min = -Infinity, max = Infinity, clamp = false } = {}) {
  return {
    decode(v, ctx) {
      if (!isNum(v)) return undefined;
      const lo = resolve(min, ctx);
      const hi = resolve(max, ctx);
      const n = Math.round(v);
      if (clamp) return Math.min(hi, Math.max(lo, n));
      return n === v && n >= lo && n <= hi ? n : undefined;
    },
  };
}

/** A finite number in [min, max]. */
export function number({ min = -Infinity, max = Infinity } = {}) {
  return {
    decode(v, ctx) {
      return isNum(v) && v >= resolve(min, ctx) && v <= resolve(max, ctx) ? v : undefined;
    },
  };
}

/** A boolean written as 1 / 0 (true / false are read too). */
export function flag() {
  return {
    encode: (v) => (v ? 1 : 0),
    decode: (v) => (v === 1 || v === true ? true : v === 0 || v === false ? false : undefined),
  };
}

/** One of a list of strings (the list may be a function of ctx). */
export function oneOf(choices) {
  return { decode: (v, ctx) => (resolve(choices, ctx).includes(v) ? v : undefined) };
}

/**
 * The compact URL object of `state`.
 * @param {object[]} fields the page's table
 * @param {object} state
 * @param {object} [ctx] what codecs need (catalogues, limits)
 */
export function writeFields(fields, state, ctx = {}) {
  let out = {};
  for (const row of fields) {
    const value = getPath(state, row.path);
    if (value === undefined || (row.omit && row.omit(value, state, ctx))) continue;
    const encoded = row.encode ? row.encode(value, ctx, state) : value;
    if (encoded === undefined) continue;
    out = setPath(out, row.key, encoded);
  }
  return out;
}

/**
 * `base` with every field the URL object holds a valid value for.
 * @param {object[]} fields the page's table
 * @param {object|null} url the decoded URL object (null: base as is)
 * @param {object} base the state to start from (defaults)
 * @param {object} [ctx]
 */
export function readFields(fields, url, base, ctx = {}) {
  if (!url || typeof url !== "object") return base;
  let draft = base;
  for (const row of fields) {
    const raw = getPath(url, row.key);
    if (raw === undefined && !row.always) continue;
    const value = row.decode ? row.decode(raw, ctx, draft) : raw;
    if (value !== undefined) draft = setPath(draft, row.path, value);
  }
  return draft;
}
