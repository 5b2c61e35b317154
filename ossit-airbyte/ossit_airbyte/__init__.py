"""The Airbyte protocol side shared by source-ossit and destination-ossit.

Messages (``messages``), the files a connector reads (``inputs``), the specification built
from the shared settings (``spec``), logs as LOG messages (``logs``), failure types
(``failures``), the connection check (``check``) and the command line (``entrypoint``).
The connectors themselves stand on the protocol-neutral core (``ossit_sync``); nothing
here is Ossit's reading or loading.
"""
