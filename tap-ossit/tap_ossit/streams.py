"""The tap's streams, one per kind of ``ossit_schemas.KINDS``; `client.OssitStream` reads.

A stream is nothing but its kind's name: the stream for points is ``STREAMS_BY_KIND["points"]``,
its docstring the kind's declaration. A kind added to ``KINDS`` is a stream here.
"""

from __future__ import annotations

from ossit_schemas import KINDS, Kind

from tap_ossit.client import OssitStream


def stream_class(kind: Kind) -> type[OssitStream]:
    """The stream of ``kind``: ``OssitStream`` reading ``GET /v1/api<path>``."""
    class_name = "".join(part.title() for part in kind.name.split("_")) + "Stream"
    doc = f"{kind.description} (GET /v1/api{kind.path})."
    return type(class_name, (OssitStream,), {"name": kind.name, "__doc__": doc})


STREAMS_BY_KIND: dict[str, type[OssitStream]] = {
    name: stream_class(kind) for name, kind in KINDS.items()
}
"""The stream of each kind, parents first."""

STREAMS: list[type[OssitStream]] = list(STREAMS_BY_KIND.values())
