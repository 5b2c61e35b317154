"""SQLite storage of domains, groups, statistics, points and intervals (no HTTP here)."""
