/**
 * saved_run.js — "Save" in the Optimizer Lab's results panel and reopening a saved configuration
 * (docs/API.md "Saved runs"): POST /api/runs stores the configuration (the page's URL state, what
 * url_fields.js reads back) with a summary of its results (each run's label, outcome, final point
 * and loss) as a saved run of kind "lab"; `/?run=<id>` restores that configuration and runs it
 * again (the runs are deterministic: the same paths come back), and the saved summary is shown
 * beside it. It appears in the Training Lab's "Saved runs" list too.
 *
 *   const saver = createSavedRun({ store, toast, configToUrl, displayRuns });
 *   await saver.save();                       // the Save button
 *   const url = await saver.savedConfig();   // at boot: the saved URL state for `?run=<id>`, or null
 */

import { getJSON, postJSON } from "../shared/api.js";
import { formatApiError } from "../shared/errors.js";
import { t, tr } from "../shared/i18n.js";

const $ = (id) => document.getElementById(id);

/** A readable label: the surface and the runs, e.g. "x²/20 + y² · SGD η=0.95, Adam η=0.3". */
function autoLabel(state, runs) {
  const entry = state.cat?.surfaceById?.get?.(state.config.surface);
  const surface = entry ? tr(entry.name) : state.config.expression || "f(x, y)";
  const names = runs.map((r) => r.label).filter(Boolean);
  return `${surface} · ${names.join(", ")}`.slice(0, 200);
}

/** The summary stored with a configuration: what the results table shows, not the whole paths. */
function summaryOf(runs) {
  return {
    runs: runs.map((r) => ({
      label: r.label ?? null,
      optimizer: r.optimizer ?? null,
      outcome: r.outcome?.status ?? null,
      final_point: r.final_point ?? null,
      final_loss: Number.isFinite(r.final_loss) ? r.final_loss : null,
    })),
  };
}

/**
 * @param {{store: object, toast: Function, configToUrl: Function, displayRuns: Function}} deps
 */
export function createSavedRun({ store, toast, configToUrl, displayRuns }) {
  const line = $("saved-run-line");
  let shown = null; // {id, label, summary}

  function renderLine() {
    if (!line) return;
    line.hidden = !shown;
    if (!shown) return;
    line.replaceChildren();
    const link = document.createElement("a");
    link.href = `/?run=${encodeURIComponent(shown.id)}`;
    link.textContent = `${window.location.origin}/?run=${shown.id}`;
    link.setAttribute("data-testid", "saved-run-link");
    line.append(document.createTextNode(`${t(shown.reopened ? "lab.saved_reopened" : "lab.saved_as", { label: shown.label })} `), link);
  }

  async function save() {
    const state = store.get();
    const runs = displayRuns(state);
    if (!state.results || !runs.length) {
      toast(t("lab.save_nothing"), "error");
      return;
    }
    const button = $("save-run");
    button.disabled = true;
    try {
      const body = { kind: "lab", label: autoLabel(state, runs), config: { url: configToUrl(state.config, state) }, summary: summaryOf(runs) };
      const info = await postJSON("/api/runs", body);
      shown = { id: info.id, label: info.label, reopened: false };
      renderLine();
      toast(t("lab.saved_toast", { label: info.label }), "info");
    } catch (err) {
      toast(formatApiError(err), "error", 8000);
    } finally {
      button.disabled = false;
    }
  }

  /** The URL state saved as `?run=<id>` (null without one, or when it cannot be read). */
  async function savedConfig() {
    const id = new URLSearchParams(window.location.search).get("run");
    if (!id) return null;
    try {
      const run = await getJSON(`/api/runs/${encodeURIComponent(id)}`, { limit: 1 });
      if (run.kind !== "lab" || !run.config?.url) {
        window.location.replace(`/training?run=${encodeURIComponent(id)}`); // a training run opens in the Training Lab
        return null;
      }
      shown = { id: run.id, label: run.label, reopened: true };
      renderLine();
      // from now on the address carries the page's own state (the hash), so edits survive a reload
      window.history.replaceState(null, "", `${window.location.pathname}${window.location.hash}`);
      return run.config.url;
    } catch (err) {
      toast(formatApiError(err), "error", 10000);
      return null;
    }
  }

  $("save-run")?.addEventListener("click", save);
  return { save, savedConfig, render: renderLine };
}
