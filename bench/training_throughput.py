"""Training throughput (samples/s) of a 64-100-100-100-100-10 MLP, batch 100, on the digits.

Prints the figure without telemetry and with a telemetry frame (256-sample histograms of every
layer + validation metrics) every 10, 25, 50 (the API default) and 100 steps at a *fixed* interval
(``telemetry.adaptive`` off, so this is the raw cost of frames; ``bench/telemetry_cost.py``
measures the adaptive budget); target: at the default, telemetry costs < 10 %.

Reference: the same network (ReLU, He init, Adam, batch 100, the same digits split) trained on
the CPU by PyTorch (``torch==2.13.0``, the ``bench`` extra) with one thread — as our BLAS gets —
measured in the same run, interleaved with ours; prints ours / PyTorch as a ratio (> 1: faster).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from app.core.datasets import load_dataset
from app.core.nn.training import train

EPOCHS = 40
DEFAULT_INTERVAL = 50  # the API's default telemetry.interval
CONFIG: dict[str, Any] = {
    "label": "bench",
    "dataset": {"name": "digits", "seed": 0, "val_fraction": 0.2, "test_fraction": 0.2},
    "model": {
        "hidden": [100, 100, 100, 100],
        "activation": "relu",
        "init": "he_normal",
        "batch_norm": False,
        "dropout": 0.0,
    },
    "regularization": {"l2": 0.0, "l1": 0.0},
    "optimizer": {"optimizer": "adam", "params": {"lr": 0.001}, "schedule": None, "clip": None},
    "batch_size": 100,
    "epochs": EPOCHS,
    "seed": 0,
    "early_stopping": None,
    "telemetry": {"interval": 10, "bins": 30, "sample_size": 256, "adaptive": False},  # the API default sample
}
TORCH_VERSION = "2.13.0"


def timed_run(interval: int) -> tuple[float, int, float]:
    """One training run: seconds, metrics frames, and seconds spent building those frames."""
    cfg = {**CONFIG, "telemetry": {**CONFIG["telemetry"], "interval": interval}}
    log: list[str] = []
    t = time.perf_counter()
    summary = train(cfg, lambda kind, _p: log.append(kind), lambda: False)
    return time.perf_counter() - t, log.count("metrics"), summary["telemetry_seconds"]


REPEATS = 7


def measure(intervals: tuple[int, ...], repeats: int = REPEATS) -> dict[int, tuple[float, int, float]]:
    """Best run per interval; the configurations are interleaved so drift hits all alike."""
    best: dict[int, tuple[float, int, float]] = {}
    for _ in range(repeats):
        for interval in intervals:
            run = timed_run(interval)
            if interval not in best or run[0] < best[interval][0]:
                best[interval] = run
    return best


def torch_trainer() -> Callable[[], tuple[float, float]] | None:
    """A function that trains the same network in PyTorch on one CPU thread and returns its
    samples/s by the wall clock and by the process's CPU time, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    split = load_dataset(CONFIG["dataset"], None)
    x = torch.tensor(np.asarray(split.x_train, dtype=np.float32))
    y = torch.tensor(np.asarray(split.y_train, dtype=np.int64))

    def run() -> tuple[float, float]:
        torch.manual_seed(0)
        layers: list[torch.nn.Module] = []
        sizes = [x.shape[1], 100, 100, 100, 100]
        for a, b in itertools.pairwise(sizes):
            linear = torch.nn.Linear(a, b)
            torch.nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")  # He, as ours
            torch.nn.init.zeros_(linear.bias)
            layers += [linear, torch.nn.ReLU()]
        net = torch.nn.Sequential(*layers, torch.nn.Linear(100, 10))
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        t, cpu = time.perf_counter(), time.process_time()
        for _ in range(EPOCHS):
            perm = torch.randperm(len(x))
            for i in range(0, len(x), 100):
                idx = perm[i : i + 100]
                opt.zero_grad()
                loss_fn(net(x[idx]), y[idx]).backward()
                opt.step()
        samples = len(x) * EPOCHS
        return samples / (time.perf_counter() - t), samples / (time.process_time() - cpu)

    return run


def main() -> None:
    n_train = len(load_dataset(CONFIG["dataset"], None).y_train)
    off = 10**6  # only the frame at initialisation
    intervals = (off, 10, 25, DEFAULT_INTERVAL, 100)
    best = measure(intervals)
    without = n_train * EPOCHS / best[off][0]
    print(
        f"MLP 64-100-100-100-100-10, batch 100, {EPOCHS} epochs on digits, "
        f"{n_train} training samples (NumPy {np.__version__})"
    )
    print(f"  without telemetry: {without:12,.0f} samples/s")
    print("  cost = time building frames / time training (measured inside the run); in brackets the")
    print("  wall-clock slowdown against the run without telemetry (noisier: both runs vary by a few %)")
    for interval in intervals[1:]:
        seconds, frames, tel = best[interval]
        rate = n_train * EPOCHS / seconds
        cost = tel / (seconds - tel)
        slowdown = seconds / best[off][0] - 1
        mark = " (API default)" if interval == DEFAULT_INTERVAL else ""
        verdict = "meets" if cost < 0.10 else "misses"
        print(
            f"  telemetry every {interval:3d} steps{mark}: {rate:10,.0f} samples/s, {frames:2d} frames "
            f"of {(tel / frames) * 1e3:.1f} ms, cost {cost * 100:5.1f} % [{slowdown * 100:+5.1f} %] ({verdict} < 10 %)"
        )
    trainer = torch_trainer()
    if trainer is None:
        print(f"  PyTorch not installed (pip install torch=={TORCH_VERSION}, the bench extra): no reference ratio")
        return
    import torch

    # Interleaved with ours (no telemetry), best of each, so load on the machine hits both alike;
    # by the wall clock and by CPU time (steadier when other processes share the cores).
    ours, ours_cpu, ref, ref_cpu = 0.0, 0.0, 0.0, 0.0
    for _ in range(REPEATS):
        cpu = time.process_time()
        seconds = timed_run(off)[0]
        ours = max(ours, n_train * EPOCHS / seconds)
        ours_cpu = max(ours_cpu, n_train * EPOCHS / (time.process_time() - cpu))
        wall_rate, cpu_rate = trainer()
        ref, ref_cpu = max(ref, wall_rate), max(ref_cpu, cpu_rate)
    print(
        f"  PyTorch {torch.__version__} CPU, 1 thread: {ref:12,.0f} samples/s; ours (no telemetry, 1 BLAS thread) "
        f"{ours:,.0f} samples/s; ours / PyTorch = {ours / ref:.2f} by the wall clock, "
        f"{ours_cpu / ref_cpu:.2f} by CPU time"
    )


if __name__ == "__main__":
    main()
