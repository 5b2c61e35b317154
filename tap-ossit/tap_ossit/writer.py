"""The tap's Singer message writer: the SDK's msgspec writer plus one write per page.

The SDK writes (and flushes) one RECORD message at a time, building a message
object and a timestamp for each. A page of Ossit records shares its stream, its
version and its extraction time, so the whole page is encoded in one msgspec call
and handed to stdout in one write: the per-record cost is one small dict.

Every write is whole: a stop signal waits for its end (``ossit_sync.stopping``), so
standard output never ends inside a line.
"""

from __future__ import annotations

import datetime
import sys
import typing as t

import msgspec.json
from ossit_sync.stopping import whole, write_all
from singer_sdk.contrib.msgspec import MsgSpecWriter, enc_hook
from singer_sdk.singerlib import Message

_encoder = msgspec.json.Encoder(enc_hook=enc_hook, decimal_format="number")


class PageWriter(MsgSpecWriter):
    """Writes Singer messages with msgspec, and whole pages of RECORD messages at once."""

    def write_records(
        self,
        stream: str,
        records: t.Iterable[dict[str, t.Any]],
        *,
        time_extracted: datetime.datetime,
        version: int | None = None,
    ) -> None:
        """Write one RECORD line per record with a single write and flush."""
        kind, extracted = "RECORD", time_extracted
        if version is None:
            messages = [
                {"type": kind, "stream": stream, "record": record, "time_extracted": extracted}
                for record in records
            ]
        else:
            messages = [
                {
                    "type": kind,
                    "stream": stream,
                    "record": record,
                    "version": version,
                    "time_extracted": extracted,
                }
                for record in records
            ]
        # `sys.stdout` is looked up on every call: test runners swap it for a buffer.
        with whole():
            write_all(sys.stdout.buffer, _encoder.encode_lines(messages))

    def write_message(self, message: Message) -> None:
        """Write one message (SCHEMA, STATE...), whole."""
        with whole():
            write_all(sys.stdout.buffer, self.format_message(message))
