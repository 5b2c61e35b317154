"""The batch loader: records into Ossit items, sent in batches, states released once safe."""

from ossit_sync.loading.destination import Destination
from ossit_sync.loading.errors import InputError, InvalidRecordError, InvalidSchemaError, LoadError
from ossit_sync.loading.loader import BatchLoader, held_back_error
from ossit_sync.loading.validation import RecordValidator

__all__ = [
    "BatchLoader",
    "Destination",
    "InputError",
    "InvalidRecordError",
    "InvalidSchemaError",
    "LoadError",
    "RecordValidator",
    "held_back_error",
]
