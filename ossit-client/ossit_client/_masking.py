"""Masking registered keys in everything a log record can print, for every logger.

What a record prints depends on its formatter: a text formatter prints the rendered message,
the exception text and the stack; a structured one (singer-sdk's ``StructuredFormatter``,
python-json-logger, Meltano's structured logging) also prints every ``extra`` attribute, and
builds its own exception data from ``exc_info`` (type, message, cause chain). So a record is
masked as a whole: its message and arguments, its exception (replaced by a masked stand-in,
so structured formatters keep their exception data), its stack and the value of every other
attribute, recursively through containers.

Masking changes no value that shows no key: a container without one is kept as is (same
object), one with a key is rebuilt as its own type, and only an object whose printed text
shows a key is replaced, by that text masked.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"

#: The characters requests leaves unquoted when it re-quotes a URL (``requote_uri``).
_REQUESTS_SAFE = "!#$%&'()*+,/:;=?@[]~"

#: How deep masking walks into nested containers and exception chains; anything deeper is
#: masked as the text it prints (``str``), so depth bounds the work, never the masking.
MAX_DEPTH = 8

#: Values whose text never holds a key: skipped without being printed.
_PLAIN = (int, float, complex, type(None))

#: The attributes every record has (and those formatters add), as opposed to ``extra`` ones.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",  # Python 3.12
}

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _repr_escaped(text: str) -> str:
    return repr(text)[1:-1]


def _json_escaped(text: str) -> str:
    return json.dumps(text)[1:-1]


def _url_quoted(text: str) -> str:
    return quote(text, safe="")


def _path_quoted(text: str) -> str:
    return quote(text)  # ``quote``'s default keeps ``/``


def _requoted(text: str) -> str:
    return quote(text, safe=_REQUESTS_SAFE)


def _form_quoted(text: str) -> str:
    return quote_plus(text, safe="")


#: How a key may be spelled in a text that quotes it: in a repr (a dict or a config logged
#: with ``%r``), in JSON (a Singer message, a config dump), in a URL (fully quoted, as a path
#: by ``quote``'s default, as requests re-quotes a URL) or a form.
_ESCAPES = (_repr_escaped, _json_escaped, _url_quoted, _path_quoted, _requoted, _form_quoted)


def escaped_forms(secret: str) -> set[str]:
    """``secret`` and its escaped spellings, escaped once or twice (a repr of a JSON text)."""
    forms = {secret}
    for _ in range(2):
        forms |= {escape(form) for form in forms for escape in _ESCAPES}
    return forms


def _pattern(forms: set[str]) -> re.Pattern[str]:
    """One pattern of all ``forms``, longest first, so a form that contains another is masked
    whole; one scan of a text masks them all."""
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))) if ordered else re.compile("(?!)")


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each of ``secrets``, in any escaped spelling, replaced by ``***``.

    For a message the caller prints itself (a settings error): it registers nothing, so it
    works the same before, without and after any logging is set up.
    """
    forms = {form for secret in secrets if secret for form in escaped_forms(secret)}
    return _pattern(forms).sub(MASK, text) if forms else text


#: Stand-in classes by the class they mimic (few: one per exception type that showed a key).
_stand_in_classes: dict[type[BaseException], type[Exception]] = {}
_MAX_STAND_IN_CLASSES = 64


def _stand_in_class(original: type[BaseException]) -> type[Exception]:
    """An exception class printed like ``original`` (same name and module)."""
    known = _stand_in_classes.get(original)
    if known is None:
        if len(_stand_in_classes) >= _MAX_STAND_IN_CLASSES:
            _stand_in_classes.clear()
        known = type(
            original.__name__,
            (Exception,),
            {
                "__module__": original.__module__,
                "__qualname__": original.__qualname__,
                "__doc__": "A masked copy of an exception whose text showed a key.",
            },
        )
        _stand_in_classes[original] = known
    return known


