"""Masking registered secrets (the key, a Redis password) in what this library owns -- its
messages, its loggers, the handlers a connector's entry point owns -- never the host's
logging. A record is masked whole (arguments, ``extra`` fields, the exception as a masked
stand-in of the same name, the stack): a structured formatter prints all of it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
#: How deep masking walks into containers and exception chains; deeper is masked as text.
MAX_DEPTH = 8
#: Values whose text never holds a secret.
_PLAIN = (int, float, complex, type(None))
#: The attributes every record has, as opposed to a call's ``extra`` ones.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}

#: How a secret may be spelled in a text that quotes it: in a repr, in JSON, in a URL (fully
#: quoted, as a path, as requests re-quotes one) or a form.
_ESCAPES = (
    lambda text: repr(text)[1:-1],
    lambda text: json.dumps(text)[1:-1],
    lambda text: quote(text, safe=""),
    quote,
    lambda text: quote(text, safe="!#$%&'()*+,/:;=?@[]~"),
    lambda text: quote_plus(text, safe=""),
)


def escaped_forms(secret: str) -> set[str]:
    """``secret`` and its escaped spellings, escaped once or twice (a repr of a JSON text)."""
    forms = {secret}
    for _ in range(2):
        forms |= {escape(form) for form in forms for escape in _ESCAPES}
    return forms


def _pattern(forms: Iterable[str]) -> re.Pattern[str]:
    """One pattern of all ``forms``, longest first (a form inside another is masked whole)."""
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))) if ordered else re.compile("(?!)")


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each of ``secrets``, in any escaped spelling, replaced by ``***``.

    Registers nothing: for a message the caller prints itself (a settings error).
    """
    forms = {form for secret in secrets if secret for form in escaped_forms(secret)}
    return _pattern(forms).sub(MASK, text) if forms else text


class SecretFilter(logging.Filter):
    """Masks every registered secret, in any escaped spelling, in all a record prints."""

    def __init__(self) -> None:
        super().__init__()
        self._forms: frozenset[str] = frozenset()
        self._pattern = _pattern(())
        self._lock = threading.Lock()

    def register(self, secret: str) -> None:
        """Mask ``secret`` from now on (a process holds few, so they are never removed)."""
        if secret:
            with self._lock:
                self._forms |= escaped_forms(secret)
                self._pattern = _pattern(self._forms)

    def mask(self, text: str) -> str:
        """``text`` with every registered secret replaced by ``***``."""
        return self._pattern.sub(MASK, text) if self._forms else text

    def shows_secret(self, text: str) -> bool:
        """Whether ``text`` holds a registered secret, in any spelling."""
        return bool(self._forms) and self._pattern.search(text) is not None

    def mask_value(self, value: Any, depth: int = MAX_DEPTH) -> Any:
        """``value`` itself if nothing it prints shows a secret, else a masked copy:
        containers rebuilt, other objects (or deeper than ``depth``) as their masked ``str``."""
        if not self._forms or isinstance(value, _PLAIN):
            return value
        if isinstance(value, str):
            masked = self.mask(value)
            return value if masked == value else masked
        if depth > 0 and isinstance(value, Mapping | list | tuple | set | frozenset):
            pairs = value.items() if isinstance(value, Mapping) else [(None, v) for v in value]
            done = [
                (self.mask_value(k, depth - 1), self.mask_value(v, depth - 1)) for k, v in pairs
            ]
            if all(a is k and b is v for (a, b), (k, v) in zip(done, pairs, strict=True)):
                return value
            if isinstance(value, Mapping):
                return dict(done)
            kind = list if isinstance(value, list) else tuple if isinstance(value, tuple) else set
            return kind(item for _, item in done)
        try:
            text = str(value)
            shown = self.shows_secret(text) or self.shows_secret(repr(value))
        except Exception:  # printing it fails: a formatter would fail the same way
            return value
        return self.mask(text) if shown else value

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; never drops it, never raises."""
        if self._forms:
            try:
                self._mask_record(record)
            except Exception:  # a value that breaks the walk: print its place, nothing else
                record.msg, record.args = "(log record withheld: it could not be checked)", None
                record.exc_info = record.exc_text = record.stack_info = None
                for name in record.__dict__.keys() - _STANDARD:
                    record.__dict__[name] = MASK
        return True

    def _mask_record(self, record: logging.LogRecord) -> None:
        for name in record.__dict__.keys() - _STANDARD:
            record.__dict__[name] = self.mask_value(record.__dict__[name])
        record.msg, record.args = self.mask_value(record.msg), self.mask_value(record.args)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it when it emits
            message = ""
        if self.shows_secret(message):  # a secret the arguments only form together
            record.msg, record.args = self.mask(message), None
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        info = record.exc_info
        if info and info[1] is not None:
            formatter = logging.Formatter()
            text = formatter.formatException(info)
            if self.shows_secret(text):
                stand_in = self._stand_in(info[1], MAX_DEPTH)
                record.exc_info = (type(stand_in), stand_in, info[2])
                if self.shows_secret(formatter.formatException(record.exc_info)):  # a frame
                    record.exc_info, record.exc_text = None, self.mask(text)

    def _stand_in(self, exc: BaseException, depth: int) -> BaseException:
        """A copy of ``exc`` printed alike (name, frames, cause chain), its texts masked."""
        cls: type[Exception] = type(
            type(exc).__name__, (Exception,), {"__module__": type(exc).__module__}
        )
        stand_in = cls(self.mask(str(exc))).with_traceback(exc.__traceback__)
        if depth > 0:
            for link in ("__cause__", "__context__"):
                linked = getattr(exc, link)
                if linked is not None:
                    setattr(stand_in, link, self._stand_in(linked, depth - 1))
        stand_in.__suppress_context__ = exc.__suppress_context__
        return stand_in


SECRET_FILTER = SecretFilter()
"""The one registry of secrets: every client registers its key, a budget URL its password."""


def masked_logger(name: str) -> logging.Logger:
    """The logger ``name`` of this library, its records masked (a logger of ours: no host's)."""
    logger = logging.getLogger(name)
    if SECRET_FILTER not in logger.filters:
        logger.addFilter(SECRET_FILTER)
    return logger


def mask_log_handlers(logger: logging.Logger | None = None) -> None:
    """Mask registered secrets in every record the handlers of ``logger`` (the root by
    default) emit: for an entry point owning its process's logging, never a library."""
    for handler in (logger or logging.getLogger()).handlers:
        if SECRET_FILTER not in handler.filters:
            handler.addFilter(SECRET_FILTER)
