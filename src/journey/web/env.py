"""Small typed helpers that read settings from the environment and fail loudly."""

from __future__ import annotations

import os
import secrets
from datetime import datetime, time
from pathlib import Path


class ConfigurationError(RuntimeError):
    """A setting in the environment is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ConfigurationError(f"Environment variable {name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"Environment variable {name}={value!r} is not a yes/no value.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigurationError(f"Environment variable {name}={value!r} is not a whole number.") from exc


def env_day_of_month(name: str, default: int) -> int:
    """A day that every month has (1 to 28)."""
    day = env_int(name, default)
    if not 1 <= day <= 28:
        raise ConfigurationError(
            f"Environment variable {name}={day} is not a day of the month from 1 to 28 (every month has those)."
        )
    return day


def env_time(name: str, default: str) -> time:
    """A time of day written HH:MM (24-hour clock)."""
    value = os.environ.get(name) or default
    try:
        return datetime.strptime(value.strip(), "%H:%M").time()
    except ValueError:
        raise ConfigurationError(
            f"Environment variable {name}={value!r} is not a time of day written HH:MM (e.g. 06:30)."
        ) from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def development_secret_key(data_dir: Path) -> str:
    """A per-installation key kept outside the repository, for development and demos only."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


#: Keys seen in tutorials, examples and .env templates: refused whatever their length.
KNOWN_KEYS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secretkey",
        "secret-key",
        "secret_key",
        "password",
        "django-insecure",
        "development",
        "test",
        "journey",
        "your-secret-key",
        "your-secret-key-here",
        "replace-me",
        "notasecret",
    }
)
MIN_KEY_LENGTH = 50
MIN_KEY_CHARACTERS = 10


def refuse_weak_secret_key(key: str) -> str:
    """The production key, unless it is a known placeholder, short or repetitive.

    Sessions, CSRF tokens and password-reset links are signed with it, so a guessable key
    lets anyone sign in as anyone. ``python -c "import secrets;
    print(secrets.token_urlsafe(50))"`` makes a good one.
    """
    lowered = key.strip().lower()
    problem = ""
    if lowered in KNOWN_KEYS or lowered.startswith("django-insecure"):
        problem = "is a well-known placeholder"
    elif len(key) < MIN_KEY_LENGTH:
        problem = f"is {len(key)} characters long (at least {MIN_KEY_LENGTH} are needed)"
    elif len(set(key)) < MIN_KEY_CHARACTERS:
        problem = f"uses only {len(set(key))} different characters"
    if problem:
        raise ConfigurationError(
            f"JOURNEY_SECRET_KEY {problem}; production refuses to start with a weak key. "
            'Make one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    return key


def parse_group_roles(text: str) -> list[tuple[str, str]]:
    """``"group-id=role,group-id=role"`` as pairs, each role checked against the known roles."""
    from journey.web.accounts.roles import Role

    pairs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        group, _, role = item.partition("=")
        if not group.strip() or role.strip() not in {r.value for r in Role}:
            raise ConfigurationError(
                f"JOURNEY_OIDC_GROUP_ROLES: {item!r} is not 'group-id=role' with a role among "
                + ", ".join(r.value for r in Role)
            )
        pairs.append((group.strip(), role.strip()))
    return pairs
