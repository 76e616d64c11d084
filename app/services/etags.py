"""Strong validators of JSON documents (the catalog, form versions, code tables)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_etag(body: Any) -> str:
    """The same for equal documents whatever their key order."""
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]
