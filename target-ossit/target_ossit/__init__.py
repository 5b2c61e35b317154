"""Singer target for Ossit."""
