"""A small OpenAI-compatible chat server in threads, for the several-servers tests.

Unlike pytest-httpserver it can be killed the way a replica dies: ``kill()`` (or ``kill_after``
answers) closes its listening socket, so new connections are refused, and every request in flight
or arriving on an open connection is dropped without an answer. It logs what it answered, so a
test can check that no request was answered twice.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeServer:
    def __init__(self, delay: float = 0.0, kill_after: int | None = None):
        self.delay, self.kill_after = delay, kill_after
        self.answered: list[dict] = []  # the bodies of the requests answered (200 sent in full)
        self.in_flight = 0
        self.most_in_flight = 0
        self.killed = threading.Event()
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def answer(self, body: dict) -> dict:
        """The answer to a chat request: a five-sentence story that names the prompt and the seed."""
        tag = hashlib.sha256(json.dumps(body["messages"], sort_keys=True).encode()).hexdigest()[:8]
        text = " ".join(f"Sentence {i} of story {tag} with seed {body.get('seed')}." for i in range(1, 6))
        return {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 20}}

    def kill(self) -> None:
        if self.killed.is_set():
            return
        self.killed.set()
        threading.Thread(target=self.httpd.shutdown, daemon=True).start()  # shutdown() waits for serve_forever: not in a handler
        self.httpd.socket.close()  # refuse new connections at once

    def stop(self) -> None:
        self.kill()
        self.thread.join(timeout=5)


def _handler(server: FakeServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers and httpx's pools do

        def log_message(self, *args) -> None:  # quiet
            pass

        def _drop(self) -> None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def do_GET(self) -> None:
            if server.killed.is_set():
                return self._drop()
            self._send(200, {"object": "list", "data": [{"id": "m"}]})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            if server.killed.is_set():
                return self._drop()
            with server.lock:
                server.in_flight += 1
                server.most_in_flight = max(server.most_in_flight, server.in_flight)
            try:
                time.sleep(server.delay)
                with server.lock:
                    if server.killed.is_set():
                        return self._drop()  # died while thinking: the client gets no answer
                    server.answered.append(body)
                    self._send(200, server.answer(body))
                    if server.kill_after is not None and len(server.answered) >= server.kill_after:
                        server.kill()
            finally:
                with server.lock:
                    server.in_flight -= 1

        def _send(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

    return Handler
