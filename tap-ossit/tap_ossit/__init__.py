"""Singer tap for Ossit."""
