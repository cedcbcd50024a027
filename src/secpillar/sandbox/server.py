"""Serve moto on 127.0.0.1: in this process (``SandboxServer``) or in a child process
(``SandboxProcess``, so that a scan and the server use separate cores).

``python -m secpillar.sandbox.server --port N`` serves in the foreground and prints one line
``SECPILLAR-SANDBOX-READY <url>`` once it accepts requests.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from types import TracebackType
from typing import Any

from secpillar.errors import SandboxError

READY = "SECPILLAR-SANDBOX-READY"
HOST = "127.0.0.1"


def make_app(cloudtrail: bool = True) -> Any:
    """moto's WSGI application (every service, dispatched by host and signature), wrapped by the
    CloudTrail recorder (:mod:`secpillar.sandbox.cloudtrail`) unless ``cloudtrail`` is false or
    ``$SECPILLAR_SANDBOX_CLOUDTRAIL`` is ``off``."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from secpillar.sandbox.moto_patches import apply_all

    apply_all()
    app = DomainDispatcherApplication(create_backend_app)
    if not cloudtrail or os.environ.get("SECPILLAR_SANDBOX_CLOUDTRAIL", "").lower() == "off":
        return app
    from secpillar.sandbox.cloudtrail import Recorder
    from secpillar.sandbox.ct_wsgi import CloudTrailMiddleware

    recorder = Recorder()
    recorder.start()
    return CloudTrailMiddleware(app, recorder)


class SandboxServer:
    """moto's server in a thread of this process."""

    def __init__(self, port: int = 0, app: Any = None) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server(
            HOST, port, app or make_app(), threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox", daemon=True)

    @property
    def url(self) -> str:
        port = int(self._server.server_address[1])
        return f"http://{HOST}:{port}"

    def start(self) -> SandboxServer:
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SandboxProcess:
    """moto's server in a child process; ``url`` is set once it accepts requests."""

    def __init__(self, port: int = 0, startup_timeout: float = 60.0) -> None:
        self.port = port
        self.startup_timeout = startup_timeout
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> SandboxProcess:
        env = dict(os.environ)
        env.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "secpillar.sandbox.server", "--port", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + self.startup_timeout
        assert self._proc.stdout is not None
        while time.monotonic() < deadline:
            line = self._proc.stdout.readline()
            if not line:
                break
            if line.startswith(READY):
                self.url = line.split()[1]
                return self
        self.stop()
        raise SandboxError("the sandbox server did not start (is the port free?)")

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._proc = None

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=5):
                return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise SandboxError(f"no sandbox answers at {url}: {exc}") from exc
            time.sleep(0.1)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the secpillar sandbox (moto) on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = SandboxServer(args.port)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"{READY} {server.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
