"""Data sets for the Training Lab (docs/networks.md "Data") and their train/validation/test splits.

Three sources, one interface (``load_dataset(spec, mnist_dir, max_samples) -> Split``):

* **shipped** — the 8×8 handwritten digits (UCI, 1,797 × 64, pixel counts 0..16) and Iris
  (150 × 4, cm), stored in ``app/core/datasets/data/*.npz`` (see ``scripts/export_datasets.py``);
* **generated 2-D** — ``spiral`` (CS231n), ``moons``, ``circles``, ``xor``, ``blobs``, drawn from
  ``dataset.seed`` so the same configuration always gives the same points;
* **MNIST** — read from the standard IDX files in ``Settings.mnist_dir`` (``app.core.datasets.idx``).

Splitting (seeded by ``dataset.seed``; same configuration → same split):

1. the pool: all samples of a shipped set, or ``n_samples`` of them (stratified subsample);
   ``n_samples`` generated points; MNIST's official training files (optionally subsampled);
2. test: a stratified holdout of ``test_fraction`` of the pool — for MNIST the official test
   files instead;
3. validation: a stratified ``val_fraction`` of what remains (never overlapping the test set);
4. ``train_limit`` caps what is left for training (e.g. 300 samples for the overfitting experiment);
5. standardisation with the *training* split's statistics only: z = (x − μ_train) / σ_train.
   Tables and 2-D sets use per-feature μ and σ. Images use the per-pixel mean image and one
   global σ (the std of all centred training pixels), as CS231n recommends: pixels already share a
   scale, and dividing a nearly-always-blank border pixel by its own tiny σ would turn a single
   stroke in a test image into a value in the hundreds. A σ of 0 is replaced by 1.

Modules: ``generated``, ``shipped`` and ``mnist`` (the three sources), ``catalogue`` (what
``GET /api/datasets`` lists), ``request`` (validating the ``dataset`` object), ``sampling``
(stratified subsets), ``pool`` (the samples a request is drawn from), ``split``
(:func:`load_dataset`) and ``preview`` (:func:`preview_dataset`).
"""

from __future__ import annotations

from app.core.datasets.catalogue import CATALOGUE, DatasetInfo, list_datasets
from app.core.datasets.generated import Arrays, blobs, circles, moons, spiral, xor
from app.core.datasets.preview import PREVIEW_MAX_IMAGES, preview_dataset
from app.core.datasets.request import (
    DEFAULT_MAX_SAMPLES,
    DEFAULT_TEST_FRACTION,
    DEFAULT_VAL_FRACTION,
    MAX_CLASSES,
    MAX_FRACTION,
    MAX_NOISE,
    MIN_CLASSES,
    MIN_SAMPLES,
)
from app.core.datasets.sampling import stratified_take
from app.core.datasets.shipped import DATA_DIR
from app.core.datasets.split import Split, load_dataset

__all__ = [
    "CATALOGUE", "DATA_DIR", "DEFAULT_MAX_SAMPLES", "DEFAULT_TEST_FRACTION", "DEFAULT_VAL_FRACTION",
    "MAX_CLASSES", "MAX_FRACTION", "MAX_NOISE", "MIN_CLASSES", "MIN_SAMPLES", "PREVIEW_MAX_IMAGES",
    "Arrays", "DatasetInfo", "Split", "blobs", "circles", "list_datasets", "load_dataset", "moons",
    "preview_dataset", "spiral", "stratified_take", "xor",
]  # fmt: skip
