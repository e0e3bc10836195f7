"""Cold page loads in Chromium: time to the first contour on ``/`` and to the first chart on ``/training``.

Two servers run side by side: this tree (``after``) and a reference commit exported from git with
``git archive`` (``before``, default :data:`REFERENCE`, the commit before the transfer work), both
from the same virtual environment. Each load uses a fresh browser context (empty cache, no
cookies), alternating between the servers so that load on the shared machine hits both alike; the
script prints medians and the ratio after / before. ``--throttle`` adds a run over an emulated
10 Mbit/s, 20 ms link (Chrome DevTools network conditions).

What "first contour" means: the Optimizer Lab's surface plot (``#main-surface``) holds a drawn
Plotly contour path. "First chart" on the Training Lab: a Plotly chart in its workspace has drawn
its axes. Times are ``performance.now()`` in the page, i.e. from the start of the navigation.

Usage: ``python bench/page_load.py [--loads 5] [--reference REF] [--throttle]``. Needs
``/usr/bin/chromium`` and Playwright (the test extra).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
REFERENCE = "94359da"
"""The commit before the lean-transfer work (plotly uncompressed, no caching)."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]

FIRST_CONTOUR = """() => {
  const surface = document.querySelector('#main-surface');
  const path = surface && !surface.hidden && surface.querySelector('g.contourlayer path');
  return path ? performance.now() : false;
}"""
FIRST_CHART = """() => {
  const axes = document.querySelector('#training-lab .js-plotly-plot .xaxislayer-above text');
  return axes ? performance.now() : false;
}"""
PAGES = {"/": FIRST_CONTOUR, "/training": FIRST_CHART}

THROTTLE = {"offline": False, "latency": 20, "downloadThroughput": 10e6 / 8, "uploadThroughput": 10e6 / 8}
"""10 Mbit/s both ways, 20 ms round trip (a classroom's shared Wi-Fi)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def _server(tree: Path, data_dir: Path) -> Iterator[str]:
    """``python -m app`` from ``tree`` on a free port; yields its base URL once /api/health answers."""
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "PLAYGROUND_ENV_FILE": os.devnull,
        "PLAYGROUND_DATA_DIR": str(data_dir),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server from {tree} did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _export(ref: str, target: Path) -> Path:
    """The tree of commit ``ref`` unpacked into ``target`` (``git archive``)."""
    archive = target / "ref.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), ref], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target / "tree", filter="data")
    return target / "tree"


def _load(browser: Any, url: str, probe: str, throttle: bool) -> tuple[float, int]:
    """Milliseconds from navigation start to ``probe`` being true, and bytes transferred."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        if throttle:
            cdp.send("Network.emulateNetworkConditions", THROTTLE)
        received = [0]
        cdp.on(
            "Network.loadingFinished", lambda ev: received.__setitem__(0, received[0] + int(ev["encodedDataLength"]))
        )
        page.goto(url, wait_until="commit")
        ms = float(page.wait_for_function(probe, polling="raf", timeout=120_000).json_value())
        return ms, received[0]
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="cold loads per page and server (default 5)")
    parser.add_argument("--reference", default=REFERENCE, help=f"git commit to compare with (default {REFERENCE})")
    parser.add_argument("--throttle", action="store_true", help="also load over an emulated 10 Mbit/s, 20 ms link")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="page-load-") as tmp:
        before_tree = _export(args.reference, Path(tmp))
        (Path(tmp) / "data-before").mkdir()
        (Path(tmp) / "data-after").mkdir()
        with (
            _server(before_tree, Path(tmp) / "data-before") as before,
            _server(REPO, Path(tmp) / "data-after") as after,
            sync_playwright() as pw,
        ):
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                for path, base in ((p, b) for p in PAGES for b in (before, after)):
                    _load(browser, base + path, PAGES[path], False)  # warm the servers (imports, caches)
                links = [False, True] if args.throttle else [False]
                for throttle in links:
                    link = "10 Mbit/s, 20 ms" if throttle else "loopback"
                    for path, probe in PAGES.items():
                        times: dict[str, list[float]] = {"before": [], "after": []}
                        sizes: dict[str, int] = {}
                        for _ in range(args.loads):
                            for name, base in (("before", before), ("after", after)):
                                ms, size = _load(browser, base + path, probe, throttle)
                                times[name].append(ms)
                                sizes[name] = size
                        b, a = statistics.median(times["before"]), statistics.median(times["after"])
                        what = "first contour" if path == "/" else "first chart"
                        print(
                            f"page load {path:9s} {link:16s}: {what} after {a:6.0f} ms (before {b:6.0f} ms, "
                            f"ratio {a / b:.2f}; {args.loads} cold loads, median); "
                            f"transferred {sizes['after'] / 1e6:.2f} MB (before {sizes['before'] / 1e6:.2f} MB)"
                        )
            finally:
                browser.close()


if __name__ == "__main__":
    main()
