"""Gunicorn, the production server, on a free port of 127.0.0.1, and a client to time it."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from mapping.bench.databases import child_env

# As `make demo` and the Dockerfile run it (sync workers), with a timeout long enough
# for a whole-country export: a sync worker cannot signal liveness while it streams.
WORKERS = 3
TIMEOUT_S = 900
FLOOR_PATH = "/api/__bench_floor__/"  # no such route: Django's 404, the HTTP floor
READY_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(port: int, workers: int) -> list[str]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return [
        str(gunicorn),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        str(TIMEOUT_S),
    ]


def memory_kb(pid: int, field: str = "VmHWM") -> int:
    """A memory figure of a process from /proc (VmHWM: peak resident set), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise ValueError(f"{field} not in /proc/{pid}/status")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces; the parent pid follows its ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


class Gunicorn:
    """`with Gunicorn(dbname) as server:` serves the app on server.port until the block ends.

    The response cache (api/response_cache.py) is off unless ``cached``: the latency
    benchmarks repeat the same requests, which a cache would answer without doing the
    work they measure. With ``cached``, it starts empty in a directory of its own.
    """

    def __init__(self, dbname: str, workers: int = WORKERS, cached: bool = False) -> None:
        self.dbname = dbname
        self.workers = workers
        self.cached = cached
        self.cache_dir = tempfile.TemporaryDirectory(prefix="bench-responses-")
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - open as long as the server
            prefix="bench-gunicorn-", suffix=".log", delete=False
        )

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(  # noqa: S603 - our venv's gunicorn, fixed arguments
            gunicorn_command(self.port, self.workers),
            env=child_env(
                self.dbname,
                API_RESPONSE_CACHE="1" if self.cached else "0",
                RESPONSE_CACHE_LOCATION=self.cache_dir.name,
            ),
            cwd=settings.BASE_DIR,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                errors = [line for line in Path(self.log.name).read_text().splitlines()
                          if "Error" in line or "error" in line]  # fmt: skip
                raise RuntimeError(f"gunicorn did not start: {' | '.join(errors[-3:])}")
            try:
                status, _ = HttpClient(self.port).get(FLOOR_PATH)
                if status and len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not answer in time")

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid) if self.process else []

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)
        self.cache_dir.cleanup()


class HttpClient:
    """One persistent HTTP/1.1 connection (re-opened when the server closes it).

    Gunicorn's sync workers close the connection after each response, as they do in
    production; the reconnect on loopback is part of the measured floor.
    """

    def __init__(self, port: int, timeout_s: float = TIMEOUT_S) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            self.connection.request("GET", path, headers={"Accept": "application/json"})
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.connection.close()  # the server closed a kept-alive connection: retry once
            self.connection.request("GET", path, headers={"Accept": "application/json"})
            response = self.connection.getresponse()
        body = response.read()
        if response.will_close:
            self.connection.close()
        return response.status, body

    def stream(self, path: str, chunk_bytes: int = 1 << 20):
        """GET path and yield the body in chunks (for exports too big to hold)."""
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        yield response.status
        while chunk := response.read(chunk_bytes):
            yield chunk
        self.connection.close()

    def close(self) -> None:
        self.connection.close()
