"""The sandbox gateway's own ledger: a SQLite file of its own (an outside service keeps its
own books; Hoso's database is never touched by it)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
  order_code INTEGER PRIMARY KEY, link_id TEXT UNIQUE NOT NULL, client_id TEXT NOT NULL,
  body TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
  transactions TEXT NOT NULL DEFAULT '[]', canceled_at TEXT, cancellation_reason TEXT);
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT, order_code INTEGER NOT NULL, payload TEXT NOT NULL,
  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_status INTEGER);
"""
_lock = threading.Lock()
_ready: set[str] = set()


@contextmanager
def connect(path: str) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        if path not in _ready:
            with _lock:
                conn.executescript(SCHEMA)
                _ready.add(path)
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def row_dict(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    data = dict(row)
    data["body"] = json.loads(data["body"])
    data["transactions"] = json.loads(data["transactions"])
    return data
