"""Data sets and splits (app.core.datasets): sizes, disjointness, train-only standardisation,
seeding, the geometry of the generated sets, and MNIST end to end on tiny IDX files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.core import datasets
from app.core.datasets import (
    blobs,
    circles,
    list_datasets,
    load_dataset,
    moons,
    preview_dataset,
    spiral,
    split,
    stratified_take,
    xor,
)
from app.core.datasets.idx import write_idx
from app.core.errors import InputError

# Class counts of the UCI 8×8 digits as published (sklearn's load_digits documents the same).
DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def _rows(split: datasets.Split, part: str) -> set[tuple[float, ...]]:
    """Raw rows of one split (inverse-standardised, rounded) as a set for overlap checks."""
    raw = split.inverse_transform(getattr(split, f"x_{part}"))
    return {tuple(r) for r in np.round(raw, 4)}


# --- shipped data ---------------------------------------------------------------------------


def test_shipped_files_hold_the_uci_sets() -> None:
    with np.load(datasets.DATA_DIR / "digits.npz", allow_pickle=False) as d:
        assert d["x"].shape == (1797, 64) and d["x"].dtype == np.uint8
        assert d["x"].min() == 0 and d["x"].max() == 16
        assert np.bincount(d["y"]).tolist() == DIGIT_COUNTS
        assert d["class_names"].tolist() == [str(k) for k in range(10)]
    with np.load(datasets.DATA_DIR / "iris.npz", allow_pickle=False) as d:
        assert d["x"].shape == (150, 4) and d["x"].dtype == np.float32
        assert np.bincount(d["y"]).tolist() == [50, 50, 50]
        assert d["class_names"].tolist() == ["setosa", "versicolor", "virginica"]
        # first flower of Fisher's table: 5.1, 3.5, 1.4, 0.2 (setosa)
        np.testing.assert_allclose(d["x"][0], [5.1, 3.5, 1.4, 0.2], rtol=1e-6)
    assert (datasets.DATA_DIR / "digits.npz").stat().st_size < 100_000


def test_digits_split_sizes_and_stratification() -> None:
    s = load_dataset({"name": "digits", "seed": 0})
    # test = round(0.2·1797) = 359; val = round(0.2·1438) = 288; train = 1150
    assert s.sizes == {"train": 1150, "val": 288, "test": 359}
    assert (s.n_features, s.n_classes, s.kind, s.image_shape, s.is_2d) == (
        64,
        10,
        "image",
        (8, 8),
        False,
    )
    assert s.x_train.dtype == np.float32 and s.y_train.dtype == np.int64
    total = (
        np.bincount(s.y_train, minlength=10) + np.bincount(s.y_val, minlength=10) + np.bincount(s.y_test, minlength=10)
    )
    assert total.tolist() == DIGIT_COUNTS
    # stratified: each class's test share is within one sample of 20 %
    assert np.all(np.abs(np.bincount(s.y_test, minlength=10) - 0.2 * np.array(DIGIT_COUNTS)) <= 1)
    # raw pixel values come back as integers 0..16
    raw = s.inverse_transform(s.x_test)
    np.testing.assert_allclose(raw, np.round(raw), atol=1e-3)
    assert raw.min() > -1e-3 and raw.max() < 16 + 1e-3


def test_iris_sizes() -> None:
    s = load_dataset({"name": "iris", "val_fraction": 0.25, "test_fraction": 0.2})
    assert s.sizes == {"train": 90, "val": 30, "test": 30}
    assert s.class_names == ["setosa", "versicolor", "virginica"] and s.raw_bounds is None
    assert np.bincount(s.y_test).tolist() == [10, 10, 10]


def test_n_samples_subsamples_a_shipped_set_stratified() -> None:
    s = load_dataset({"name": "digits", "n_samples": 500})
    counts = np.sum([np.bincount(y, minlength=10) for y in (s.y_train, s.y_val, s.y_test)], axis=0)
    assert counts.sum() == 500
    assert np.all(np.abs(counts - 500 * np.array(DIGIT_COUNTS) / 1797) < 1)
    # more than the set holds → the whole set
    assert sum(load_dataset({"name": "iris", "n_samples": 1000}).sizes.values()) == 150


# --- splits ---------------------------------------------------------------------------------


def test_splits_are_disjoint_and_cover_the_generated_points() -> None:
    s = load_dataset({"name": "moons", "n_samples": 400, "noise": 0.2, "seed": 3})
    train, val, test = _rows(s, "train"), _rows(s, "val"), _rows(s, "test")
    assert (len(train), len(val), len(test)) == (256, 64, 80)
    assert not (train & val) and not (train & test) and not (val & test)
    x, _ = moons(400, noise=0.2, seed=3)
    assert train | val | test == {tuple(r) for r in np.round(x, 4)}


def test_train_limit_caps_training_only() -> None:
    base = load_dataset({"name": "digits", "seed": 1})
    lim = load_dataset({"name": "digits", "seed": 1, "train_limit": 300})
    assert lim.sizes == {"train": 300, "val": 288, "test": 359}
    assert np.all(np.abs(np.bincount(lim.y_train) - 30) <= 1)  # stratified
    # validation and test sets are the very same samples; the 300 come from the 1150
    np.testing.assert_array_equal(lim.y_val, base.y_val)
    np.testing.assert_allclose(lim.inverse_transform(lim.x_test), base.inverse_transform(base.x_test), atol=1e-3)
    assert _rows(lim, "train") <= _rows(base, "train")
    # the statistics are those of the 300, so they differ from the full training split's
    assert not np.allclose(lim.mean, base.mean)
    # a limit above the training size changes nothing
    assert load_dataset({"name": "iris", "train_limit": 10_000}).sizes["train"] == 96


def test_standardisation_uses_training_statistics_only() -> None:
    s = load_dataset({"name": "iris", "seed": 2})
    raw_train = s.inverse_transform(s.x_train)
    np.testing.assert_allclose(s.mean, raw_train.mean(axis=0), atol=1e-4)
    np.testing.assert_allclose(s.std, raw_train.std(axis=0), rtol=1e-4)
    np.testing.assert_allclose(s.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(s.x_train.std(axis=0), 1, atol=1e-5)
    # validation and test are transformed with the same μ, σ — so they are not exactly centred
    assert np.abs(s.x_val.mean(axis=0)).max() > 1e-3
    assert np.abs(s.x_test.mean(axis=0)).max() > 1e-3
    # and the statistics are not those of the whole set
    with np.load(datasets.DATA_DIR / "iris.npz") as d:
        assert not np.allclose(s.mean, d["x"].mean(axis=0), atol=1e-4)
    # transform is the same map
    np.testing.assert_allclose(s.transform(raw_train), s.x_train, atol=1e-5)


def test_images_use_pixel_means_and_one_shared_std() -> None:
    s = load_dataset({"name": "digits"})
    np.testing.assert_allclose(s.x_train.mean(axis=0), 0, atol=1e-5)
    assert np.ptp(s.std) == 0  # one σ for all pixels
    assert s.x_train.std() == pytest.approx(1.0, abs=1e-4)
    # pixel (0, 0) is blank in every digit: constant 0 after centring, never NaN
    assert np.all(s.x_train[:, 0] == 0) and np.all(np.isfinite(s.x_test))


def test_constant_feature_gets_unit_std() -> None:
    x = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    mean, std = split._moments(x, 1.0, per_feature=True)
    np.testing.assert_allclose(mean, [4.5, 3.0])
    np.testing.assert_allclose(std, [np.sqrt(8.25), 1.0])  # var of 0..9 = 8.25; σ = 0 → 1


def test_stratified_take_exact_total_and_proportions() -> None:
    y = np.repeat([0, 1, 2], [50, 30, 20])
    taken, rest = stratified_take(y, 25, np.random.default_rng(0))
    assert len(taken) == 25 and len(rest) == 75
    assert sorted(np.concatenate([taken, rest]).tolist()) == list(range(100))
    # quotas 12.5 / 7.5 / 5: floors 12 + 7 + 5 = 24, the spare pick goes to the tied largest
    # remainder (0.5) of the first class
    assert np.bincount(y[taken]).tolist() == [13, 7, 5]


# --- seeding --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["digits", "spiral", "moons", "circles", "xor", "blobs"])
def test_same_seed_same_data_different_seed_different(name: str) -> None:
    a = load_dataset({"name": name, "seed": 5})
    b = load_dataset({"name": name, "seed": 5})
    c = load_dataset({"name": name, "seed": 6})
    for part in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, part), getattr(b, part))
    assert not np.array_equal(a.x_train, c.x_train)


# --- generated sets -------------------------------------------------------------------------


def test_generated_sizes_and_classes() -> None:
    x, y = spiral(503, classes=5, noise=0.2, seed=0)
    assert x.shape == (503, 2) and np.bincount(y).tolist() == [101, 101, 101, 100, 100]
    x, y = blobs(100, classes=7, seed=0)
    assert np.bincount(y).tolist() == [15, 15] + [14] * 5
    for gen in (moons, circles, xor):
        x, y = gen(101, seed=0)
        assert x.shape == (101, 2) and set(np.unique(y)) == {0, 1}
    s = load_dataset({"name": "spiral", "n_samples": 300, "classes": 4})
    assert s.n_classes == 4 and s.class_names == ["0", "1", "2", "3"] and s.is_2d
    # classes is ignored for sets with a fixed number of classes
    assert load_dataset({"name": "moons", "classes": 5}).n_classes == 2


def test_xor_labels_are_the_sign_product_before_noise() -> None:
    x, y = xor(1000, noise=0.0, seed=0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] > 0).astype(int))
    assert np.abs(x).max() <= 1.0
    # with noise the labels stay those of the clean points: some now sit in the other quadrant
    xn, yn = xor(1000, noise=0.2, seed=0)
    np.testing.assert_array_equal(yn, y)
    agree = np.mean(yn == (xn[:, 0] * xn[:, 1] > 0))
    assert 0.7 < agree < 0.99


def test_circles_radii_and_not_linearly_separable() -> None:
    x, y = circles(400, noise=0.0, seed=0)
    r = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.5)
    xn, yn = circles(400, noise=0.05, seed=0)
    assert np.mean((np.hypot(xn[:, 0], xn[:, 1]) < 0.75) == (yn == 1)) > 0.99  # radius separates
    # the best least-squares line is near chance
    a = np.column_stack([xn, np.ones(len(xn))])
    w, *_ = np.linalg.lstsq(a, 2.0 * yn - 1, rcond=None)
    assert np.mean((a @ w > 0) == (yn == 1)) < 0.65


def test_moons_lie_on_their_half_circles() -> None:
    x, y = moons(300, noise=0.0, seed=0)
    a, b = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(a[:, 0], a[:, 1]), 1.0)
    assert np.all(a[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(b[:, 0] - 1.0, b[:, 1] - 0.5), 1.0)
    assert np.all(b[:, 1] <= 0.5 + 1e-12)


def test_spiral_arms_follow_the_formula() -> None:
    # noise-free arm k: angle atan2(x, y) ≡ 4r + 2πk/K (mod 2π), so k is recoverable from a point
    k_arms = 4
    x, y = spiral(400, classes=k_arms, noise=0.0, seed=0)
    r = np.hypot(x[:, 0], x[:, 1])
    assert r.max() == pytest.approx(1.0) and r.min() == 0.0
    theta = np.arctan2(x[:, 0], x[:, 1])
    k = np.round((theta - 4 * r) * k_arms / (2 * np.pi)) % k_arms
    keep = r > 0
    np.testing.assert_array_equal(k[keep], y[keep])


def test_blobs_centres_and_nearest_centre_accuracy() -> None:
    x, y = blobs(900, classes=3, noise=0.3, seed=0)
    angle = 2 * np.pi * np.arange(3) / 3
    centres = 2 * np.column_stack([np.cos(angle), np.sin(angle)])
    for k in range(3):
        np.testing.assert_allclose(x[y == k].mean(axis=0), centres[k], atol=0.06)  # 3σ/√300 ≈ 0.05
        assert x[y == k].std(axis=0) == pytest.approx([0.3, 0.3], abs=0.04)
    nearest = np.argmin(((x[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    assert np.mean(nearest == y) > 0.99


def test_raw_bounds_contain_every_point_with_margin() -> None:
    s = load_dataset({"name": "blobs", "n_samples": 200})
    assert s.raw_bounds is not None
    (x0, x1), (y0, y1) = s.raw_bounds
    for part in ("train", "val", "test"):
        raw = s.inverse_transform(getattr(s, f"x_{part}"))
        assert np.all((raw[:, 0] > x0) & (raw[:, 0] < x1) & (raw[:, 1] > y0) & (raw[:, 1] < y1))
    # a raw grid point maps to model inputs with the training statistics
    np.testing.assert_allclose(
        s.transform(np.array([[x0, y0]])),
        [[(x0 - s.mean[0]) / s.std[0], (y0 - s.mean[1]) / s.std[1]]],
        rtol=1e-5,
    )


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        ({"name": "cifar"}, "dataset.name", "unknown data set 'cifar'"),
        ({}, "dataset.name", "unknown data set None"),
        ({"name": "mnist"}, "dataset.name", "PLAYGROUND_MNIST_DIR is not set"),
        ({"name": "moons", "n_samples": 5}, "dataset.n_samples", "between 10 and 1000"),
        (
            {"name": "moons", "n_samples": 1001},
            "dataset.n_samples",
            "between 10 and 1000, got 1001",
        ),
        ({"name": "moons", "n_samples": 50.5}, "dataset.n_samples", "integer"),
        ({"name": "moons", "n_samples": True}, "dataset.n_samples", "integer"),
        ({"name": "moons", "noise": -0.1}, "dataset.noise", "[0.0, 5.0]"),
        ({"name": "moons", "noise": float("nan")}, "dataset.noise", "[0.0, 5.0]"),
        ({"name": "spiral", "classes": 11}, "dataset.classes", "between 2 and 10"),
        ({"name": "blobs", "classes": 1}, "dataset.classes", "between 2 and 10"),
        ({"name": "iris", "seed": -1}, "dataset.seed", "between 0"),
        ({"name": "iris", "train_limit": 0}, "dataset.train_limit", "at least 1"),
        ({"name": "iris", "val_fraction": -0.1}, "dataset.val_fraction", "[0.0, 0.9]"),
        ({"name": "iris", "test_fraction": 0.95}, "dataset.test_fraction", "[0.0, 0.9]"),
        ({"name": "iris", "test_fraction": "a lot"}, "dataset.test_fraction", "number"),
    ],
)
def test_bad_specs_name_the_field(spec: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        load_dataset(spec, None, max_samples=1000)
    assert info.value.field == field
    assert message in info.value.message


def test_zero_fractions_give_empty_splits() -> None:
    s = load_dataset({"name": "iris", "val_fraction": 0, "test_fraction": 0})
    assert s.sizes == {"train": 150, "val": 0, "test": 0}
    assert s.x_val.shape == (0, 4) and s.x_test.shape == (0, 4) and s.y_val.dtype == np.int64
    s = load_dataset({"name": "iris", "val_fraction": 0.0})
    assert s.sizes == {"train": 120, "val": 0, "test": 30}


def test_too_few_samples_for_the_fractions() -> None:
    with pytest.raises(InputError) as info:
        load_dataset({"name": "xor", "n_samples": 10, "val_fraction": 0.9, "test_fraction": 0.9})
    assert info.value.field == "dataset.n_samples"
    # the smallest allowed set still gives every split at least one sample
    assert min(load_dataset({"name": "xor", "n_samples": 10}).sizes.values()) >= 1


def test_field_prefix_is_configurable() -> None:
    with pytest.raises(InputError) as info:
        load_dataset({"name": "xor", "noise": 9}, field="configs.1.dataset")
    assert info.value.field == "configs.1.dataset.noise"


# --- MNIST ----------------------------------------------------------------------------------


def _tiny_mnist(folder: Path, n_train: int = 100, n_test: int = 30, gz: bool = True) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(7)
    arrays = (
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        (np.arange(n_train) % 10).astype(np.uint8),
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        (np.arange(n_test) % 10).astype(np.uint8),
    )
    ext = ".gz" if gz else ""
    names = (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    )
    for name, array in zip(names, arrays, strict=True):
        write_idx(folder / (name + ext), array)
    return arrays


def test_mnist_end_to_end_on_tiny_idx_files(tmp_path: Path) -> None:
    x_tr, _y_tr, x_te, y_te = _tiny_mnist(tmp_path)
    s = load_dataset({"name": "mnist", "seed": 0}, tmp_path)
    # the official test files are the test split; val = 20 % of the training files
    assert s.sizes == {"train": 80, "val": 20, "test": 30}
    assert (s.n_features, s.n_classes, s.image_shape, s.kind) == (784, 10, (28, 28), "image")
    # flattened 28×28 → 784 and scaled to [0, 1] before standardising
    raw_test = s.inverse_transform(s.x_test)
    expected = {tuple(r) for r in np.round(x_te.reshape(30, 784) / 255.0, 4)}
    assert {tuple(r) for r in np.round(raw_test, 4)} == expected
    assert sorted(s.y_test.tolist()) == sorted(y_te.tolist())
    # statistics are those of the 80 training images, in [0, 1] units
    raw_train = s.inverse_transform(s.x_train)
    np.testing.assert_allclose(s.mean, raw_train.mean(axis=0), atol=1e-5)
    # pixels uniform on 0..255, scaled by 1/255: mean 0.5, std √((256² − 1)/12)/255 ≈ 0.2898
    assert s.mean.mean() == pytest.approx(0.5, abs=0.02)
    assert s.std[0] == pytest.approx(np.sqrt((256**2 - 1) / 12) / 255, abs=0.01)
    train_rows = {tuple(r) for r in np.round(raw_train, 4)}
    assert train_rows <= {tuple(r) for r in np.round(x_tr.reshape(100, 784) / 255.0, 4)}
    # listing now reports MNIST with its real sizes
    mnist = next(d for d in list_datasets(tmp_path) if d["id"] == "mnist")
    assert mnist["available"] and mnist["n_samples"] == 130 and mnist["n_features"] == 784


def test_mnist_n_samples_and_errors(tmp_path: Path) -> None:
    _tiny_mnist(tmp_path, gz=False)
    s = load_dataset({"name": "mnist", "n_samples": 50, "val_fraction": 0.2}, tmp_path)
    assert s.sizes == {"train": 40, "val": 10, "test": 30}
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x01\x00")
    with pytest.raises(InputError) as info:
        load_dataset({"name": "mnist"}, tmp_path)
    assert info.value.field == "dataset.name" and "magic number" in info.value.message
    with pytest.raises(InputError, match="lacks the IDX files"):
        load_dataset({"name": "mnist"}, tmp_path / "empty")


# --- listing and preview --------------------------------------------------------------------


def test_list_datasets() -> None:
    entries = {d["id"]: d for d in list_datasets(None)}
    assert list(entries) == [
        "digits",
        "iris",
        "spiral",
        "moons",
        "circles",
        "xor",
        "blobs",
        "mnist",
    ]
    d = entries["digits"]
    assert (
        d["kind"],
        d["n_samples"],
        d["n_features"],
        d["n_classes"],
        d["generated"],
        d["available"],
    ) == ("image", 1797, 64, 10, False, True)
    assert (entries["iris"]["n_samples"], entries["iris"]["n_classes"]) == (150, 3)
    assert entries["mnist"]["available"] is False
    assert all(
        entries[k]["generated"] and entries[k]["kind"] == "2d" for k in ("spiral", "moons", "circles", "xor", "blobs")
    )
    assert "classes" in entries["spiral"]["params"] and "classes" not in entries["moons"]["params"]
    assert all(e["name"]["en"] and e["name"]["ko"] for e in entries.values())


def test_preview_matches_the_generator_and_cycles_digit_classes() -> None:
    p = preview_dataset({"name": "moons", "n_samples": 100, "noise": 0.1, "seed": 4}, limit=50)
    x, y = moons(100, noise=0.1, seed=4)
    np.testing.assert_allclose(p["x"], x[:50, 0], atol=1e-5)
    assert p["label"] == y[:50].tolist() and p["n_total"] == 100
    img = preview_dataset({"name": "digits"}, limit=1000)
    assert len(img["images"]) == datasets.PREVIEW_MAX_IMAGES
    assert img["label"][:20] == list(range(10)) * 2
    assert np.array(img["images"]).shape == (64, 8, 8) and np.array(img["images"]).max() <= 16
    tab = preview_dataset({"name": "iris"}, limit=5)
    assert len(tab["rows"]) == 5 and len(tab["feature_names"]) == 4
