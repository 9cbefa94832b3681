"""A tiny RESP2 client: just enough Redis protocol to drive a live server for validation.

Why not redis-py: validation must run on a bare machine with nothing beyond evictsim's own
dependencies, and the replayer needs explicit control of pipelining (send a whole 5-ms batch in one
``sendall``, then read exactly that many replies). Replies are decoded to Python values: simple
strings and bulk strings as ``bytes``, integers as ``int``, arrays as lists, nil as ``None``, and
error replies as :class:`RespError` *values* (not raised), so one failed command in a pipeline does
not hide the replies after it.
"""
from __future__ import annotations

import socket
from typing import Any, Iterable, Sequence

from evictsim.errors import EvictsimError


class RespError(EvictsimError):
    """An error reply (``-ERR ...``, ``-OOM ...``) from the server."""


class RespConnectionError(EvictsimError):
    """The server closed the connection or sent something that is not RESP2."""


def encode_command(args: Sequence[Any]) -> bytes:
    """One command as a RESP array of bulk strings (every argument sent as bytes)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class RespConnection:
    """One TCP connection to a Redis server, with pipelining."""

    def __init__(self, host: str, port: int, *, timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        # Batches must leave at once, not wait for Nagle to coalesce them with the next tick.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = bytearray()
        self._pos = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RespConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending -------------------------------------------------------------------------
    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def pipeline(self, commands: Iterable[Sequence[Any]]) -> list[Any]:
        """Send every command in one write, then read one reply per command."""
        encoded = [encode_command(c) for c in commands]
        self.send_raw(b"".join(encoded))
        return self.read_replies(len(encoded))

    def call(self, *args: Any) -> Any:
        """Run one command; an error reply is raised as :class:`RespError`."""
        self.send_raw(encode_command(args))
        reply = self.read_reply()
        if isinstance(reply, RespError):
            raise reply
        return reply

    # -- receiving -----------------------------------------------------------------------
    def read_replies(self, n: int) -> list[Any]:
        return [self.read_reply() for _ in range(n)]

    def read_reply(self) -> Any:
        line = self._read_line()
        kind, rest = line[:1], line[1:]
        if kind == b":":
            return int(rest)
        if kind == b"$":
            length = int(rest)
            return None if length < 0 else self._read_exact(length + 2)[:-2]
        if kind == b"+":
            return bytes(rest)
        if kind == b"-":
            return RespError(rest.decode(errors="replace"))
        if kind == b"*":
            length = int(rest)
            return None if length < 0 else [self.read_reply() for _ in range(length)]
        raise RespConnectionError(f"not a RESP2 reply: {bytes(line[:40])!r}")

    def _fill(self) -> None:
        if self._pos:
            # Drop consumed bytes only now and then, so a long pipeline is not quadratic.
            del self._buf[:self._pos]
            self._pos = 0
        data = self.sock.recv(1 << 16)
        if not data:
            raise RespConnectionError("the server closed the connection")
        self._buf += data

    def _read_line(self) -> bytes:
        while True:
            end = self._buf.find(b"\r\n", self._pos)
            if end >= 0:
                line = bytes(self._buf[self._pos:end])
                self._pos = end + 2
                return line
            self._fill()

    def _read_exact(self, n: int) -> bytes:
        while len(self._buf) - self._pos < n:
            self._fill()
        data = bytes(self._buf[self._pos:self._pos + n])
        self._pos += n
        return data


def parse_info(text: bytes | str) -> dict[str, Any]:
    """``INFO`` output → ``{field: int | float | str}``; ``db0`` becomes ``db0_keys``, ``db0_expires``..."""
    if isinstance(text, bytes):
        text = text.decode()
    out: dict[str, Any] = {}
    for line in text.splitlines():
        if not line or line.startswith("#") or ":" not in line:
            continue
        name, value = line.split(":", 1)
        if name.startswith("db") and "=" in value:
            for part in value.split(","):
                sub, v = part.split("=", 1)
                out[f"{name}_{sub}"] = _number(v)
        else:
            out[name] = _number(value)
    return out


def _number(value: str) -> Any:
    for conv in (int, float):
        try:
            return conv(value)
        except ValueError:
            pass
    return value
