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
    # Other worker processes write and rename their own files meanwhile: only finished files
    # (``t-<16 hex>.npz``, not ``….tmp.npz``) count, and one that vanishes while listed is skipped.
    # The file just written always stays; of the others, the newest keep − 1.
    stamped: list[tuple[int, Path]] = []
    for path in folder.glob("t-*.npz"):
        if not TRAJECTORY_ID.fullmatch(path.stem) or path.stem == trajectory_id:
            continue
        try:
            stamped.append((path.stat().st_mtime_ns, path))
        except FileNotFoundError:
            continue
    stamped.sort()
    for _, old in stamped[: max(0, len(stamped) - (keep - 1))]:
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
