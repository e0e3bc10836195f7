"""The catalogue: static facts about every data set, and the list ``GET /api/datasets`` shows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.datasets import idx


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


MNIST_HINT = {
    "en": "To enable MNIST, upload its four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
    't10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, plain or .gz) under "Your own data" (they appear as '
    '"MNIST (uploaded)"), or have the server started with PLAYGROUND_MNIST_DIR set to the folder holding them.',
    "ko": 'MNIST를 쓰려면 "내 데이터"에서 IDX 파일 네 개(train-images-idx3-ubyte, train-labels-idx1-ubyte, '
    "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, 압축 안 된 파일 또는 .gz)를 올리거나 "
    '("MNIST (uploaded)"로 나타남), 그 파일들이 있는 폴더를 PLAYGROUND_MNIST_DIR로 지정해 서버를 시작하세요.',
}
"""How to enable MNIST (``hint`` of its ``GET /api/datasets`` entry)."""


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
    sizes then come from the file headers; its ``hint`` {en, ko} says how to enable it. Uploaded
    sets are listed by ``app.core.datasets.store.upload_entries``.
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
                "hint": MNIST_HINT if info.id == "mnist" else None,
                "uploaded": False,
            }
        )
    return out
