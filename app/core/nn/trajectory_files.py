"""Where weight trajectories are stored: ``<data_dir>/trajectories/<trajectory_id>.npz`` (docs/landscape.md)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from app.core.datasets.store import default_data_dir
from app.core.nn.landscape import StoredTrajectory, WeightTrajectory, load_trajectory

#: ``t-`` and 16 hex digits.
TRAJECTORY_ID = re.compile(r"t-[0-9a-f]{16}")


def trajectories_dir(data_dir: Path | str | None) -> Path:
    """``<data_dir>/trajectories`` (``data_dir`` unset: the default data folder)."""
    return (Path(data_dir) if data_dir else default_data_dir()) / "trajectories"


def save_trajectory(trajectory: WeightTrajectory, data_dir: Path | str | None, keep: int) -> str:
    """Write ``trajectory`` under a new id and return the id; only the newest ``keep`` files are kept."""
    folder = trajectories_dir(data_dir)
    trajectory_id = f"t-{secrets.token_hex(8)}"
    trajectory.save(folder / f"{trajectory_id}.npz")
    files = sorted(folder.glob("t-*.npz"), key=lambda p: p.stat().st_mtime)
    for old in files[: max(0, len(files) - keep)]:
        old.unlink(missing_ok=True)
    return trajectory_id


def open_trajectory(data_dir: Path | str | None, trajectory_id: str) -> StoredTrajectory | None:
    """The stored trajectory, or None when the id is malformed or its file is gone."""
    if not TRAJECTORY_ID.fullmatch(trajectory_id):
        return None
    path = trajectories_dir(data_dir) / f"{trajectory_id}.npz"
    if not path.is_file():
        return None
    return load_trajectory(path)
