"""Output loss of the MLP: softmax followed by cross-entropy (docs/networks.md)."""

from __future__ import annotations

import numpy as np


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log softmax, stable for any finite logits.

    Uses log Σⱼ e^(zⱼ) = m + log Σⱼ e^(zⱼ − m) with m = maxⱼ zⱼ, so no exponent exceeds 0.

    Parameters
    ----------
    logits : np.ndarray
        Shape ``(N, C)``.

    Returns
    -------
    np.ndarray
        Shape ``(N, C)``: log pᵢⱼ.
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return logp


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax probabilities, shape ``(N, C)``."""
    p: np.ndarray = np.exp(log_softmax(logits))
    return p


class SoftmaxCrossEntropy:
    """L = −(1/N) Σₙ log p_{n, yₙ} with p = softmax(z); ∂L/∂z = (p − onehot(y)) / N."""

    def __init__(self) -> None:
        self.cache: tuple[np.ndarray, ...] = ()

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        """Mean cross-entropy of a batch.

        Parameters
        ----------
        logits : np.ndarray
            Shape ``(N, C)``.
        labels : np.ndarray
            Integer class indices, shape ``(N,)``.

        Returns
        -------
        float
            The mean loss (``inf``/``nan`` when the logits are not finite).
        """
        labels = np.asarray(labels, dtype=np.intp)
        logp = log_softmax(logits)
        n = logits.shape[0]
        self.cache = (logp, labels)
        return float(-logp[np.arange(n), labels].mean())

    def backward(self) -> np.ndarray:
        """∂L/∂logits of the last ``forward``, shape ``(N, C)``."""
        logp, labels = self.cache
        n = logp.shape[0]
        dz = np.exp(logp)
        dz[np.arange(n), labels] -= 1.0
        dx: np.ndarray = dz / logp.dtype.type(n)
        return dx
