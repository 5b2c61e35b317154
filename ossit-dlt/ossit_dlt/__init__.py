"""ossit-dlt: Ossit for dlt, thin adapters over ossit-sync.

``ossit_source`` reads a domain incrementally (the core's reader, positions kept in dlt's
resource state); ``ossit_destination`` loads any dlt source's tables into a domain (the
core's loader, exactly once across dlt's retries of a load package).
"""

from ossit_dlt.destination import ossit_destination
from ossit_dlt.source import ossit_source

__all__ = ["ossit_destination", "ossit_source"]
