"""Size bounds for a custom expression."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ExpressionLimits:
    """Size bounds for a custom expression (the API fills them from ``Settings``)."""

    max_length: int = 500
    max_depth: int = 40
    max_nodes: int = 400
    max_exponent: float = 100.0

    @classmethod
    def from_settings(cls, settings: Any) -> ExpressionLimits:
        """Read ``max_expression_length/depth/nodes`` from any settings-like object."""
        return cls(
            max_length=int(settings.max_expression_length),
            max_depth=int(settings.max_expression_depth),
            max_nodes=int(settings.max_expression_nodes),
        )
