"""Loss landscapes of training runs: finding a run's weights and data, computing the plane (docs/landscape.md)."""
