"""A fake GOV.UK Notify API on 127.0.0.1 for the tests: checks each request's signed
token as Notify does, records the e-mails asked for, and can be told to fail."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

SERVICE_ID = str(uuid.UUID(int=1))
SECRET = str(uuid.UUID(int=2))
API_KEY = f"journey_test-{SERVICE_ID}-{SECRET}"


@dataclass
class FakeNotify:
    url: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    fail_next: int = 0


def start() -> tuple[FakeNotify, ThreadingHTTPServer]:
    fake = FakeNotify(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            try:
                claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]})
                assert claims["iss"] == SERVICE_ID
            except Exception as error:  # noqa: BLE001 - Notify answers 403
                fake.refused.append(str(error))
                return self._answer(403, {"errors": [{"error": "AuthError", "message": "Invalid token"}]})
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path != "/v2/notifications/email":
                return self._answer(404, {"errors": [{"error": "NotFound"}]})
            if fake.fail_next:
                fake.fail_next -= 1
                return self._answer(500, {"errors": [{"error": "Exception", "message": "Internal"}]})
            missing = {"email_address", "template_id"} - set(body)
            if missing:
                return self._answer(400, {"errors": [{"error": "ValidationError", "message": f"{missing} required"}]})
            fake.sent.append(body)
            self._answer(201, {"id": str(uuid.uuid4()), "reference": body.get("reference")})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server
