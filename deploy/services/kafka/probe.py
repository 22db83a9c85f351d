"""Is a Kafka broker really serving? Exit 0 when it answers a Metadata request with a live
controller and at least one broker; exit 1 otherwise (the reason goes to stderr).

Standard library only, so ``deploy/up kafka`` needs nothing but Java, Maven and python3.
A bare TCP connect is not enough: a KRaft broker accepts connections before it has caught
up with the controller and is unfenced, and only then processes requests.

Usage: python3 probe.py HOST PORT [TIMEOUT_SECONDS]
"""

from __future__ import annotations

import socket
import struct
import sys

_METADATA = 3
_VERSION = 4  # Kafka 4 dropped Metadata v0-v3; v4 is the oldest it still serves.


def _request(correlation_id: int) -> bytes:
    client_id = b"tapeline-probe"
    header = struct.pack(">hhih", _METADATA, _VERSION, correlation_id, len(client_id)) + client_id
    # topics: an empty array (not null: null would list every topic); no auto-creation.
    body = struct.pack(">i?", 0, False)
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def _read_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        chunks += chunk
    return bytes(chunks)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return int(value)

    def string(self) -> str | None:
        size = self.take(">h")
        if size < 0:
            return None
        text = self.data[self.at : self.at + size].decode()
        self.at += size
        return text


def probe(host: str, port: int, timeout: float) -> str:
    """Return a one-line description of the cluster, or raise."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(_request(correlation_id=7))
        (size,) = struct.unpack(">i", _read_exact(sock, 4))
        reader = _Reader(_read_exact(sock, size))
    if reader.take(">i") != 7:
        raise ConnectionError("answer to another request")
    reader.take(">i")  # throttle_time_ms
    brokers = []
    for _ in range(reader.take(">i")):
        node_id = reader.take(">i")
        broker_host = reader.string()
        broker_port = reader.take(">i")
        reader.string()  # rack
        brokers.append(f"{node_id}@{broker_host}:{broker_port}")
    cluster_id = reader.string()
    controller_id = reader.take(">i")
    if not brokers or controller_id < 0:
        raise ConnectionError(f"no broker or controller yet (brokers={brokers})")
    return f"cluster {cluster_id} controller {controller_id} brokers {','.join(brokers)}"


def main(argv: list[str]) -> int:
    host, port = argv[1], int(argv[2])
    timeout = float(argv[3]) if len(argv) > 3 else 2.0
    try:
        print(probe(host, port, timeout))
    except (OSError, struct.error) as exc:
        print(f"kafka {host}:{port} not serving: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
