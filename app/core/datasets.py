"""Data sets for the Training Lab (SPEC §5 "Data") and their train/validation/test splits.

Three sources, one interface (``load_dataset(spec, mnist_dir, max_samples) -> Split``):

* **shipped** — the 8×8 handwritten digits (UCI, 1,797 × 64, pixel counts 0..16) and Iris
  (150 × 4, cm), stored in ``app/core/data/*.npz`` (see ``scripts/export_datasets.py``);
* **generated 2-D** — ``spiral`` (CS231n), ``moons``, ``circles``, ``xor``, ``blobs``, drawn from
  ``dataset.seed`` so the same configuration always gives the same points;
* **MNIST** — read from the standard IDX files in ``Settings.mnist_dir`` (``app.core.idx``).

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
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from app.core import idx
from app.core.errors import InputError

DATA_DIR = Path(__file__).resolve().parent / "data"

DEFAULT_MAX_SAMPLES = 70_000  # mirrors Settings.max_samples; the API passes the real value
MIN_SAMPLES = 10  # smallest pool that still leaves ≥ 1 sample per split
MAX_NOISE = 5.0
MIN_CLASSES, MAX_CLASSES = 2, 10
DEFAULT_VAL_FRACTION = 0.2
DEFAULT_TEST_FRACTION = 0.2
MAX_FRACTION = 0.9
PREVIEW_MAX_IMAGES = 64

Arrays = tuple[np.ndarray, np.ndarray]


# --------------------------------------------------------------------------------------------
# Generated 2-D sets. Each returns x (n, 2) float64 and y (n,) int64 in a seeded random order.
# --------------------------------------------------------------------------------------------


def _class_sizes(n_samples: int, classes: int) -> list[int]:
    """Split n samples as evenly as possible: the first n mod K classes get one extra."""
    return [n_samples // classes + (k < n_samples % classes) for k in range(classes)]


def _shuffled(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> Arrays:
    """The same samples in a random order (generators build them class by class)."""
    order = rng.permutation(len(y))
    return x[order], y[order]


def spiral(n_samples: int = 500, classes: int = 3, noise: float = 0.2, seed: int = 0) -> Arrays:
    """K interleaved spiral arms (CS231n "spiral data").

    Arm k: radius r from 0 to 1 evenly, angle t = 4·r + 2πk/K + ε with ε ~ N(0, noise²),
    point (r·sin t, r·cos t). ``noise`` is therefore an angle jitter in radians (CS231n: 0.2).

    Returns
    -------
    x : np.ndarray, shape (n_samples, 2), float64, inside the unit disc
    y : np.ndarray, shape (n_samples,), int64 in 0..classes-1
    """
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k, n in enumerate(_class_sizes(n_samples, classes)):
        r = np.linspace(0.0, 1.0, n)
        t = 4.0 * r + 2.0 * np.pi * k / classes + rng.normal(0.0, noise, n)
        xs.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        ys.append(np.full(n, k, dtype=np.int64))
    return _shuffled(np.concatenate(xs), np.concatenate(ys), rng)


def moons(n_samples: int = 500, noise: float = 0.1, seed: int = 0) -> Arrays:
    """Two interleaving half circles (as scikit-learn's ``make_moons``).

    Class 0: (cos t, sin t); class 1: (1 − cos t, ½ − sin t); t ~ U(0, π); then Gaussian noise
    of std ``noise`` on both coordinates.

    Returns
    -------
    x : np.ndarray, shape (n_samples, 2), float64
    y : np.ndarray, shape (n_samples,), int64 in {0, 1}
    """
    rng = np.random.default_rng(seed)
    n0, n1 = _class_sizes(n_samples, 2)
    t0, t1 = rng.uniform(0.0, np.pi, n0), rng.uniform(0.0, np.pi, n1)
    x = np.concatenate(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)]),
        ]
    )
    x += rng.normal(0.0, noise, x.shape)
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    return _shuffled(x, y, rng)


def circles(n_samples: int = 500, noise: float = 0.05, seed: int = 0) -> Arrays:
    """Two concentric circles: class 0 on radius 1, class 1 on radius ½.

    Angles ~ U(0, 2π); then Gaussian noise of std ``noise`` on both coordinates.
    No line separates them; a network needs a hidden layer (the boundary is a circle).

    Returns
    -------
    x : np.ndarray, shape (n_samples, 2), float64
    y : np.ndarray, shape (n_samples,), int64 in {0, 1}
    """
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(n_samples, 2)
    radius = np.repeat([1.0, 0.5], sizes)
    angle = rng.uniform(0.0, 2.0 * np.pi, n_samples)
    x = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    x += rng.normal(0.0, noise, x.shape)
    y = np.repeat(np.array([0, 1], dtype=np.int64), sizes)
    return _shuffled(x, y, rng)


def xor(n_samples: int = 500, noise: float = 0.05, seed: int = 0) -> Arrays:
    """The XOR pattern: uniform points in [−1, 1]², class 1 where sign(x)·sign(y) > 0.

    Labels come from the clean points; Gaussian noise of std ``noise`` is added afterwards, so
    with noise some points near the axes end up in the "wrong" quadrant.

    Returns
    -------
    x : np.ndarray, shape (n_samples, 2), float64
    y : np.ndarray, shape (n_samples,), int64 in {0, 1} (1 = quadrants I and III)
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = (np.sign(x[:, 0]) * np.sign(x[:, 1]) > 0).astype(np.int64)
    x += rng.normal(0.0, noise, x.shape)
    return x, y


def blobs(n_samples: int = 500, classes: int = 3, noise: float = 0.5, seed: int = 0) -> Arrays:
    """K isotropic Gaussian clusters with centres evenly spaced on the circle of radius 2.

    Class k ~ N(c_k, noise²·I), c_k = 2·(cos 2πk/K, sin 2πk/K): ``noise`` is the cluster std.
    Linearly separable (one vs rest) when ``noise`` is small against the gap 4·sin(π/K).

    Returns
    -------
    x : np.ndarray, shape (n_samples, 2), float64
    y : np.ndarray, shape (n_samples,), int64 in 0..classes-1
    """
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(n_samples, classes)
    angle = 2.0 * np.pi * np.arange(classes) / classes
    centres = 2.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    y = np.repeat(np.arange(classes, dtype=np.int64), sizes)
    x = centres[y] + rng.normal(0.0, noise, (n_samples, 2))
    return _shuffled(x, y, rng)


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetInfo:
    """Static facts about one data set (what ``GET /api/datasets`` lists)."""

    id: str
    name_en: str
    name_ko: str
    kind: str  # "image" | "table" | "2d"
    n_samples: int  # full size (shipped/MNIST) or default count (generated)
    n_features: int
    n_classes: int  # fixed, or the default K for spiral/blobs
    generated: bool
    description_en: str
    description_ko: str
    default_noise: float | None = None
    variable_classes: bool = False
    image_shape: tuple[int, int] | None = None


_GENERATORS: dict[str, Callable[..., Arrays]] = {
    "spiral": spiral,
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "blobs": blobs,
}

CATALOGUE: dict[str, DatasetInfo] = {
    info.id: info
    for info in (
        DatasetInfo(
            id="digits", name_en="Handwritten digits (8×8)", name_ko="손글씨 숫자 (8×8)",
            kind="image", n_samples=1797, n_features=64, n_classes=10, generated=False,
            description_en="UCI optical digits: 1,797 images of 8×8 pixel counts 0..16, "
            "ten classes.",
            description_ko="UCI 손글씨 숫자: 8×8 픽셀(값 0..16) 이미지 1,797장, 10개 클래스.",
            image_shape=(8, 8),
        ),
        DatasetInfo(
            id="iris", name_en="Iris", name_ko="붓꽃 (Iris)",
            kind="table", n_samples=150, n_features=4, n_classes=3, generated=False,
            description_en="Fisher's Iris: sepal and petal length and width (cm) of 150 flowers, "
            "three species.",
            description_ko="피셔의 붓꽃: 꽃 150송이의 꽃받침·꽃잎 길이와 너비(cm), 3개 품종.",
        ),
        DatasetInfo(
            id="spiral", name_en="Spiral", name_ko="나선",
            kind="2d", n_samples=500, n_features=2, n_classes=3, generated=True,
            description_en="K interleaved spiral arms (CS231n); noise = angle jitter in radians.",
            description_ko="서로 감긴 K개의 나선 팔 (CS231n); 잡음 = 각도 흔들림(라디안).",
            default_noise=0.2, variable_classes=True,
        ),
        DatasetInfo(
            id="moons", name_en="Two moons", name_ko="반달 두 개",
            kind="2d", n_samples=500, n_features=2, n_classes=2, generated=True,
            description_en="Two interleaving half circles; noise = Gaussian std on each "
            "coordinate.",
            description_ko="서로 맞물린 반원 두 개; 잡음 = 각 좌표에 더하는 가우시안 표준편차.",
            default_noise=0.1,
        ),
        DatasetInfo(
            id="circles", name_en="Circles", name_ko="동심원",
            kind="2d", n_samples=500, n_features=2, n_classes=2, generated=True,
            description_en="A circle inside a circle (radii 1 and ½); noise = Gaussian std on each "
            "coordinate.",
            description_ko="원 안의 원 (반지름 1과 ½); 잡음 = 각 좌표에 더하는 가우시안 표준편차.",
            default_noise=0.05,
        ),
        DatasetInfo(
            id="xor", name_en="XOR", name_ko="XOR",
            kind="2d", n_samples=500, n_features=2, n_classes=2, generated=True,
            description_en="Points in [−1, 1]², class 1 where x and y have the same sign; noise is "
            "added after labelling.",
            description_ko="[−1, 1]² 안의 점, x와 y의 부호가 같으면 클래스 1; 레이블을 정한 뒤 "
            "잡음을 더함.",
            default_noise=0.05,
        ),
        DatasetInfo(
            id="blobs", name_en="Gaussian blobs", name_ko="가우시안 군집",
            kind="2d", n_samples=500, n_features=2, n_classes=3, generated=True,
            description_en="K Gaussian clusters around a circle of radius 2; noise = cluster std.",
            description_ko="반지름 2인 원 위에 놓인 K개의 가우시안 군집; 잡음 = 군집 표준편차.",
            default_noise=0.5, variable_classes=True,
        ),
        DatasetInfo(
            id="mnist", name_en="MNIST (28×28)", name_ko="MNIST (28×28)",
            kind="image", n_samples=70_000, n_features=784, n_classes=10, generated=False,
            description_en="The textbook's MNIST, read from the IDX files in PLAYGROUND_MNIST_DIR; "
            "the official test set is the test split.",
            description_ko="교재의 MNIST, PLAYGROUND_MNIST_DIR 폴더의 IDX 파일에서 읽음; 공식 "
            "테스트 세트를 테스트 분할로 사용.",
            image_shape=(28, 28),
        ),
    )
}  # fmt: skip


def list_datasets(mnist_dir: Path | str | None) -> list[dict[str, Any]]:
    """Every data set as ``GET /api/datasets`` lists it (docs/API.md).

    Besides the contract's fields (id, name, kind, n_samples, n_features, n_classes, generated,
    available) each entry carries ``description`` {en, ko}, ``params`` (which of ``n_samples``,
    ``noise``, ``classes`` the set uses), ``defaults`` (their default values) and, for images,
    ``image_shape``. MNIST is ``available`` only when ``mnist_dir`` holds the four IDX files; its
    sizes then come from the file headers.
    """
    counts = idx.mnist_counts(mnist_dir)
    out = []
    for info in CATALOGUE.values():
        n_samples, image_shape, available = info.n_samples, info.image_shape, True
        if info.id == "mnist":
            available = counts is not None
            if counts is not None:
                n_samples, image_shape = counts[0] + counts[1], counts[2]
        n_features = image_shape[0] * image_shape[1] if image_shape else info.n_features
        if info.generated:
            params = ["n_samples", "noise", "seed"] + (["classes"] if info.variable_classes else [])
            defaults: dict[str, Any] = {"n_samples": info.n_samples, "noise": info.default_noise}
            if info.variable_classes:
                defaults["classes"] = info.n_classes
        else:
            params, defaults = ["n_samples", "seed"], {"n_samples": None}
        out.append(
            {
                "id": info.id,
                "name": {"en": info.name_en, "ko": info.name_ko},
                "kind": info.kind,
                "n_samples": n_samples,
                "n_features": n_features,
                "n_classes": info.n_classes,
                "generated": info.generated,
                "available": available,
                "description": {"en": info.description_en, "ko": info.description_ko},
                "params": params,
                "defaults": defaults,
                "image_shape": list(image_shape) if image_shape else None,
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# Split
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Split:
    """A data set split into train/validation/test, standardised with training statistics.

    Attributes
    ----------
    x_train, x_val, x_test : np.ndarray, shape (n_split, n_features), float32, standardised
    y_train, y_val, y_test : np.ndarray, shape (n_split,), int64 in 0..n_classes-1
    n_features, n_classes : int
    class_names : list of str, length n_classes
    is_2d : bool
        A generated 2-D set (decision boundaries can be drawn).
    mean, std : np.ndarray, shape (n_features,), float64
        z = (raw − mean) / std. "raw" means the stored units: coordinates for 2-D sets, cm for
        Iris, pixel counts 0..16 for digits, [0, 1]-scaled pixels for MNIST.
    raw_bounds : ((x_min, x_max), (y_min, y_max)) or None
        For 2-D sets: the range of all points plus a 10 % margin, in raw coordinates.
    name, kind : str
        Data set id and ``"image" | "table" | "2d"``.
    image_shape : (rows, cols) or None
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_features: int
    n_classes: int
    class_names: list[str]
    is_2d: bool
    mean: np.ndarray
    std: np.ndarray
    raw_bounds: tuple[tuple[float, float], tuple[float, float]] | None
    name: str = ""
    kind: str = ""
    image_shape: tuple[int, int] | None = None

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Raw points (m, n_features) → model inputs (m, n_features) float32 (e.g. a grid)."""
        return ((np.asarray(raw, dtype=np.float64) - self.mean) / self.std).astype(np.float32)

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        """Model inputs (m, n_features) → raw units (m, n_features) float64."""
        return np.asarray(z, dtype=np.float64) * self.std + self.mean

    @property
    def sizes(self) -> dict[str, int]:
        """Number of samples in each split."""
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


@dataclass(frozen=True)
class _Request:
    """The ``dataset`` object of a training configuration, validated."""

    name: str
    n_samples: int | None
    noise: float | None
    classes: int | None
    seed: int
    train_limit: int | None
    val_fraction: float
    test_fraction: float


def _as_int(value: Any, field: str, lo: int, hi: int | None) -> int:
    """An integer (JSON ints, or floats with an integral value) within [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(field, f"must be an integer, got {value!r}")
    if isinstance(value, (float, np.floating)) and not (
        math.isfinite(value) and value == int(value)
    ):
        raise InputError(field, f"must be an integer, got {value!r}")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise InputError(field, f"must be {bound}, got {value}")
    return value


def _as_float(value: Any, field: str, lo: float, hi: float) -> float:
    """A finite number within [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(field, f"must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value > hi or value < lo:
        raise InputError(field, f"must be in [{lo}, {hi}], got {value}")
    return value


def _parse(spec: dict[str, Any], max_samples: int, field: str) -> _Request:
    """Validate the ``dataset`` object; fields named ``<field>.<key>`` in errors."""
    if not isinstance(spec, dict):
        raise InputError(field, "must be an object with at least a 'name'")
    name = spec.get("name")
    if not isinstance(name, str) or name not in CATALOGUE:
        raise InputError(
            f"{field}.name", f"unknown data set {name!r}; choose one of {', '.join(CATALOGUE)}"
        )
    info = CATALOGUE[name]

    def get(key: str) -> Any:
        return spec.get(key)

    n_samples = get("n_samples")
    if n_samples is not None:
        n_samples = _as_int(n_samples, f"{field}.n_samples", MIN_SAMPLES, max_samples)
    noise = get("noise")
    if noise is not None and info.generated:
        noise = _as_float(noise, f"{field}.noise", 0.0, MAX_NOISE)
    classes = get("classes")
    if classes is not None and info.variable_classes:
        classes = _as_int(classes, f"{field}.classes", MIN_CLASSES, MAX_CLASSES)
    seed = get("seed")
    seed = 0 if seed is None else _as_int(seed, f"{field}.seed", 0, 2**32 - 1)
    train_limit = get("train_limit")
    if train_limit is not None:
        train_limit = _as_int(train_limit, f"{field}.train_limit", 1, None)
    fractions = {}
    for key, default in (
        ("val_fraction", DEFAULT_VAL_FRACTION),
        ("test_fraction", DEFAULT_TEST_FRACTION),
    ):
        value = get(key)
        fractions[key] = (
            default if value is None else _as_float(value, f"{field}.{key}", 0.0, MAX_FRACTION)
        )
    return _Request(
        name=name,
        n_samples=n_samples,
        noise=noise if info.generated else None,
        classes=classes if info.variable_classes else None,
        seed=seed,
        train_limit=train_limit,
        **fractions,
    )


def _share(n: int, fraction: float) -> int:
    """Samples a split of ``fraction`` gets out of n: round(n·fraction), but ≥ 1 if fraction > 0."""
    return 0 if fraction == 0 else max(1, round(n * fraction))


def stratified_take(
    y: np.ndarray, n_take: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
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


@lru_cache(maxsize=4)
def _shipped(name: str) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """A shipped set as stored: x (n, d) raw dtype, y (n,) uint8, class names, feature names."""
    with np.load(DATA_DIR / f"{name}.npz", allow_pickle=False) as data:
        x, y = data["x"], data["y"]
        class_names = [str(c) for c in data["class_names"]]
        feature_names = [str(f) for f in data["feature_names"]]
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y, class_names, feature_names


@lru_cache(maxsize=1)
def _mnist_cached(folder: str, stamp: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    """MNIST arrays, cached while the files' modification times (``stamp``) are unchanged."""
    arrays = idx.load_mnist(folder)
    for a in arrays:
        a.setflags(write=False)
    return arrays


def _load_mnist(mnist_dir: Path | str | None, field: str) -> tuple[np.ndarray, ...]:
    """MNIST (x_train, y_train, x_test, y_test), or InputError if the folder is not set up."""
    files = idx.find_mnist_files(mnist_dir)
    if files is None:
        where = (
            "PLAYGROUND_MNIST_DIR is not set"
            if mnist_dir is None
            else f"{mnist_dir} lacks the IDX files"
        )
        raise InputError(f"{field}.name", f"MNIST is not available: {where}")
    stamp = tuple(p.stat().st_mtime for p in files.values())
    try:
        return _mnist_cached(str(mnist_dir), stamp)
    except InputError as exc:
        raise InputError(f"{field}.name", f"MNIST files unusable: {exc.message}") from exc


def _subsample(y: np.ndarray, n: int | None, rng: np.random.Generator) -> np.ndarray:
    """Indices of a stratified subsample of size n (all, shuffled, if n is None or ≥ len(y))."""
    if n is None or n >= len(y):
        return rng.permutation(len(y))
    return stratified_take(y, n, rng)[0]


def _moments(x: np.ndarray, scale: float, per_feature: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of x·scale, shape (d,) each, float64, computed in row chunks (x may be uint8).

    per_feature=False gives the per-feature mean with one shared std: the root-mean-square of all
    centred entries. A std of 0 (a constant feature) becomes 1 so z stays finite.
    """
    n, d = x.shape
    chunks = range(0, n, 8192)
    mean = sum(x[i : i + 8192].sum(axis=0, dtype=np.float64) for i in chunks) * scale / n
    sq = sum(((x[i : i + 8192] * scale - mean) ** 2).sum(axis=0) for i in chunks) / n
    std = np.sqrt(sq) if per_feature else np.full(d, math.sqrt(float(np.mean(sq))))
    std[~(std > 1e-12)] = 1.0
    return mean, std


def _standardise(x: np.ndarray, mean: np.ndarray, std: np.ndarray, scale: float) -> np.ndarray:
    """z = (x·scale − mean) / std as float32, in row chunks (x may be uint8 pixels)."""
    out = np.empty(x.shape, dtype=np.float32)
    for i in range(0, len(x), 8192):
        out[i : i + 8192] = (x[i : i + 8192] * scale - mean) / std
    return out


@dataclass(frozen=True, eq=False)
class _Pool:
    """The data before splitting.

    x (n, d) in the stored dtype; y (n,) int64; test = the official (x, y) test set or None;
    scale multiplies x into raw units (1/255 for MNIST pixels, else 1).
    """

    x: np.ndarray
    y: np.ndarray
    test: tuple[np.ndarray, np.ndarray] | None
    class_names: list[str]
    scale: float = 1.0
    image_shape: tuple[int, int] | None = None
    feature_names: list[str] | None = None


def _raw_pool(
    req: _Request,
    mnist_dir: Path | str | None,
    max_samples: int,
    field: str,
    rng: np.random.Generator,
) -> _Pool:
    """Generate, or load and subsample, the samples a request is drawn from."""
    info = CATALOGUE[req.name]
    if info.generated:
        n = req.n_samples if req.n_samples is not None else min(info.n_samples, max_samples)
        noise = info.default_noise if req.noise is None else req.noise
        kwargs: dict[str, Any] = {"n_samples": n, "noise": noise, "seed": req.seed}
        if info.variable_classes:
            kwargs["classes"] = req.classes if req.classes is not None else info.n_classes
        x, y = _GENERATORS[req.name](**kwargs)
        n_classes = kwargs.get("classes", info.n_classes)
        return _Pool(x, y, None, [str(k) for k in range(n_classes)], feature_names=["x", "y"])
    if req.name == "mnist":
        x_tr, y_tr, x_te, y_te = _load_mnist(mnist_dir, field)
        pool = _subsample(y_tr, min(req.n_samples or len(y_tr), max_samples), rng)
        test = _subsample(y_te, min(len(y_te), max_samples), rng)
        shape = (int(x_tr.shape[1]), int(x_tr.shape[2]))
        x_tr, x_te = x_tr.reshape(len(x_tr), -1), x_te.reshape(len(x_te), -1)  # 28×28 → 784
        return _Pool(
            x_tr[pool],
            y_tr[pool].astype(np.int64),
            (x_te[test], y_te[test].astype(np.int64)),
            [str(k) for k in range(10)],
            scale=1.0 / 255.0,
            image_shape=shape,
        )
    x, y, class_names, feature_names = _shipped(req.name)
    pool = _subsample(y, min(req.n_samples or len(y), max_samples), rng)
    return _Pool(
        x[pool],
        y[pool].astype(np.int64),
        None,
        class_names,
        image_shape=info.image_shape,
        feature_names=feature_names,
    )


def _bounds(x: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x_min, x_max), (y_min, y_max)) of 2-D points widened by 10 % of the range (≥ 0.1)."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    margin = np.maximum(0.1 * (hi - lo), 0.1)
    (x0, y0), (x1, y1) = lo - margin, hi + margin
    return (float(x0), float(x1)), (float(y0), float(y1))


def load_dataset(
    spec: dict[str, Any],
    mnist_dir: Path | str | None = None,
    max_samples: int = DEFAULT_MAX_SAMPLES,
    *,
    field: str = "dataset",
) -> Split:
    """Build the train/validation/test split a training job asks for.

    Parameters
    ----------
    spec : dict
        The ``dataset`` object of docs/API.md: ``name`` (required), ``n_samples``, ``noise``,
        ``classes``, ``seed`` (default 0), ``train_limit``, ``val_fraction`` (default 0.2),
        ``test_fraction`` (default 0.2; ignored for MNIST, whose official test files are the
        test split). A fraction of 0 gives an empty split (shape (0, n_features)); a fraction
        > 0 always gives at least one sample. Missing/None fields take defaults; fields a set
        does not use (``noise``/``classes`` for digits, ``classes`` for moons, …) are ignored.
        ``n_samples`` is the number of points to generate, or for shipped sets and MNIST the size
        of a stratified subsample (None or more than the set holds → the whole set).
    mnist_dir : Path, optional
        ``Settings.mnist_dir``; needed only for ``name == "mnist"``.
    max_samples : int
        ``Settings.max_samples``: the largest ``n_samples`` accepted (and a cap on loaded sets).
    field : str
        Prefix for error field names (``"dataset"`` → ``"dataset.n_samples"``).

    Returns
    -------
    Split

    Raises
    ------
    InputError
        Unknown name, MNIST not configured or unreadable, a value out of bounds, or too few
        samples to give every split at least one.
    """
    req = _parse(spec, max_samples, field)
    info = CATALOGUE[req.name]
    # generation uses default_rng(seed); splitting an independent child stream of the same seed
    rng = np.random.default_rng(np.random.SeedSequence(req.seed).spawn(1)[0])
    pool = _raw_pool(req, mnist_dir, max_samples, field, rng)
    x, y = pool.x, pool.y

    # test: official files (MNIST) or a stratified holdout of the pool
    if pool.test is not None:
        x_test, y_test = pool.test
        rest = np.arange(len(y))
    else:
        n_test = _share(len(y), req.test_fraction)
        if n_test >= len(y):
            raise InputError(
                f"{field}.n_samples", f"{len(y)} samples leave nothing after the test split"
            )
        test_idx, rest = stratified_take(y, n_test, rng)
        x_test, y_test = x[test_idx], y[test_idx]

    # validation: a fraction of what is left, disjoint from test
    n_val = _share(len(rest), req.val_fraction)
    if n_val >= len(rest):
        raise InputError(
            f"{field}.n_samples",
            f"{len(y)} samples leave no training data after the test and validation splits",
        )
    val_pos, train_pos = stratified_take(y[rest], n_val, rng)
    val_idx, train_idx = rest[val_pos], rest[train_pos]
    if req.train_limit is not None and req.train_limit < len(train_idx):
        keep, _ = stratified_take(y[train_idx], req.train_limit, rng)
        train_idx = train_idx[keep]

    # standardise with training statistics only (images: per-pixel mean, one shared std)
    mean, std = _moments(x[train_idx], pool.scale, per_feature=info.kind != "image")
    return Split(
        x_train=_standardise(x[train_idx], mean, std, pool.scale),
        y_train=y[train_idx],
        x_val=_standardise(x[val_idx], mean, std, pool.scale),
        y_val=y[val_idx],
        x_test=_standardise(x_test, mean, std, pool.scale),
        y_test=y_test,
        n_features=int(x.shape[1]),
        n_classes=len(pool.class_names),
        class_names=list(pool.class_names),
        is_2d=info.kind == "2d",
        mean=mean,
        std=std,
        raw_bounds=_bounds(x) if info.kind == "2d" else None,
        name=req.name,
        kind=info.kind,
        image_shape=pool.image_shape,
    )


def preview_dataset(
    spec: dict[str, Any],
    mnist_dir: Path | str | None = None,
    max_samples: int = DEFAULT_MAX_SAMPLES,
    limit: int = 200,
    *,
    field: str = "dataset",
) -> dict[str, Any]:
    """A few raw samples to show on the page (no splitting, no standardisation).

    Parameters
    ----------
    spec : dict
        As for ``load_dataset`` (only name, n_samples, noise, classes, seed matter).
    limit : int
        Most samples returned; images are further capped at ``PREVIEW_MAX_IMAGES``.

    Returns
    -------
    dict
        Always ``id``, ``kind``, ``class_names``, ``n_total``, ``label`` [m]. Plus, for 2-D sets,
        ``x`` [m], ``y`` [m] and ``bounds`` {"x": [lo, hi], "y": [lo, hi]}; for images,
        ``image_shape`` [rows, cols], ``value_range`` [lo, hi] and ``images`` [m][rows][cols];
        for tables, ``feature_names`` [d] and ``rows`` [m][d].
    """
    req = _parse(spec, max_samples, field)
    info = CATALOGUE[req.name]
    pool = _raw_pool(req, mnist_dir, max_samples, field, np.random.default_rng(req.seed))
    x, y = pool.x, pool.y
    out: dict[str, Any] = {
        "id": req.name,
        "kind": info.kind,
        "class_names": pool.class_names,
        "n_total": len(y),
    }
    if info.kind == "2d":
        m = min(limit, len(y))
        (x0, x1), (y0, y1) = _bounds(x)
        out.update(
            x=x[:m, 0].round(5).tolist(),
            y=x[:m, 1].round(5).tolist(),
            label=y[:m].tolist(),
            bounds={"x": [x0, x1], "y": [y0, y1]},
        )
    elif info.kind == "image":
        # cycle through the classes (first of each class, then second, …) so every digit shows
        m = min(limit, PREVIEW_MAX_IMAGES, len(y))
        order = np.lexsort((y, _rank_within_class(y)))[:m]
        shape = pool.image_shape or (int(math.isqrt(x.shape[1])),) * 2
        out.update(
            image_shape=list(shape),
            value_range=[0, 16] if req.name == "digits" else [0, 255],
            images=x[order].reshape(m, *shape).astype(int).tolist(),
            label=y[order].tolist(),
        )
    else:
        m = min(limit, len(y))
        out.update(
            feature_names=pool.feature_names,
            rows=np.asarray(x[:m], dtype=np.float64).round(4).tolist(),
            label=y[:m].tolist(),
        )
    return out


def _rank_within_class(y: np.ndarray) -> np.ndarray:
    """For each sample, how many earlier samples share its class (0 for the first of each)."""
    rank = np.empty(len(y), dtype=np.int64)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        rank[members] = np.arange(len(members))
    return rank
