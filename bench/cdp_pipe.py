"""Chromium driven over ``--remote-debugging-pipe`` with no DevTools domain the page would pay for.

Why not Playwright for page-load timing: Playwright turns on the DevTools ``Runtime`` domain in
every page (for console messages and its own scripts). With it on, V8 captures stack traces with
source positions, and re-parses large functions to find them: Plotly's 1.5 MB bundle runs in
~730 ms instead of ~320 ms (same machine, same page, measured 2026-12-02; ``Page`` and
``Network`` alone cost nothing comparable). A student's browser has no DevTools attached, so the
page-load bench drives Chromium itself: Chrome DevTools Protocol messages over the pipe
(file descriptors 3 and 4, each message JSON followed by a NUL byte), using only the ``Target``,
``Page``, ``Emulation`` and ``Runtime.evaluate`` (which needs no ``Runtime.enable``) methods, and
``Runtime.enable`` only when asked (``inspector=True``: the figure as Playwright would see it).

Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import time
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]


class Chromium:
    """One headless Chromium; :meth:`send` is one DevTools command and its answer."""

    def __init__(self, executable: str = CHROMIUM, args: list[str] | None = None) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        self._profile = tempfile.TemporaryDirectory(prefix="cdp-pipe-")

        def fds() -> None:  # in the child: the pipe ends at 3 (commands in) and 4 (answers out)
            read_end, write_end = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self._proc = subprocess.Popen(
            [
                executable,
                *(ARGS if args is None else args),
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile.name}",
            ],
            close_fds=False,
            preexec_fn=fds,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._id = 0

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send one command (to the browser, or to an attached page's ``session``) and return its result."""
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._next()
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer["result"]
                return result
            # anything else is an event (Page.*, Network.*): not needed here

    def _next(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def close(self) -> None:
        """Close the browser (and remove its temporary profile)."""
        with contextlib.suppress(OSError, EOFError, RuntimeError):
            self.send("Browser.close")
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()


class ColdPage:
    """A page in a new browser context (empty cache, no cookies): ``with ColdPage(browser, …) as page``."""

    def __init__(
        self,
        browser: Chromium,
        *,
        width: int = 1440,
        height: int = 900,
        init_script: str = "",
        inspector: bool = False,
        network: dict[str, Any] | None = None,
    ) -> None:
        self.browser = browser
        self.context = browser.send("Target.createBrowserContext", {"disposeOnDetach": True})["browserContextId"]
        self.target = browser.send("Target.createTarget", {"url": "about:blank", "browserContextId": self.context})[
            "targetId"
        ]
        self.session = browser.send("Target.attachToTarget", {"targetId": self.target, "flatten": True})["sessionId"]
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.send("Emulation.setDeviceMetricsOverride", metrics)
        self.send("Emulation.setFocusEmulationEnabled", {"enabled": True})
        self.send("Page.enable")  # needed by addScriptToEvaluateOnNewDocument; costs the page nothing measurable
        if init_script:
            self.send("Page.addScriptToEvaluateOnNewDocument", {"source": init_script})
        if inspector:
            self.send("Runtime.enable")
        if network is not None:
            self.send("Network.enable")
            self.send("Network.emulateNetworkConditions", network)

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A command to this page."""
        return self.browser.send(method, params, self.session)

    def goto(self, url: str) -> None:
        """Start navigating to ``url`` (returns at once)."""
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (by value; promises are awaited)."""
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression}: {answer['exceptionDetails'].get('text')}")
        return answer["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 120.0, poll: float = 0.05) -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(expression)
            time.sleep(poll)

    def __enter__(self) -> ColdPage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})
        self.browser.send("Target.disposeBrowserContext", {"browserContextId": self.context})
