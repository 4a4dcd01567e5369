"""Fixtures for the dataset tests: the shared real data, a loopback mirror, private caches."""
from __future__ import annotations

import os
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_data() -> Path | None:
    """``$TPW_SHARED_DATA`` / ``$TPW_DATA_DIR`` if it holds the shared sets, else ../shared/data."""
    for candidate in (os.environ.get("TPW_SHARED_DATA"), os.environ.get("TPW_DATA_DIR"),
                      REPO.parent / "shared" / "data"):
        if candidate and (Path(candidate) / "mitdb" / "RECORDS").exists():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_data()
    if path is None:
        pytest.skip("real data not found: set TPW_DATA_DIR to the shared data folder "
                    "(with mitdb/, ptbxl/, apnea-ecg/, speech_commands/) or place it at "
                    "../shared/data")
    return path


@pytest.fixture(autouse=True)
def private_caches(tmp_path_factory, monkeypatch):
    """Keep every test's downloads and array cache out of ~/.cache and the shared data."""
    root = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("TPW_CACHE_DIR", str(root / "array-cache"))
    monkeypatch.setenv("TPW_DATA_DIR", str(root / "download-cache"))
    monkeypatch.delenv("TPW_DATA_URL", raising=False)


class _RangeHandler(SimpleHTTPRequestHandler):
    """A static file server that honours ``Range: bytes=N-`` (http.server does not)."""

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        self.server.requests.append((self.path, self.headers.get("Range")))
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        first = 0
        if (spec := self.headers.get("Range", "")).startswith("bytes="):
            first = int(spec[6:].split("-")[0])
            if first >= len(body):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {first}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - first))
        self.end_headers()
        self.wfile.write(body[first:])

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def serve():
    """``serve(folder) -> (base_url, requests)``: a loopback HTTP mirror of ``folder``."""
    servers = []

    def start(folder: Path):
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_RangeHandler,
                                                              directory=str(folder)))
        server.requests = []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", server.requests

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
