"""Keep workers' phone and certificate numbers out of log files.

``redact(text)`` masks them in any string; :class:`RedactingFilter` does it to every log
record passing a handler. The action server and the front end call
:func:`install_redaction` once, after logging is configured::

    logging.basicConfig(...)
    install_redaction()                  # the root logger's handlers
    install_redaction("sanic.access")    # a logger with handlers of its own
"""
from __future__ import annotations

import logging
import re

from actions.registry.validation import mask_certificate, mask_phone

__all__ = ["RedactingFilter", "install_redaction", "redact"]

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_ALNUM = "0-9A-Za-z０-９Ａ-Ｚａ-ｚ"
# 11-digit mobile numbers, also written "138 1234 5678", "138-1234-5678" or "+86 138...".
_PHONE = re.compile(r"(?<![\d+])(?:\+?86[ \-]?)?1[3-9]\d(?:[ \-]?\d){8}(?!\d)")
# Certificate-like numbers: 12+ digits (ID-card style, optional final X) or a short
# letter prefix followed by 8+ digits. Record numbers such as BM2026-000123 do not match.
_CERTIFICATE = re.compile(
    rf"(?<![{_ALNUM}])(?:[A-Za-z]{{1,4}}\d{{8,}}|\d{{12,}})[Xx]?(?![{_ALNUM}])"
)


def redact(text: object) -> str:
    """``"电话13812345678"`` → ``"电话138****5678"``; certificate numbers keep 4+4 characters."""
    # Full-width digits (typed on Chinese keyboards) are read as ASCII digits.
    result = str(text).translate(_FULLWIDTH_DIGITS)
    result = _PHONE.sub(lambda m: mask_phone(re.sub(r"\D", "", m.group())[-11:]), result)
    return _CERTIFICATE.sub(lambda m: mask_certificate(m.group()), result)


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message (and traceback) redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(logger: logging.Logger | str | None = None) -> RedactingFilter:
    """Add one :class:`RedactingFilter` to ``logger`` (default: root) and its handlers.

    A filter on a handler sees every record the handler writes, including those
    propagated from child loggers; call this after the handlers exist. Idempotent.
    """
    target = logger if isinstance(logger, logging.Logger) else logging.getLogger(logger)
    existing = next((f for f in target.filters if isinstance(f, RedactingFilter)), None)
    redactor = existing or RedactingFilter()
    for holder in (target, *target.handlers):
        if not any(isinstance(f, RedactingFilter) for f in holder.filters):
            holder.addFilter(redactor)
    return redactor
