/**
 * i18n.js — the Korean/English engine shared by every page.
 *
 * Language choice, in order: `?lang=ko|en` in the URL (handy for a shared link), the choice
 * remembered in localStorage (key "playground.lang"), then `navigator.language(s)`: any `ko*`
 * → Korean, anything else → English.
 *
 * How a page uses it:
 *
 *   import { addDictionary, initI18n, t, tr, setLang, onLanguageChange, applyTranslations }
 *     from "/static/js/shared/i18n.js";
 *   import common from "/static/js/shared/dictionary.js";
 *   import lab from "/static/js/training_lab/dictionary.js";     // {en: {...}, ko: {...}}
 *
 *   addDictionary(common);
 *   addDictionary(lab);
 *   initI18n();                          // picks the language, translates the static HTML
 *
 *   // Static HTML: the text content comes from the key; attributes have their own markers.
 *   //   <h2 data-i18n="lab.surface"></h2>
 *   //   <input data-i18n-placeholder="lab.expression_hint" data-i18n-title="lab.expression_tip">
 *   //   (also data-i18n-aria-label)
 *   // Dynamic text: t("lab.step_of", {k: 3, n: 30}) with "{k}" placeholders in the dictionary.
 *   // API objects of the form {en: "...", ko: "..."}: tr(surface.name).
 *   // Re-render what you drew yourself (plots, tables) when the language changes:
 *   onLanguageChange((lang) => redraw());
 *
 * `setLang("ko")` switches, remembers the choice, re-translates the DOM and calls the hooks.
 * The shell's header switch (shell.js) calls it; pages normally don't.
 */

export const LANGUAGES = [
  { id: "en", label: "English" },
  { id: "ko", label: "한국어" },
];
const STORAGE_KEY = "playground.lang";
const dictionaries = { en: {}, ko: {} };
const hooks = new Set();
let current = null;

/** Merge a dictionary `{en: {key: text}, ko: {key: text}}` into the engine. */
export function addDictionary(dict) {
  for (const lang of Object.keys(dict)) {
    dictionaries[lang] = { ...(dictionaries[lang] || {}), ...dict[lang] };
  }
}

function normalise(lang) {
  if (!lang) return null;
  const lower = String(lang).toLowerCase();
  if (lower.startsWith("ko")) return "ko";
  if (lower.startsWith("en")) return "en";
  return null;
}

/** The language a fresh visit gets: URL ?lang, then localStorage, then the browser's language. */
export function detectLanguage() {
  const fromUrl = normalise(new URLSearchParams(window.location.search).get("lang"));
  if (fromUrl) return fromUrl;
  let stored = null;
  try {
    stored = normalise(window.localStorage.getItem(STORAGE_KEY));
  } catch {
    /* storage disabled */
  }
  if (stored) return stored;
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  return normalise(prefs[0]) === "ko" ? "ko" : "en";
}

/** The current language id ("en" or "ko"). */
export function getLang() {
  if (current === null) current = detectLanguage();
  return current;
}

/**
 * Translate a key. Falls back to English, then to the key itself (so a missing entry is visible).
 * @param {string} key
 * @param {Record<string, string|number>} [vars] values for "{name}" placeholders
 */
export function t(key, vars) {
  const lang = getLang();
  let text = dictionaries[lang]?.[key] ?? dictionaries.en?.[key];
  if (text === undefined) {
    console.warn(`i18n: missing key "${key}"`);
    text = key;
  }
  if (vars) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  return text;
}

/** True when the key exists in the English dictionary (for optional labels). */
export function hasKey(key) {
  return key in dictionaries.en;
}

/**
 * Pick the current language from an API object `{en, ko}`; strings pass through.
 * @param {string|{en?: string, ko?: string}|null|undefined} value
 */
export function tr(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return value[getLang()] ?? value.en ?? Object.values(value)[0] ?? "";
}

/** Translate every marked element under `root` (text, placeholder, title, aria-label). */
export function applyTranslations(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  }
}

/** Register a re-render hook called with the new language; returns an unsubscribe function. */
export function onLanguageChange(fn) {
  hooks.add(fn);
  return () => hooks.delete(fn);
}

/** Switch language: remember it, re-translate the DOM, run the hooks. */
export function setLang(lang) {
  const next = normalise(lang) || "en";
  try {
    window.localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* storage disabled: the choice lasts for this page only */
  }
  if (next === current) return;
  current = next;
  document.documentElement.lang = next;
  applyTranslations();
  for (const fn of hooks) {
    try {
      fn(next);
    } catch (err) {
      console.error("i18n hook failed", err);
    }
  }
}

/** Pick the language and translate the static DOM; call once after adding dictionaries. */
export function initI18n() {
  current = detectLanguage();
  document.documentElement.lang = current;
  applyTranslations();
  return current;
}
