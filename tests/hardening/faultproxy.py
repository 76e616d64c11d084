"""A TCP proxy that breaks connections the way a bad mobile network does.

Each connection gets one fate, drawn with the proxy's seeded random generator:
- `pass`: bytes flow both ways untouched;
- `delay`: the same, after a pause (a slow radio waking up);
- `drop_before`: the request is read and thrown away, the server never sees it;
- `drop_after`: the request reaches the server, which answers; the answer is lost;
- `cut`: the answer starts arriving and stops half-way (the client gets a truncated reply).
The simulated phones open one connection per request (`Connection: close`), so a fate is a
request's fate.
"""

from __future__ import annotations

import random
import selectors
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

FATES = ("pass", "delay", "drop_before", "drop_after", "cut")


@dataclass
class FaultProxy:
    target: tuple[str, int]
    weights: dict[str, float]
    seed: int = 7
    max_delay: float = 0.3
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=512)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fate(self) -> tuple[str, float]:
        with self._lock:
            names = list(self.weights)
            fate = self._rng.choices(names, [self.weights[n] for n in names])[0]
            self.counts[fate] += 1
            return fate, self._rng.uniform(0.02, self.max_delay)

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        fate, pause = self._fate()
        upstream: socket.socket | None = None
        try:
            if fate == "drop_before":
                client.recv(65536)  # the request leaves the phone and dies in the network
                return
            if fate == "delay":
                time.sleep(pause)  # the injected fault itself, not a wait for a condition
            upstream = socket.create_connection(self.target, timeout=60)
            _relay(client, upstream, fate)
        except OSError:
            pass
        finally:
            abort = fate not in ("pass", "delay")
            for sock in (client, upstream):
                if sock is not None:
                    _close(sock, abort)


def _relay(client: socket.socket, upstream: socket.socket, fate: str) -> None:
    """Copy both ways in one thread (so closing a socket never races a blocked recv)."""
    with selectors.DefaultSelector() as sel:
        sel.register(client, selectors.EVENT_READ)
        sel.register(upstream, selectors.EVENT_READ)
        while True:
            events = sel.select(timeout=60)
            if not events:
                return  # a minute of silence: give up on this connection
            for key, _ in events:
                sock = key.fileobj
                data = sock.recv(65536)  # type: ignore[union-attr]
                if sock is client:
                    if not data:
                        sel.unregister(client)
                        upstream.shutdown(socket.SHUT_WR)
                    else:
                        upstream.sendall(data)
                    continue
                if not data:
                    return
                if fate == "drop_after":
                    return  # the server has answered (so it committed); the phone never hears
                if fate == "cut":
                    client.sendall(data[: max(1, len(data) // 2)])
                    return
                client.sendall(data)


def _close(sock: socket.socket, abort: bool) -> None:
    try:
        if abort:  # a reset (RST), as when a phone loses its radio link
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
