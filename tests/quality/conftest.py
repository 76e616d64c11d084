"""Fixtures of the quality tests."""

from tests.quality.hand_history import history  # noqa: F401  (the hand-worked history)
