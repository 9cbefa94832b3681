"""Find (or install) ``redis-server``, start a private one on a free loopback port, stop it by PID.

Validation needs a real server it fully controls: fresh (empty keyspace, known baseline memory), no
persistence (``--save '' --appendonly no``: a fork for a snapshot would disturb timing and memory),
bound to 127.0.0.1 only, and gone at the end. On a bare Debian machine the ``redis-server`` package is
installed with apt when we are root; otherwise the caller gets one clear error instead of a skip.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from evictsim.errors import EvictsimError
from evictsim.validate.resp import RespConnection, RespConnectionError

# Settings that are real redis.conf directives (RedisConfig also holds evictsim-only knobs).
SERVER_DIRECTIVES = (
    "maxmemory", "maxmemory-policy", "maxmemory-samples", "maxmemory-eviction-tenacity", "hz",
    "dynamic-hz", "active-expire-effort", "lfu-log-factor", "lfu-decay-time", "lazyfree-lazy-eviction",
    "lazyfree-lazy-expire", "lazyfree-lazy-server-del", "lazyfree-lazy-user-del", "activerehashing",
    "latency-tracking",
)
LOOPBACK = "127.0.0.1"


class RedisUnavailable(EvictsimError):
    """No redis-server binary, and it could not be installed."""


def find_redis_server(*, install: bool = True) -> str:
    """Path of ``redis-server``; install the Debian package first if missing and we are root."""
    path = shutil.which("redis-server")
    if path:
        return path
    if not install:
        raise RedisUnavailable("redis-server is not on PATH")
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RedisUnavailable("redis-server is not on PATH and cannot be installed here (needs root and "
                               "apt-get); install it with: apt-get install -y redis-server")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "redis-server"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise RedisUnavailable(f"`{' '.join(cmd)}` failed ({tail[0]}); install redis-server by hand")
    path = shutil.which("redis-server")
    if not path:
        raise RedisUnavailable("apt-get installed redis-server but it is still not on PATH")
    return path


def free_port() -> int:
    """A port the kernel just handed out on loopback (tiny race window, acceptable for tests)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def directive_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@dataclass
class RedisServer:
    """A running private redis-server. Use as a context manager so it is always stopped."""

    binary: str
    port: int
    workdir: Path
    process: subprocess.Popen
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def connect(self, timeout: float = 10.0) -> RespConnection:
        return RespConnection(LOOPBACK, self.port, timeout=timeout)

    def version(self) -> str:
        with self.connect() as conn:
            info = conn.call("INFO", "server").decode()
        for line in info.splitlines():
            if line.startswith("redis_version:"):
                return line.split(":", 1)[1].strip()
        return "unknown"

    def log_tail(self, lines: int = 5) -> str:
        log = self.workdir / "redis.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""

    def stop(self) -> None:
        """SIGTERM our own server by PID (no save configured, so it exits at once), then SIGKILL."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "RedisServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_redis(settings: Mapping[str, Any] | None = None, *, binary: str | None = None,
                ready_timeout: float = 10.0) -> RedisServer:
    """Start a fresh redis-server on a free loopback port with ``settings`` (redis.conf names)."""
    binary = binary or find_redis_server()
    conf = {k: directive_value(v) for k, v in (settings or {}).items() if k in SERVER_DIRECTIVES}
    workdir = Path(tempfile.mkdtemp(prefix="evictsim-redis-"))
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", str(workdir), "--logfile", str(workdir / "redis.log")]
    for name, value in conf.items():
        argv += [f"--{name}", value]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    server = RedisServer(binary, port, workdir, proc, conf)
    try:
        _wait_for_ping(server, ready_timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_for_ping(server: RedisServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise EvictsimError(f"redis-server exited with status {server.process.returncode} at start: "
                                f"{server.log_tail()}")
        try:
            with server.connect(timeout=1.0) as conn:
                if conn.call("PING") == b"PONG":
                    return
        except (OSError, RespConnectionError):
            time.sleep(0.02)
    raise EvictsimError(f"redis-server on port {server.port} did not answer PING within {timeout:.0f} s")
