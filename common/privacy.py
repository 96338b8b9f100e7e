"""The one masking policy for workers' numbers: in replies, logs, transcripts and exports.

Workers type their mobile number, landline, ID-card or certificate number into the chat.
Wherever such a number is shown to someone who does not need it whole — the worker's own
confirmation, an operator's transcript, a log line, a staff screen before the audited
"show" — it goes through this module, so every place masks the same numbers the same way:

* a mainland mobile number keeps its first 3 and last 4 digits: ``138****5678``;
* any other personal number (landline, ID card, certificate) keeps 4 + 4 characters when
  it is long (12 or more), 2 + 2 when shorter: ``0574****4321``, ``87****21``,
  ``3302**********123X``;
* an e-mail address keeps its first character and its domain: ``z***@example.com``;
* what identifies a record or a conversation, not a person — ``BM2026-000123``,
  ``tg-123456789``, dates and times, small counts — is left alone.

:func:`redact` applies the policy to free text; :class:`RedactingFilter` applies it to
every log record a handler writes (:func:`install_redaction`).
"""

from __future__ import annotations

import logging
import re
import unicodedata

__all__ = [
    "RedactingFilter",
    "install_redaction",
    "mask_certificate",
    "mask_number",
    "mask_phone",
    "redact",
]

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_./()]+")
# Characters that make a digit run part of an identifier (tg-123456789, BM2026-000123,
# a hex id) rather than a number a person typed on its own.
_ID_CHARS = r"0-9A-Za-z_\-"

#: Mainland mobiles, also written "138 1234 5678", "138-1234-5678", "+86 138…", "86138…".
MOBILE = re.compile(rf"(?<![{_ID_CHARS}+])(?:\+?86[ \-]?)?1[3-9]\d(?:[ \-]?\d){{8}}(?!\d)")
#: Landlines with an area code (0574-87654321, 0574 8765 4321) or bare 7–8 digits.
LANDLINE = re.compile(rf"(?<![{_ID_CHARS}])(?:0\d{{2,3}}[ \-]?\d{{3,4}}[ \-]?\d{{4}}|\d{{7,8}})(?![{_ID_CHARS}])")
#: E-mail addresses: the first character and the domain stay (z***@example.com).
EMAIL = re.compile(r"([\w.+-])[\w.+-]*@([\w-]+\.[\w.-]+)")
#: ID-card and certificate numbers: 12+ digits (optional final X), or a short letter
#: prefix followed by 8+ digits (ZJ12345678).
CERTIFICATE = re.compile(rf"(?<![{_ID_CHARS}])(?:[A-Za-z]{{1,4}}\d{{8,}}|\d{{12,}})[Xx]?(?![{_ID_CHARS}])")


def _compact(value: object) -> str:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
    return _SEPARATORS.sub("", text)


def mask_phone(phone: object) -> str:
    """``"13812341234"`` → ``"138****1234"``; a shorter number keeps only its last 2."""
    digits = re.sub(r"\D", "", _compact(phone))
    if len(digits) >= 11:
        digits = digits[-11:]
        return digits[:3] + "****" + digits[-4:]
    if len(digits) >= 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def mask_number(number: object) -> str:
    """Keep the first 4 and last 4 characters of a long number, 2 and 2 of a short one."""
    text = _compact(number)
    if not text:
        return ""
    if len(text) >= 12:
        return text[:4] + "*" * (len(text) - 8) + text[-4:]
    if len(text) >= 6:
        return text[:2] + "*" * (len(text) - 4) + text[-2:]
    return "*" * len(text)


#: A certificate number is masked like any other personal number.
mask_certificate = mask_number


def redact(text: object) -> str:
    """Every personal number in ``text`` masked by the policy above.

    ``"电话13812345678"`` → ``"电话138****5678"``; full-width digits (typed on Chinese
    keyboards) count as digits.
    """
    result = str(text if text is not None else "").translate(_FULLWIDTH_DIGITS)
    result = MOBILE.sub(lambda m: mask_phone(m.group()), result)
    result = CERTIFICATE.sub(lambda m: mask_number(m.group()), result)
    result = EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", result)
    return LANDLINE.sub(lambda m: mask_number(m.group()), result)


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message (and traceback) redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: the handler reports it
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
