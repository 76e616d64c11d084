"""The pull cursor's codec: an opaque, user-bound position in a user's change feed."""

from __future__ import annotations

import base64
import binascii


def encode_cursor(user_id: int, seq: int) -> str:
    return base64.urlsafe_b64encode(f"1.{user_id}.{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, user_id: int) -> int | None:
    """The sequence number in a cursor, or None if it is not one of this user's cursors."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, owner, seq = raw.split(".")
        if version != "1" or int(owner) != user_id:
            return None
        return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
