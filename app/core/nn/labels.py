"""Display names {en, ko} of the activation and initialiser ids (served by GET /api/training/catalogue)."""

from __future__ import annotations

ACTIVATION_LABELS: dict[str, dict[str, str]] = {
    "sigmoid": {"en": "sigmoid", "ko": "시그모이드"},
    "tanh": {"en": "tanh", "ko": "tanh"},
    "relu": {"en": "ReLU", "ko": "ReLU"},
    "leaky_relu": {"en": "Leaky ReLU", "ko": "Leaky ReLU"},
    "elu": {"en": "ELU", "ko": "ELU"},
}

INIT_LABELS: dict[str, dict[str, str]] = {
    "zeros": {"en": "zeros", "ko": "0으로 초기화"},
    "normal": {"en": "normal (fixed σ)", "ko": "정규분포 (고정 σ)"},
    "xavier_uniform": {"en": "Xavier uniform", "ko": "Xavier 균등분포"},
    "xavier_normal": {"en": "Xavier normal", "ko": "Xavier 정규분포"},
    "he_uniform": {"en": "He uniform", "ko": "He 균등분포"},
    "he_normal": {"en": "He normal", "ko": "He 정규분포"},
    "lecun_normal": {"en": "LeCun normal (textbook Xavier)", "ko": "LeCun 정규분포 (교재의 Xavier)"},
}
