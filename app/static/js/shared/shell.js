/**
 * shell.js — the header every page shares: app name, navigation between the labs, the
 * language switch and a link to the API docs (/docs); plus a small toast for messages.
 *
 * How a page uses it (see static/index.html for a complete example):
 *
 *   <link rel="stylesheet" href="/static/css/app.css">
 *   <script async id="plotly-script" src="/vendor/plotly-2d.min.js" data-full-src="/vendor/plotly.min.js"
 *           data-trace-types=""></script>   <!-- if the page plots; boot awaits plotlyReady (see shared/plots.js) -->
 *   <header id="app-header"></header>
 *   <main> ... </main>
 *   <script type="module" src="/static/js/training_lab/main.js"></script>
 *
 *   // training_lab.js
 *   import { addDictionary, initI18n } from "/static/js/shared/i18n.js";
 *   import common from "/static/js/shared/dictionary.js";
 *   import { mountShell, toast } from "/static/js/shared/shell.js";
 *   addDictionary(common); addDictionary(myDictionary);
 *   initI18n();
 *   mountShell({ active: "training", titleKey: "training.page_title" });
 *   toast("Saved", "info");     // or toast(message, "error")
 *
 * `active` is "optimizer" or "training" (marks the current tab). `titleKey` is an i18n key for
 * the browser tab title (kept translated when the language changes).
 */

import { LANGUAGES, getLang, onLanguageChange, setLang, t, applyTranslations } from "./i18n.js";

const NAV = [
  { id: "optimizer", href: "/", key: "shell.nav_optimizer" },
  { id: "training", href: "/training", key: "shell.nav_training" },
];

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) node.append(child);
  return node;
}

/**
 * Render the header into `#app-header` (created when missing) and keep it translated.
 * @param {{active: "optimizer"|"training", titleKey?: string}} options
 */
export function mountShell({ active, titleKey } = {}) {
  let header = document.getElementById("app-header");
  if (!header) {
    header = el("header", { id: "app-header" });
    document.body.prepend(header);
  }
  header.className = "app-header";
  header.replaceChildren();

  const brand = el("a", { class: "brand", href: "/", "data-testid": "brand" }, [
    el("span", { class: "brand-mark", "aria-hidden": "true", text: "∇" }),
    el("span", { class: "brand-name", "data-i18n": "shell.app_name" }),
  ]);

  const nav = el("nav", { class: "lab-nav", "data-i18n-aria-label": "shell.nav_label" });
  for (const item of NAV) {
    nav.append(
      el("a", {
        href: item.href,
        class: item.id === active ? "active" : "",
        "aria-current": item.id === active ? "page" : null,
        "data-testid": `nav-${item.id}`,
        "data-i18n": item.key,
      }),
    );
  }

  const langSwitch = el("div", { class: "lang-switch", role: "group", "data-i18n-aria-label": "shell.language" });
  for (const lang of LANGUAGES) {
    const button = el("button", {
      type: "button",
      lang: lang.id,
      "data-lang": lang.id,
      "data-testid": `lang-${lang.id}`,
      text: lang.label,
    });
    button.addEventListener("click", () => setLang(lang.id));
    langSwitch.append(button);
  }

  const docs = el("a", {
    class: "docs-link",
    href: "/docs",
    target: "_blank",
    rel: "noopener",
    "data-testid": "docs-link",
    "data-i18n": "shell.api_docs",
  });

  header.append(brand, nav, el("div", { class: "header-spacer" }), docs, langSwitch);

  const refresh = () => {
    for (const button of langSwitch.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === getLang()));
    }
    if (titleKey) document.title = `${t(titleKey)} · ${t("shell.app_name")}`;
  };
  applyTranslations(header);
  refresh();
  onLanguageChange(refresh);
  return header;
}

let toastBox = null;

/**
 * Show a short message at the bottom of the page.
 * @param {string} message
 * @param {"info"|"error"} [kind]
 * @param {number} [ms] how long it stays
 */
export function toast(message, kind = "info", ms = 5000) {
  if (!toastBox) {
    toastBox = el("div", { class: "toasts", role: "status", "aria-live": "polite", "data-testid": "toasts" });
    document.body.append(toastBox);
  }
  const item = el("div", { class: `toast toast-${kind}`, text: message });
  toastBox.append(item);
  setTimeout(() => item.remove(), ms);
  return item;
}

export { el };
