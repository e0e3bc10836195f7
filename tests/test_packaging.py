"""Packaging: the version is written once, the console script, settings isolated from the caller.

The slow test builds the wheel exactly as ``pip install .`` would (with the installed setuptools,
offline), installs it into a fresh virtual environment and serves the pages, static modules, vendored
Plotly.js and shipped data sets from that installation, outside the source tree.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import site
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

import app
from app import cli
from app.api.static_files import Page
from app.config import ENV_FILE_VARIABLE, Settings, get_settings
from app.connections import HeaderTimeoutProtocol

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "app"
SOURCE_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", "*.pyc", "build", "dist", "*.egg-info", ".*_cache", ".env"
)

INNER_TEST = """
import os

from app.config import Settings, get_settings


def test_the_suite_sees_the_default_settings():
    assert "PLAYGROUND_MAX_RUNS" not in os.environ
    assert os.environ["PLAYGROUND_REQUIRE_BROWSER"] == "1"  # the infrastructure's own variable is kept
    settings = get_settings()
    assert (settings.max_runs, settings.max_steps) == (16, 20_000)
    assert Settings() == settings


def test_blas_gets_one_thread_unless_the_caller_chose():
    assert (os.environ["OPENBLAS_NUM_THREADS"], os.environ["OMP_NUM_THREADS"]) == ("1", "3")
"""


def _environment_without_settings() -> dict[str, str]:
    """This process's environment without ``PLAYGROUND_*``, ``PYTHONPATH`` and BLAS thread counts."""
    dropped = {"PYTHONPATH", *cli.BLAS_THREAD_VARIABLES}
    return {k: v for k, v in os.environ.items() if not k.startswith("PLAYGROUND_") and k not in dropped}


def test_version_is_written_once_in_the_package() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "app.__version__"}
    major, minor, patch = (int(part) for part in app.__version__.split("."))
    assert min(major, minor, patch) >= 0


def test_console_script_is_declared() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"] == {"optimizer-playground": "app.cli:main"}


def test_cli_defaults_come_from_the_settings_and_flags_override_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_HOST", "0.0.0.0")
    monkeypatch.setenv("PLAYGROUND_PORT", "9123")
    get_settings.cache_clear()
    try:
        defaults = cli.parse_args([])
        flags = cli.parse_args(["--host", "127.0.0.2", "--port", "8001"])
    finally:
        get_settings.cache_clear()
    assert (defaults.host, defaults.port) == ("0.0.0.0", 9123)
    assert (flags.host, flags.port) == ("127.0.0.2", 8001)


def test_cli_runs_uvicorn_on_the_app_with_a_short_graceful_shutdown(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    servers: list[uvicorn.Server] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *args, **kwargs: servers.append(self))
    cli.main(["--port", "8123"])
    (server,) = servers
    config = server.config
    assert (config.app, config.host, config.port) == ("app.main:app", "127.0.0.1", 8123)
    assert config.timeout_graceful_shutdown == 3
    # On shutdown the server cancels the training jobs first, so open job streams end (issue 9 point 7).
    assert isinstance(server, uvicorn.Server) and type(server).shutdown is not uvicorn.Server.shutdown
    assert config.timeout_keep_alive == 5  # app/connections.py: idle, slow-header and too many connections
    assert config.limit_concurrency is None
    assert issubclass(config.http, HeaderTimeoutProtocol) and config.http.header_timeout == 10.0


