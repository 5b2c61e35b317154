"""What the API last said it had counted: the one fact a budget that lost its log rebuilds from."""

from __future__ import annotations

from typing import NamedTuple


class ServerCount(NamedTuple):
    """The server's count in its window as one answer's ``X-RateLimit-*`` headers gave it.

    Instants are epoch ms on the budget store's clock (``BudgetStore.now_ms``), so the store
    compares them with its own. The server says when its oldest counted request leaves
    (``Reset``), not when the others do: a rebuild must assume they leave as late as can be.
    """

    requests: int
    """Requests the server had counted in its window (its limit minus ``Remaining``)."""
    frees_at_ms: int
    """When the oldest of them leaves the server's window."""
    seen_at_ms: int
    """When the answer that said so arrived."""
