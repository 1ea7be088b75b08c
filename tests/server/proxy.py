"""A loopback TCP proxy that breaks one connection at the worst moment of a push."""

from __future__ import annotations

import contextlib
import socket
import threading

from testkit.pgtemp import free_port


class CuttingProxy:
    """Forwards 127.0.0.1:port to a target; the first connection is broken once more than
    ``after_bytes`` of requests went through it (so inside a later request on that
    keep-alive connection).

    ``mode="request"`` closes both sides at that point: the server never receives the whole
    request. ``mode="response"`` lets the request through but drops the answer: the server
    applies the batch, the client never learns it.
    """

    def __init__(self, target_port: int, mode: str, after_bytes: int) -> None:
        self.target_port = target_port
        self.mode = mode
        self.after_bytes = after_bytes
        self.port = free_port()
        self.cut_done = threading.Event()
        self._armed = True
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        """Base URL through the proxy."""
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            armed, self._armed = self._armed, False
            threading.Thread(target=self._serve, args=(client, armed), daemon=True).start()

    def _serve(self, client: socket.socket, armed: bool) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        state = {"up": 0, "tripped": False}
        done = threading.Event()

        def close_all() -> None:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        def up() -> None:
            try:
                while True:
                    data = client.recv(65536)
                    if not data:
                        break
                    state["up"] += len(data)
                    if armed and state["up"] > self.after_bytes and not state["tripped"]:
                        state["tripped"] = True
                        if self.mode == "request":
                            upstream.sendall(data[: len(data) // 2])
                            self.cut_done.set()
                            break
                    upstream.sendall(data)
            except OSError:
                pass
            finally:
                if self.mode == "request" or not state["tripped"]:
                    close_all()
                done.set()

        def down() -> None:
            try:
                while True:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    if state["tripped"]:  # response mode: the answer is lost
                        self.cut_done.set()
                        break
                    client.sendall(data)
            except OSError:
                pass
            finally:
                close_all()

        threads = [threading.Thread(target=up, daemon=True),
                   threading.Thread(target=down, daemon=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        client.close()
        upstream.close()

    def close(self) -> None:
        """Stop accepting."""
        self._listener.close()
