"""The throttled, retrying HTTP client for the Ossit API, shared by tap-ossit and target-ossit."""
