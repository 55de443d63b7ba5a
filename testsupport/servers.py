"""Real server processes for end-to-end and fault tests (and `benchmark_report`): daphne or
uvicorn on a free loopback port, `manage.py` and `python -c` in a subprocess, a JSON WebSocket client."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for_servers() -> str:
    """A DATABASE_URL pointing at the database the running tests use."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def server_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CHATELLY_", "PYTEST"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "chatelly.settings",
            "DATABASE_URL": database_url_for_servers(),
            "REDIS_URL": settings.REDIS_URL,
            "CHATELLY_CACHE_PREFIX": settings.CACHE_KEY_PREFIX,
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


# The production flags (README.md, Dockerfile). --ws-max-size: uvicorn refuses
# (1009) a frame above 128 KiB before the app sees it; the app's own limit is
# ChatSocket.max_frame_chars() (32,000 characters by default), at most 4 bytes
# each in UTF-8, so every frame the app would take fits.
WS_MAX_SIZE = 131072
UVICORN_ARGS = [
    "--ws", "websockets-sansio", "--ws-per-message-deflate", "false", "--ws-max-size", str(WS_MAX_SIZE),
    "--no-proxy-headers", "--lifespan", "off", "--timeout-graceful-shutdown", "10", "--no-access-log",
]  # fmt: skip


class ServerProcess:
    """One server process (daphne, uvicorn, or `manage.py runserver`) serving chatelly.asgi on
    127.0.0.1; stopped by its pid."""

    def __init__(self, env: dict[str, str] | None = None, port: int | None = None, kind: str = "daphne"):
        self.kind = kind
        self.port = port or free_port()
        self.env = env or server_env()
        self.process: subprocess.Popen | None = None
        self.log_path = BASE_DIR / f".server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "ServerProcess":
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        if self.kind == "uvicorn":
            command = [sys.executable, "-m", "uvicorn", "chatelly.asgi:application", "--host", "127.0.0.1"]
            command += ["--port", str(self.port), *UVICORN_ARGS]
        elif self.kind == "runserver":  # what `make run` starts
            command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"]
        else:
            command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
            command.append("chatelly.asgi:application")
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):  # noqa: S310 (loopback)
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log()}")

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        """(status, body bytes) of one HTTP request to this server."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        return self.request("GET", path, headers=headers)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if getattr(self, "_log", None):
            self._log.close()
        self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def run_python(code: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


def run_manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class WsClient:
    """A real WebSocket client (the `websockets` library) speaking JSON frames."""

    def __init__(self, url: str, *, origin: str | None = None):
        from websockets.sync.client import connect

        self._context = connect(
            url, origin=origin, open_timeout=10, proxy=None, compression=None, max_size=2**22
        )
        self.conn = self._context.__enter__()

    def send(self, frame: dict) -> None:
        self.conn.send(json.dumps(frame))

    def recv(self, timeout: float = 5) -> dict:
        return json.loads(self.conn.recv(timeout=timeout))

    def recv_type(self, kind: str, timeout: float = 5) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            frame = self.recv(max(0.01, deadline - time.monotonic()))
            if frame["type"] == kind:
                return frame

    def frames_until_quiet(self, quiet: float = 0.5) -> list[dict]:
        frames = []
        while True:
            try:
                frames.append(self.recv(quiet))
            except TimeoutError:
                return frames

    def close_code(self, timeout: float = 10) -> int | None:
        """Wait for the server to close; its close code."""
        from websockets.exceptions import ConnectionClosed

        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.conn.recv(timeout=max(0.01, deadline - time.monotonic()))
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
        except TimeoutError:
            return None
        return None

    def close(self) -> None:
        self._context.__exit__(None, None, None)


def ws_url(server: "ServerProcess", path: str) -> str:
    return f"ws://127.0.0.1:{server.port}{path}"
