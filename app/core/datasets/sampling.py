"""Stratified sampling: random subsets that keep the class proportions."""

from __future__ import annotations

import numpy as np


def stratified_take(y: np.ndarray, n_take: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Randomly pick ``n_take`` indices keeping class proportions; return (taken, rest).

    Each class c with n_c samples gets ⌊n_take·n_c/n⌋ picks; the leftover picks go to the classes
    with the largest fractional parts (Hamilton's largest-remainder rule), so the total is exact.

    Parameters
    ----------
    y : np.ndarray, shape (n,), int
    n_take : int, 0 ≤ n_take ≤ n
    rng : np.random.Generator

    Returns
    -------
    taken : np.ndarray, shape (n_take,), int64, in random order
    rest : np.ndarray, shape (n − n_take,), int64, in random order
    """
    n = len(y)
    classes, counts = np.unique(y, return_counts=True)
    quota = n_take * counts / n
    picks = np.floor(quota).astype(np.int64)
    leftover = n_take - int(picks.sum())
    if leftover:
        # ties broken by class order (stable sort) so the result depends only on the seed
        picks[np.argsort(-(quota - picks), kind="stable")[:leftover]] += 1
    taken, rest = [], []
    for c, k in zip(classes, picks, strict=True):
        members = rng.permutation(np.flatnonzero(y == c))
        taken.append(members[:k])
        rest.append(members[k:])
    taken_idx, rest_idx = np.concatenate(taken), np.concatenate(rest)
    return rng.permutation(taken_idx), rng.permutation(rest_idx)


def subsample(y: np.ndarray, n: int | None, rng: np.random.Generator) -> np.ndarray:
    """Indices of a stratified subsample of size n (all, shuffled, if n is None or ≥ len(y))."""
    if n is None or n >= len(y):
        return rng.permutation(len(y))
    return stratified_take(y, n, rng)[0]
