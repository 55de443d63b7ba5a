"""`manage.py worker` as a real process for the job tests: started in its own
process group, so that killing it kills its pool children too, and by pid."""

import os
import signal
import subprocess
import sys
import time

from .servers import BASE_DIR, free_port


class WorkerProcess:
    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.env = env
        self.args = args
        self.process: subprocess.Popen | None = None
        self.log_path = BASE_DIR / f".worker-{free_port()}.log"

    def start(self, timeout: float = 60) -> "WorkerProcess":
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        command = [sys.executable, "manage.py", "worker", "--loglevel=INFO", *self.args]
        self.process = subprocess.Popen(  # noqa: S603
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited {self.process.returncode}:\n{self.log()}")
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"worker not ready in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: a crash, no clean-up at all."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            self._close()
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> "WorkerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
