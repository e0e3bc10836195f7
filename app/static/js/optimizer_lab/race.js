/**
 * race.js — the animated race: one clock for all runs. Play / pause / step back / step forward /
 * scrub slider / speed (steps per second). The page draws; the race only says which step.
 *
 *   import { Race } from "./race.js";
 *   const race = new Race({
 *     play: btn, back: btn, forward: btn, slider: input[type=range], speed: select, label: span,
 *     onStep: (k) => redraw(k),            // called for every change of the current step
 *     formatLabel: (k, n) => `step ${k} / ${n}`,
 *   });
 *   race.setLength(31);     // steps 0..30
 *   race.set(30);           // jump (does not start playing)
 *
 * Keyboard (when focus is not in a text field): space = play/pause, ←/→ = one step.
 */

export const SPEEDS = [1, 2, 5, 10, 25, 50, 100, 250, 1000];

/** The race clock: which step every run shows; the page draws (see the header). */
export class Race {
  constructor({ play, back, forward, slider, speed, label, onStep, formatLabel, onPlayState }) {
    this.el = { play, back, forward, slider, speed, label };
    this.onStep = onStep ?? (() => {});
    this.onPlayState = onPlayState ?? (() => {});
    this.formatLabel = formatLabel ?? ((k, n) => `${k} / ${n}`);
    this.length = 1;
    this.step = 0;
    this.playing = false;
    this.stepsPerSecond = 10;
    this._frame = null;
    this._carry = 0;
    this._last = 0;

    if (speed) {
      speed.replaceChildren(
        ...SPEEDS.map((s) => {
          const o = document.createElement("option");
          o.value = String(s);
          o.textContent = `${s}/s`;
          return o;
        }),
      );
      speed.value = String(this.stepsPerSecond);
      speed.addEventListener("change", () => this.setSpeed(Number(speed.value)));
    }
    play?.addEventListener("click", () => this.toggle());
    back?.addEventListener("click", () => {
      this.pause();
      this.set(this.step - 1);
    });
    forward?.addEventListener("click", () => {
      this.pause();
      this.set(this.step + 1);
    });
    slider?.addEventListener("input", () => {
      this.pause();
      this.set(Number(slider.value));
    });
    document.addEventListener("keydown", (ev) => {
      const tag = ev.target?.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || ev.target?.isContentEditable) return;
      if (ev.key === " " && ev.target?.tagName !== "BUTTON") {
        ev.preventDefault();
        this.toggle();
      } else if (ev.key === "ArrowRight") {
        this.pause();
        this.set(this.step + 1);
      } else if (ev.key === "ArrowLeft") {
        this.pause();
        this.set(this.step - 1);
      }
    });
  }

  /** Number of positions (max path length over runs); keeps the step inside. */
  setLength(n) {
    this.length = Math.max(1, n);
    if (this.el.slider) {
      this.el.slider.max = String(this.length - 1);
      this.el.slider.disabled = this.length <= 1;
    }
    this.set(Math.min(this.step, this.length - 1), { force: true });
  }

  /** Jump to step k (clamped) and notify. */
  set(k, { force = false } = {}) {
    const next = Math.max(0, Math.min(this.length - 1, Math.round(k)));
    const changed = next !== this.step;
    this.step = next;
    if (this.el.slider) this.el.slider.value = String(next);
    if (this.el.label) this.el.label.textContent = this.formatLabel(next, this.length - 1);
    if (changed || force) this.onStep(next);
  }

  refreshLabel() {
    if (this.el.label) this.el.label.textContent = this.formatLabel(this.step, this.length - 1);
  }

  setSpeed(stepsPerSecond) {
    this.stepsPerSecond = stepsPerSecond;
    if (this.el.speed && this.el.speed.value !== String(stepsPerSecond)) this.el.speed.value = String(stepsPerSecond);
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  play() {
    if (this.playing || this.length <= 1) return;
    if (this.step >= this.length - 1) this.set(0);
    this.playing = true;
    this._carry = 0;
    this._last = performance.now();
    this._updateButton();
    const tick = (now) => {
      if (!this.playing) return;
      // advance by elapsed time × speed; fractional steps carry over to the next frame
      this._carry += ((now - this._last) / 1000) * this.stepsPerSecond;
      this._last = now;
      const whole = Math.floor(this._carry);
      if (whole >= 1) {
        this._carry -= whole;
        this.set(this.step + whole);
      }
      if (this.step >= this.length - 1) {
        this.pause();
        return;
      }
      this._frame = requestAnimationFrame(tick);
    };
    this._frame = requestAnimationFrame(tick);
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    if (this._frame !== null) cancelAnimationFrame(this._frame);
    this._frame = null;
    this._updateButton();
  }

  _updateButton() {
    const b = this.el.play;
    if (b) {
      b.setAttribute("aria-pressed", String(this.playing));
      b.dataset.state = this.playing ? "playing" : "paused";
    }
    this.onPlayState(this.playing);
  }
}
