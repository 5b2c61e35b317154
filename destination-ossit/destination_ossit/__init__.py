"""destination-ossit: an Airbyte destination for Ossit, a thin adapter over the core's loader."""
