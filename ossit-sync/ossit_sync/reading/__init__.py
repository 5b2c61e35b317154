"""The incremental reader: resumable request sequences over Ossit's sorted lists."""

from ossit_sync.reading.ownership import STATE_ORIGIN, ForeignStateError
from ossit_sync.reading.pages import Page, read_pages
from ossit_sync.reading.position import Position, Start, api_timestamp, later, resume
from ossit_sync.reading.reader import KindReader, ReadOptions

__all__ = [
    "STATE_ORIGIN",
    "ForeignStateError",
    "KindReader",
    "Page",
    "Position",
    "ReadOptions",
    "Start",
    "api_timestamp",
    "later",
    "read_pages",
    "resume",
]
