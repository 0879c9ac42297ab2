"""Failed sign-ins throttled by django-axes (settings: AXES_*, JOURNEY_SIGNIN_*)."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class SignInThrottle(AxesStandaloneBackend):
    """django-axes' check, for sign-ins that come with a request.

    Every sign-in through the web passes its request (the login form, single sign-on);
    code that checks a password without one (a test's ``client.login``) has no address to
    throttle, so it is let through to the password check instead of failing.
    """

    def authenticate(self, request: Any, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
