"""One module per API noun; each method builds a path and parameters and calls the client."""

from __future__ import annotations

from .intervals import Intervals
from .points import Points
from .statistic_groups import StatisticGroups
from .statistics import Statistics

__all__ = ["Intervals", "Points", "StatisticGroups", "Statistics"]
