"""Background jobs: with HTTP requests and CLI commands, the entry points that commit.

Web Push delivery (`push_delivery`, driven by `push_worker` on RQ or on threads) and the
sweep of abandoned uploads (`upload_sweep`). Each job opens, commits and closes its own
transactions; the domain services they call only flush.
"""
