"""Cold page loads in Chromium: time to the first contour on ``/`` and to the first chart on ``/training``.

Two servers run side by side: this tree (``after``) and a reference commit exported from git with
``git archive`` (``before``, default :data:`REFERENCE`, the commit before the transfer work), both
from the same virtual environment. Each load uses a fresh browser context (empty cache, no
cookies), alternating between the servers so that load on the shared machine hits both alike; the
script prints medians and the ratio after / before. ``--throttle`` adds a run over an emulated
10 Mbit/s, 20 ms link (Chrome DevTools network conditions).

The browser is Chromium driven over its DevTools pipe with no DevTools domain that changes what
the page costs (``cdp_pipe.py``): a student's browser has no DevTools attached. Until 2026-12-02
this bench drove the pages with Playwright, whose ``Runtime`` domain makes V8 re-parse Plotly's
bundle for stack-trace source positions: Plotly's run took ~730 ms instead of ~320 ms. The
figure as Playwright sees it is printed too (``with DevTools' Runtime domain``), for comparison
with the figures measured before that date.

Below each line: the medians of the main thread's time in long tasks (> 50 ms, Long Tasks API)
before that moment, and of when the page's first ``/api/`` request left (where the time goes).

What "first contour" means: the Optimizer Lab's surface plot (``#main-surface``) holds a drawn
Plotly contour path. "First chart" on the Training Lab: a Plotly chart in its workspace that is
shown (not in a hidden panel) has drawn its axes. (Until 2026-12-02 a hidden chart counted too:
the "draw your own points" plot of the closed upload panel, drawn before the loss chart.) Times
are ``performance.now()`` in the page, i.e. from the start of the navigation.

Usage: ``python bench/page_load.py [--loads 7] [--reference REF] [--throttle]``. Needs
``/usr/bin/chromium``.
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

from cdp_pipe import Chromium, ColdPage

REPO = Path(__file__).resolve().parent.parent
REFERENCE = "94359da"
"""The commit before the lean-transfer work (plotly uncompressed, no caching)."""

FIRST_CONTOUR = """() => {
  const surface = document.querySelector('#main-surface');
  const path = surface && !surface.hidden && surface.querySelector('g.contourlayer path');
  return path ? performance.now() : false;
}"""
FIRST_CHART = """() => {
  const charts = [...document.querySelectorAll('#training-lab .js-plotly-plot')];
  const shown = charts.some((c) => c.offsetParent !== null && c.querySelector('.xaxislayer-above text'));
  return shown ? performance.now() : false;
}"""
PAGES = {"/": FIRST_CONTOUR, "/training": FIRST_CHART}

WATCH = """window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
}).observe({ type: "longtask", buffered: true });
(() => {
  const probe = (%s);
  const check = () => {
    const at = probe();
    if (at) window.__probeAt = at;
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();"""
"""Installed before each load (``%s``: the page's probe, checked at every animation frame): the
main thread's long tasks (> 50 ms, for the breakdown) and the moment the probe first held."""
BREAKDOWN = """(() => {
  const until = window.__probeAt;
  const busy = window.__longTasks.filter(([t]) => t < until).reduce((sum, [, d]) => sum + d, 0);
  const entries = performance.getEntriesByType("resource");
  const api = entries.filter((e) => new URL(e.name).pathname.startsWith("/api/"));
  const bytes = [...performance.getEntriesByType("navigation"), ...entries].reduce((sum, e) => sum + e.transferSize, 0);
  return [until, busy, api.length ? Math.min(...api.map((e) => e.startTime)) : NaN, bytes];
})()"""
"""When the probe held, main-thread time in long tasks before it, when the page's first API
request left, and the bytes transferred (navigation and resources, headers included)."""

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


def _load(browser: Chromium, url: str, probe: str, throttle: bool, inspector: bool) -> tuple[float, int, float, float]:
    """Milliseconds from navigation start to ``probe`` being true, bytes transferred, and the breakdown.

    The breakdown (:data:`BREAKDOWN`): milliseconds of main-thread long tasks before the probe
    fired (mostly Plotly's run and its first draws) and the time the first ``/api/`` request left.
    ``inspector``: with DevTools' ``Runtime`` domain on, as Playwright has it.
    """
    network = THROTTLE if throttle else None
    with ColdPage(browser, init_script=WATCH % probe, inspector=inspector, network=network) as page:
        page.goto(url)
        page.wait_for("window.__probeAt")
        ms, busy, first_api, size = page.evaluate(BREAKDOWN)
        return float(ms), int(size), float(busy), float(first_api)


def _measure(
    browser: Chromium, servers: dict[str, str], path: str, *, loads: int, throttle: bool, inspector: bool
) -> str:
    """``loads`` cold loads of ``path`` per server, alternating; the lines that report them."""
    probe = PAGES[path]
    times: dict[str, list[float]] = {name: [] for name in servers}
    busy: dict[str, list[float]] = {name: [] for name in servers}
    api: dict[str, list[float]] = {name: [] for name in servers}
    sizes: dict[str, int] = {}
    for _ in range(loads):
        for name, base in servers.items():
            ms, size, long_tasks, first_api = _load(browser, base + path, probe, throttle, inspector)
            times[name].append(ms)
            busy[name].append(long_tasks)
            api[name].append(first_api)
            sizes[name] = size
    b, a = statistics.median(times["before"]), statistics.median(times["after"])
    med = {k: (statistics.median(busy[k]), statistics.median(api[k])) for k in busy}
    what = "first contour" if path == "/" else "first chart"
    link = "10 Mbit/s, 20 ms" if throttle else "loopback"
    if inspector:
        return (
            f"    with DevTools' Runtime domain on (as under Playwright): {what} after {a:6.0f} ms "
            f"(before {b:6.0f} ms, ratio {a / b:.2f})"
        )
    return (
        f"page load {path:9s} {link:16s}: {what} after {a:6.0f} ms (before {b:6.0f} ms, "
        f"ratio {a / b:.2f}; {loads} cold loads, median; fastest {min(times['after']):.0f}, "
        f"slowest {max(times['after']):.0f}); "
        f"transferred {sizes['after'] / 1e6:.2f} MB (before {sizes['before'] / 1e6:.2f} MB)\n"
        f"    main thread in long tasks before it {med['after'][0]:6.0f} ms "
        f"(before {med['before'][0]:6.0f} ms); first /api/ request at {med['after'][1]:6.0f} ms "
        f"(before {med['before'][1]:6.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=7, help="cold loads per page and server (default 7)")
    parser.add_argument("--reference", default=REFERENCE, help=f"git commit to compare with (default {REFERENCE})")
    parser.add_argument("--throttle", action="store_true", help="also load over an emulated 10 Mbit/s, 20 ms link")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="page-load-") as tmp:
        before_tree = _export(args.reference, Path(tmp))
        (Path(tmp) / "data-before").mkdir()
        (Path(tmp) / "data-after").mkdir()
        with (
            _server(before_tree, Path(tmp) / "data-before") as before,
            _server(REPO, Path(tmp) / "data-after") as after,
        ):
            servers = {"before": before, "after": after}
            browser = Chromium()
            try:
                for path, base in ((p, b) for p in PAGES for b in (before, after)):
                    _load(browser, base + path, PAGES[path], False, False)  # warm the servers (imports, caches)
                for throttle in [False, True] if args.throttle else [False]:
                    for path in PAGES:
                        print(_measure(browser, servers, path, loads=args.loads, throttle=throttle, inspector=False))
                        if not throttle:
                            print(_measure(browser, servers, path, loads=3, throttle=False, inspector=True))
            finally:
                browser.close()


if __name__ == "__main__":
    main()
