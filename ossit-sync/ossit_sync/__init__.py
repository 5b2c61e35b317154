"""The protocol-neutral core of the Ossit connectors.

``ossit_sync.reading`` reads an Ossit domain incrementally (request sequences, resumable
positions, partitions by group, prefetch); ``ossit_sync.loading`` loads records into one
(shaping records into API items, the destination's cache and its decisions, batches,
replay-safe idempotency keys, acknowledgement before a state is released). Neither knows
Singer or Airbyte: tap-ossit and target-ossit are thin Singer adapters over them, and an
Airbyte adapter stands on the same two. Nothing here imports singer-sdk (a test checks).
"""
