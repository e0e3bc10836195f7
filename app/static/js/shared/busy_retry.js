/**
 * busy_retry.js — what a page does with "the server is busy": a 503 with `Retry-After` (admission
 * control, docs/errors.md `admission.busy`) is not an error for the student. The request is sent
 * again once the server's `Retry-After` seconds have passed, with a countdown the page shows
 * ("server busy, retrying in N s"); a bounded retry gives up after `maxAttempts` busy answers in a
 * row and says so.
 *
 *   import { createBusyRetry, isBusy } from "../shared/busy_retry.js";
 *   const retry = createBusyRetry({ onCountdown: (c) => show(c), maxAttempts: 3 });
 *   try { … } catch (err) {
 *     if (isBusy(err) && retry.schedule(err.retryAfter, send)) return;   // counting down; `send` runs at 0
 *     // else: not busy, or the attempts are used up (retry.exhausted)
 *   }
 *   retry.cancel();     // the request changed or was replaced: no resend (the attempts are kept)
 *   retry.reset();      // a new request of the student's, or an answer: the attempts start again
 *
 * `onCountdown` gets `{seconds, attempt, maxAttempts}` every second while counting down, and `null`
 * when the countdown ends (resent or cancelled). Used by the Optimizer Lab's main run (runner.js,
 * unbounded) and its LR-sweep and start-map panels (sweep_panels.js, bounded).
 */

import { ApiError } from "./api.js";

/** Is `err` the server's "busy, come back in Retry-After seconds" (a 503 that names a delay)? */
export function isBusy(err) {
  return err instanceof ApiError && err.status === 503 && err.retryAfter !== null && err.retryAfter !== undefined;
}

/**
 * One request's retry countdown.
 * @param {{onCountdown: (countdown: {seconds: number, attempt: number, maxAttempts: number}|null) => void,
 *          maxAttempts?: number}} options `maxAttempts`: busy answers retried in a row (default: no bound)
 */
export function createBusyRetry({ onCountdown, maxAttempts = Infinity }) {
  let timer = null;
  let attempts = 0;

  function stop() {
    if (timer === null) return;
    clearInterval(timer);
    timer = null;
    onCountdown(null);
  }

  return {
    /**
     * Count `seconds` down (at least 1), then call `resend`. False (nothing scheduled) when
     * `maxAttempts` busy answers have already been retried.
     * @param {number} seconds the 503's Retry-After
     * @param {() => void} resend
     */
    schedule(seconds, resend) {
      stop();
      if (attempts >= maxAttempts) return false;
      attempts += 1;
      const attempt = attempts;
      let left = Math.max(1, Math.ceil(Number(seconds) || 0));
      onCountdown({ seconds: left, attempt, maxAttempts });
      timer = setInterval(() => {
        left -= 1;
        if (left > 0) {
          onCountdown({ seconds: left, attempt, maxAttempts });
          return;
        }
        stop();
        resend();
      }, 1000);
      return true;
    },
    /** Stop the countdown without resending (the request it would resend is out of date). */
    cancel: stop,
    /** Forget the busy answers so far (a fresh request, or one that was answered). */
    reset() {
      attempts = 0;
    },
    /** A countdown is running. */
    get pending() {
      return timer !== null;
    },
    /** The bounded attempts are used up (the last busy answer was not retried). */
    get exhausted() {
      return attempts >= maxAttempts;
    },
  };
}
