"""source-ossit: an Airbyte source for Ossit, a thin adapter over the core's reader."""
