"""Refuse an oversized request body before anything reads it.

The upload views check each file against ``JOURNEY_MAX_UPLOAD_MB`` too, but by then
Django's multipart parser (first run by the CSRF check) has received the whole body into
memory or a temporary file. This middleware looks only at the declared length, so a huge
POST is answered with 413 before a byte of it is read.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

MULTIPART_ALLOWANCE = 1024 * 1024
"""Room for the form's other fields and the multipart boundaries around the files."""


def body_limit() -> int:
    return int(settings.JOURNEY_MAX_UPLOAD_MB) * 1024 * 1024 + MULTIPART_ALLOWANCE


class UploadSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in {"POST", "PUT", "PATCH"}:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > body_limit():
                html = render_to_string(
                    "casedata/too_large.html",
                    {"max_mb": settings.JOURNEY_MAX_UPLOAD_MB, "size_mb": declared / 1024 / 1024},
                    request=None,
                )
                response = HttpResponse(html, status=413)
                response["Connection"] = "close"
                return response
        return self.get_response(request)
