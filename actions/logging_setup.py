"""Logging of the action server: phone and certificate numbers never reach a log in full.

rasa-sdk configures logging before it imports the ``actions`` package, so importing this
module (every sign-up module does) puts the ``common.privacy.RedactingFilter`` on the root
handlers and on the server's own loggers. :func:`install` is idempotent and cheap, so the
actions call it again on every run to cover handlers a library adds later.
"""

from __future__ import annotations

from common.privacy import install_redaction

# The root logger's handlers see every record that propagates; the others are loggers
# that may carry handlers of their own.
LOGGERS: tuple[str | None, ...] = (
    None,
    "rasa_sdk",
    "sanic.root",
    "sanic.error",
    "sanic.access",
    "actions",
)


def install() -> None:
    """Put one redacting filter on each logger above and on its current handlers."""
    for name in LOGGERS:
        install_redaction(name)


install()
