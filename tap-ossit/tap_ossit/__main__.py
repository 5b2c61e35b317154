"""`python -m tap_ossit`: the same CLI as the `tap-ossit` script."""

from __future__ import annotations

from tap_ossit.tap import main

main()
