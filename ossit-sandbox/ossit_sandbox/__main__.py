"""``python -m ossit_sandbox`` runs the command line."""

from __future__ import annotations

from ossit_sandbox.cli import main

raise SystemExit(main())