def test_cli_version_flag_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.parse_args(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"optimizer-playground {app.__version__}\n"


def test_blas_threads_default_to_one_and_keep_the_callers_choice() -> None:
    environ = {"OPENBLAS_NUM_THREADS": "2", "HOME": "/root"}
    cli.limit_blas_threads(environ)
    assert environ == {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HOME": "/root"}


def test_env_file_variable_names_the_file_the_settings_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("PLAYGROUND_MAX_RUNS=5\nPLAYGROUND_MAX_STEPS=7\n", encoding="utf-8")
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(env_file))
    monkeypatch.setenv("PLAYGROUND_MAX_STEPS", "9")  # the environment beats the file
    settings = Settings()
    assert (settings.max_runs, settings.max_steps) == (5, 9)
    monkeypatch.setenv(ENV_FILE_VARIABLE, "")
    assert Settings().max_runs == 16


def test_tests_ignore_the_callers_playground_variables_and_dotenv(tmp_path: Path) -> None:
    """A pytest run started with PLAYGROUND_MAX_RUNS set and a .env in its folder still sees the defaults.

    The same run gets one BLAS thread where the caller set none (and keeps OMP_NUM_THREADS=3).
    """
    shutil.copy(REPO / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_inner.py").write_text(INNER_TEST, encoding="utf-8")
    (tmp_path / ".env").write_text("PLAYGROUND_MAX_STEPS=3\nPLAYGROUND_MAX_RUNS=4\n", encoding="utf-8")
    env = {
        **_environment_without_settings(),
        "PYTHONPATH": str(REPO),
        "PLAYGROUND_MAX_RUNS": "5",
        "PLAYGROUND_REQUIRE_BROWSER": "1",
        "OMP_NUM_THREADS": "3",
    }
    # Outside the test suite the same environment and .env do apply (environment before .env):
    probe = "from app.config import get_settings; s = get_settings(); print(s.max_runs, s.max_steps)"
    outside = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    assert outside.stdout.split() == ["5", "3"]

    inner = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert inner.returncode == 0, inner.stdout + inner.stderr
    assert "2 passed" in inner.stdout


# --- the installed wheel -------------------------------------------------------------------


def _build_wheel(tmp_path: Path) -> Path:
    """``pip wheel`` of a copy of the source tree (keeps build/ and *.egg-info out of the repo)."""
    source, dist = tmp_path / "source", tmp_path / "dist"
    shutil.copytree(REPO, source, ignore=SOURCE_IGNORE)
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    subprocess.run(
        [*pip_wheel, "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = dist.glob("optimizer_playground-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new venv with the wheel installed; its dependencies come from this interpreter's site-packages.

    Borrowing the dependencies through a ``.pth`` file keeps the test offline and fast; a path
    listed in a ``.pth`` file is only appended to ``sys.path`` (the ``.pth`` files inside it, such
    as this checkout's editable install, are not run), so ``app`` can only come from the wheel.
    """
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "borrowed_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return venv


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        try:
            if _get(f"{base}/api/health")[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    pytest.fail("the installed server did not answer within 30 s:\n" + log.read_text(encoding="utf-8"))


def _package_files() -> list[str]:
    """Every file of the ``app`` package in the source tree, relative to the repository."""
    return sorted(
        path.relative_to(REPO).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


@pytest.mark.slow
def test_wheel_ships_every_package_file_and_serves_the_app_from_a_fresh_venv(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"optimizer_playground-{app.__version__}.dist-info/METADATA").decode()
        entry_points = archive.read(f"optimizer_playground-{app.__version__}.dist-info/entry_points.txt").decode()
    package_files = _package_files()
    assert any(name.startswith("app/static/js/") for name in package_files)
    assert "app/core/datasets/data/digits.npz" in package_files
    assert sorted(set(package_files) - names) == []
    assert f"\nVersion: {app.__version__}\n" in metadata
    assert "optimizer-playground = app.cli:main" in entry_points

    venv = _fresh_venv(tmp_path, wheel)
    workdir = tmp_path / "elsewhere"  # not the source tree: `app` must come from site-packages
    workdir.mkdir()
    env = {**_environment_without_settings(), ENV_FILE_VARIABLE: os.devnull}
    script = venv / "bin" / "optimizer-playground"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import app; print(app.__file__)"],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv)
    version = subprocess.run([str(script), "--version"], env=env, check=True, capture_output=True, text=True)
    assert version.stdout.strip() == f"optimizer-playground {app.__version__}"

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(script), "--port", str(port)], cwd=workdir, env=env, stdout=out, stderr=out)
    try:
        _wait_until_up(base, server, log)
        assert json.loads(_get(f"{base}/api/health")[1]) == {"status": "ok"}
        # the pages as the server writes them: Plotly's versioned URL put in
        for url, name in (("/", "index.html"), ("/training", "training.html")):
            page = Page(PACKAGE / "static" / name)
            assert _get(f"{base}{url}")[1] == page.asset().body, url
        for name in package_files:
            if name.startswith("app/static/"):
                assert _get(f"{base}/{name.removeprefix('app/')}")[1] == (REPO / name).read_bytes(), name
        status, plotly_js = _get(f"{base}/vendor/plotly.min.js")
        assert status == 200 and len(plotly_js) > 1_000_000
        assert _get(f"{base}/docs")[0] == 200
        preview = json.loads(_get(f"{base}/api/datasets/digits/preview?limit=3")[1])  # reads digits.npz
        assert (preview["n_total"], len(preview["images"])) == (1797, 3)
    finally:
        server.send_signal(signal.SIGTERM)
        returncode = server.wait(timeout=15)
    # uvicorn shuts down gracefully, then re-raises the signal: the conventional "killed by SIGTERM".
    output = log.read_text(encoding="utf-8", errors="replace")
    assert returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete." in output
