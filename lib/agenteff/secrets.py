"""Keeping API keys out of everything the project writes: names that look secret, and text scrubbed of keys.

Keys come from the environment only (``OPENAI_API_KEY``). These helpers are the defence in depth around that
rule: the notebook runner refuses parameters whose names look secret, and text that crosses a process boundary
or lands in a stored file (job errors of a sweep, executed notebooks) goes through :func:`redact` first.
"""

from __future__ import annotations

import logging
import os
import re

__all__ = ["looks_secret", "redact", "redact_logs", "REDACTED"]

REDACTED = "[redacted]"
# api_key, openai_key, token, auth_token, password, secret, client_secret, ...
_SECRET_NAME = re.compile(r"(^|_)(api_?key|key|token|password|passwd|secret)($|_)", re.IGNORECASE)
_KEY_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),  # OpenAI-style keys (sk-..., sk-proj-...)
    # a long token after "Bearer" or after "api_key=" / "token: " ...; short values ("sim", "not-needed") are
    # placeholders, and prose ("token budget") is left alone
    re.compile(r"(?i)(\bbearer\s+|\b(?:api[_-]?key|token|secret|password)\s*[:=]\s*['\"]?)[A-Za-z0-9_\-\.]{16,}"),
)
# secrets inside URLs: userinfo (user:password@), the segment after a key-named one (/token/<it>), a long random
# run of mixed-case letters and digits as a whole segment (model names and commit hashes have separators or are
# hex), and key-named query values
_URL_PATTERNS = (
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@?#'\"]+@"), r"\1[redacted]@"),
    (
        re.compile(
            r"(?i)(://[^/\s'\"]+(?:/[^/\s?#'\"]+)*?/(?:api[_-]?key|key|token|secret|password|auth)s?/)[^/\s?#'\"]+"
        ),
        r"\1[redacted]",
    ),
    (
        re.compile(
            r"(?<=/)(?=[A-Za-z0-9]*[A-Z])(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{24,}(?=[/?#\s'\"]|$)"
        ),
        "[redacted]",
    ),
    (
        re.compile(r"(?i)([?&](?:api[_-]?key|key|access[_-]?token|token|secret|password|auth)=)[^&#\s'\"]+"),
        r"\1[redacted]",
    ),
)
_MIN_SECRET_LENGTH = 8  # shorter environment values ("1", "true") would redact ordinary text


def looks_secret(name: str) -> bool:
    """Does a parameter or variable name look like it holds a secret (api_key, *_key, token, password, secret)?"""
    return bool(_SECRET_NAME.search(name))


def _environment_secrets() -> list[str]:
    return sorted(
        (value for name, value in os.environ.items() if looks_secret(name) and len(value) >= _MIN_SECRET_LENGTH),
        key=len,
        reverse=True,
    )


def redact(text: str) -> str:
    """``text`` with key-looking strings and the values of secret-named environment variables replaced."""
    for value in _environment_secrets():
        text = text.replace(value, REDACTED)
    text = _KEY_PATTERNS[0].sub(REDACTED, text)
    text = _KEY_PATTERNS[1].sub(lambda m: f"{m[1]}{REDACTED}", text)
    for pattern, replacement in _URL_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class _RedactingFilter(logging.Filter):
    """Logs a record's message with :func:`redact` applied (httpx logs every request's URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = _RedactingFilter()


def redact_logs(*names: str) -> None:
    """Redact the messages of these loggers (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
