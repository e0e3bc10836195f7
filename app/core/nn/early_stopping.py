"""Early stopping with Keras semantics (docs/networks.md).

At each epoch end the monitored value is compared with the best so far. It *improves* when

* mode ``min``: ``current < best − min_delta``;
* mode ``max``: ``current > best + min_delta``;
* mode ``auto``: ``max`` when the monitor name contains ``acc``, else ``min``.

After an improvement the wait counter resets to 0; otherwise it grows by one, and training stops
once ``wait ≥ patience``. With ``restore_best_weights`` the weights of the best epoch are put back
*when training is stopped early* (as Keras does; a run that simply reaches its last epoch keeps
its final weights).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from app.core.errors import InputError

MONITORS = ("val_loss", "val_accuracy")


class EarlyStopping:
    """Keras-style early stopping.

    Parameters
    ----------
    monitor : str
        ``val_loss`` or ``val_accuracy``.
    min_delta : float
        Smallest change that counts as an improvement (absolute value is used).
    patience : int
        Epochs without improvement before stopping.
    mode : str
        ``auto``, ``min`` or ``max``.
    restore_best_weights : bool
        Restore the best epoch's weights when stopping early.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        mode: str = "auto",
        restore_best_weights: bool = False,
    ) -> None:
        if monitor not in MONITORS:
            raise InputError(
                "early_stopping.monitor",
                f"must be one of {list(MONITORS)}, got {monitor!r}"[:200],
                "pydantic.literal_error",
                {"expected": ", ".join(MONITORS)},
            )
        if mode not in ("auto", "min", "max"):
            raise InputError(
                "early_stopping.mode",
                f"must be 'auto', 'min' or 'max', got {mode!r}"[:200],
                "pydantic.literal_error",
                {"expected": "auto, min, max"},
            )
        if patience < 0:
            raise InputError(
                "early_stopping.patience", f"must be ≥ 0, got {patience}", "pydantic.greater_than_equal", {"ge": 0}
            )
        if not math.isfinite(min_delta):
            raise InputError("early_stopping.min_delta", "must be finite", "pydantic.finite_number")
        self.monitor = monitor
        self.mode = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.restore_best_weights = bool(restore_best_weights)
        self.best = -math.inf if self.mode == "max" else math.inf
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None

    def is_improvement(self, current: float, reference: float) -> bool:
        """Whether ``current`` beats ``reference`` by more than ``min_delta``."""
        if self.mode == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def on_epoch_end(
        self,
        epoch: int,
        value: float | None,
        get_weights: Callable[[], list[np.ndarray]] | None = None,
    ) -> bool:
        """Record one epoch's monitored value; return True when training should stop.

        Parameters
        ----------
        epoch : int
            1-based epoch number.
        value : float or None
            The monitored quantity (None or non-finite counts as no improvement).
        get_weights : callable or None
            Called to snapshot the weights at an improvement (when restoring is on).
        """
        if value is not None and math.isfinite(value) and self.is_improvement(value, self.best):
            self.best = float(value)
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best_weights and get_weights is not None:
                self.best_weights = get_weights()
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def restore(self, set_weights: Callable[[Sequence[np.ndarray]], None]) -> bool:
        """Put the best weights back if restoring is on and a snapshot exists; return whether it did."""
        if self.restore_best_weights and self.best_weights is not None:
            set_weights(self.best_weights)
            return True
        return False