class SecretFilter(logging.Filter):
    """Masks every registered key, in any of its escaped spellings, in all a record prints.

    Applied to every record the process logs (``install_masking``), so a key that reaches a
    log line by any route -- a message, an ``extra`` field, an exception text, a config
    logged by another library -- is replaced before any handler sees it, whatever the logger
    (singer_sdk's, urllib3's, the root) and whatever handlers are added later. It can also
    be added to a handler. A record whose rendered message still shows a key (a key split
    over two arguments) is rendered once, masked, and its args dropped.
    """

    def __init__(self) -> None:
        super().__init__()
        self._forms: tuple[str, ...] = ()
        self._pattern: re.Pattern[str] = re.compile("(?!)")  # matches nothing
        self._lock = threading.Lock()

    def register(self, secret: str) -> None:
        """Mask ``secret`` from now on (a process holds few keys, so they are never removed)."""
        if secret:
            with self._lock:
                forms = set(self._forms) | escaped_forms(secret)
                self._pattern = _pattern(forms)  # every record passes here: one scan
                self._forms = tuple(forms)
            install_masking()

    def mask(self, text: str) -> str:
        """``text`` with every registered secret (and its escaped forms) replaced by ``***``."""
        return self._pattern.sub(MASK, text) if self._forms else text

    def shows_secret(self, text: str) -> bool:
        """Whether ``text`` holds any registered secret, in any spelling."""
        return bool(self._forms) and self._pattern.search(text) is not None

    def mask_value(self, value: Any, depth: int = MAX_DEPTH) -> Any:
        """``value`` itself if nothing it prints shows a key, else a masked copy.

        Strings are masked; dicts, lists, tuples (named ones too) and sets are rebuilt as
        their own type only when an item changed; numbers and None are kept; any other
        object -- or a container deeper than ``depth`` -- is replaced by its masked ``str``
        only if its ``str`` or ``repr`` shows a key.
        """
        if not self._forms or isinstance(value, _PLAIN):
            return value
        if isinstance(value, str):
            masked = self.mask(value)
            return value if masked == value else masked
        if depth > 0:
            if isinstance(value, Mapping):
                return self._mask_mapping(value, depth - 1)
            if isinstance(value, (list, tuple, set, frozenset)):
                return self._mask_collection(value, depth - 1)
        return self._mask_object(value)

    def _mask_mapping(self, value: Mapping[Any, Any], depth: int) -> Any:
        pairs, changed = [], False
        for key, item in value.items():
            new_key, new_item = self.mask_value(key, depth), self.mask_value(item, depth)
            changed = changed or new_key is not key or new_item is not item
            pairs.append((new_key, new_item))
        if not changed:
            return value
        if isinstance(value, dict):
            try:  # keeps the subclass and its state (an OrderedDict, a defaultdict's factory)
                rebuilt = copy.copy(value)
                rebuilt.clear()
                rebuilt.update(pairs)
                return rebuilt
            except Exception:
                pass
        return dict(pairs)

    def _mask_collection(self, value: Any, depth: int) -> Any:
        items, changed = [], False
        for item in value:
            new_item = self.mask_value(item, depth)
            changed = changed or new_item is not item
            items.append(new_item)
        if not changed:
            return value
        kind = type(value)
        try:
            if isinstance(value, list):
                rebuilt = copy.copy(value)
                rebuilt[:] = items
                return rebuilt
            if isinstance(value, tuple) and hasattr(kind, "_make"):  # a named tuple
                return kind._make(items)
            return kind(items)
        except Exception:
            return tuple(items) if isinstance(value, tuple) else list(items)

    def _mask_object(self, value: Any) -> Any:
        try:
            text = str(value)
            shown = self.shows_secret(text) or self.shows_secret(repr(value))
        except Exception:  # printing it fails: a formatter would fail the same way
            return value
        return self.mask(text) if shown else value

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; never drops it, never raises."""
        if not self._forms:
            return True
        try:
            self._mask_record(record)
        except Exception:  # a value that breaks the walk: the log call must not fail
            _withhold(record)
        return True

    def _mask_record(self, record: logging.LogRecord) -> None:
        # The standard attributes hold code's names and numbers (the logger, the file, the
        # line, the thread), except these two texts; every other attribute is an ``extra``.
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        for name in record.__dict__.keys() - _STANDARD:
            value = record.__dict__[name]
            masked = self.mask_value(value)
            if masked is not value:
                record.__dict__[name] = masked
        record.msg = self.mask_value(record.msg)
        record.args = self.mask_value(record.args)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it when it emits
            message = ""
        if self.shows_secret(message):  # a key the arguments only form together
            record.msg, record.args = self.mask(message), None
        self._mask_exception(record)

    def _mask_exception(self, record: logging.LogRecord) -> None:
        """Replace an exception whose text shows a key by a masked stand-in (same name, frames).

        The stand-in keeps the traceback, the cause and context chain and the notes, so text
        and structured formatters print what they would, masked. Should its text still show
        a key (an exception printed in some special way), only the masked text is kept.
        """
        exc_info = record.exc_info
        if not exc_info or not isinstance(exc_info, tuple) or exc_info[1] is None:
            return
        formatter = logging.Formatter()
        text = formatter.formatException(exc_info)
        if not self.shows_secret(text):
            return
        stand_in = self._stand_in(exc_info[1], MAX_DEPTH)
        masked_info: _ExcInfo = (type(stand_in), stand_in, exc_info[2])
        masked_text = formatter.formatException(masked_info)
        if self.shows_secret(masked_text):
            record.exc_info, record.exc_text = None, self.mask(text)
        else:
            record.exc_info, record.exc_text = masked_info, masked_text

    def _stand_in(self, exc: BaseException, depth: int) -> BaseException:
        try:
            message = self.mask(str(exc))
        except Exception:
            message = "<the exception's text could not be printed>"
        stand_in = _stand_in_class(type(exc))(message).with_traceback(exc.__traceback__)
        notes = getattr(exc, "__notes__", None)
        if isinstance(notes, list):
            stand_in.__notes__ = [self.mask(str(note)) for note in notes[:MAX_DEPTH]]
        if depth > 0:
            if exc.__cause__ is not None:
                stand_in.__cause__ = self._stand_in(exc.__cause__, depth - 1)
            if exc.__context__ is not None and exc.__context__ is not exc.__cause__:
                stand_in.__context__ = self._stand_in(exc.__context__, depth - 1)
        stand_in.__suppress_context__ = exc.__suppress_context__
        return stand_in


def _withhold(record: logging.LogRecord) -> None:
    """Empty a record that could not be checked: print its place, nothing it held."""
    record.msg, record.args = "(log record withheld: it could not be checked for a secret)", None
    record.exc_info = record.exc_text = record.stack_info = None
    for name in list(record.__dict__):
        if name not in _STANDARD:
            record.__dict__[name] = MASK


SECRET_FILTER = SecretFilter()

_install_lock = threading.Lock()


def install_masking() -> None:
    """Mask keys in every record any logger of the process makes, once.

    A logger's filter sees only records logged on that very logger (not those propagated
    from its children), and a handler's filter only that handler, while singer_sdk and
    Meltano configure their own loggers and handlers, some after the client exists. And the
    record factory runs before ``Logger.makeRecord`` attaches a call's ``extra`` fields.
    So the filter runs at the end of ``Logger.makeRecord``, the step every logger (the root,
    singer_sdk's, subclasses that do not replace it) takes for every record; the method found
    is chained, not replaced.
    """
    with _install_lock:
        previous = logging.Logger.makeRecord
        if getattr(previous, "ossit_masking", False):
            return

        @functools.wraps(previous)
        def make_record(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(self, *args, **kwargs)
            SECRET_FILTER.filter(record)
            return record

        make_record.ossit_masking = True  # type: ignore[attr-defined]
        logging.Logger.makeRecord = make_record  # type: ignore[method-assign]
