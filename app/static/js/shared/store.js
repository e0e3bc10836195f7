/**
 * store.js — one page's state and the single path every change takes to the screen.
 *
 *   import { createStore, changed } from "/static/js/shared/store.js";
 *   const store = createStore({ lang: "en", config: null });
 *   store.subscribe((state, prev) => render(state, prev));   // every update re-renders
 *   store.update({ lang: "ko" });                             // shallow patch of the top level
 *   store.update((s) => ({ config: { ...s.config, steps: 30 } }));
 *   store.get();                                              // the current state (do not mutate)
 *
 * Updates are shallow merges: a part of the state that changed must be a new object (so a render
 * function can compare slices with `===`, see `changed`). Subscribers run synchronously, in the
 * order they subscribed; an update made by a subscriber is queued and runs after the current one,
 * so every subscriber sees every state in order.
 */

/**
 * A tiny store with subscribers.
 * @template T
 * @param {T} initial
 * @returns {{get: () => T, update: (patch: Partial<T> | ((state: T) => Partial<T>)) => void,
 *           subscribe: (fn: (state: T, prev: T) => void) => () => void}}
 */
export function createStore(initial) {
  let state = initial;
  const subscribers = new Set();
  const queue = [];
  let notifying = false;

  function update(patch) {
    queue.push(patch);
    if (notifying) return;
    notifying = true;
    try {
      while (queue.length) {
        const next = queue.shift();
        const prev = state;
        const part = typeof next === "function" ? next(state) : next;
        if (!part) continue;
        state = { ...state, ...part };
        for (const fn of subscribers) fn(state, prev);
      }
    } finally {
      notifying = false;
    }
  }

  return {
    get: () => state,
    update,
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}

/**
 * Did any of the selected slices change between two states? Slices are compared with `===`
 * (the store's updates replace what they change), so this is cheap enough for every frame.
 * @param {object} state
 * @param {object|null|undefined} prev the previous state (null: everything changed)
 * @param {...(s: object) => unknown} selectors
 */
export function changed(state, prev, ...selectors) {
  if (!prev) return true;
  return selectors.some((pick) => pick(state) !== pick(prev));
}
