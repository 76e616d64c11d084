"""A simulated phone for sync tests: numbers its mutations and keeps its cursor."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from app.models.catalog import FormVersion
from app.services import forms
from app.services.catalog import DEMO_DIR
from tests.factories import ready_documents, sample_values


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def minutes_ago(n: float) -> str:
    return iso(datetime.now(UTC) - timedelta(minutes=n))


class Phone:
    """One installed copy of the app, signed in as `actor`."""

    def __init__(self, client: Any, actor: Any, client_id: uuid.UUID | None = None) -> None:
        self.client, self.actor = client, actor
        self.client_id = client_id or uuid.uuid4()
        self.next_id = 1
        self.cursor: str | None = None

    def mutation(self, name: str, args: dict[str, Any], captured_at: str | None = None
                 ) -> dict[str, Any]:
        m = {"id": self.next_id, "name": name, "args": args,
             "captured_at": captured_at or iso(datetime.now(UTC))}
        self.next_id += 1
        return m

    def send(self, mutations: list[dict[str, Any]], headers: dict[str, str] | None = None) -> Any:
        return self.client.post("/api/v1/sync/push", headers=headers or self.actor.headers,
                                json={"client_id": str(self.client_id), "mutations": mutations})

    def push(self, *mutations: dict[str, Any]) -> dict[str, Any]:
        resp = self.send(list(mutations))
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    def one(self, name: str, args: dict[str, Any], captured_at: str | None = None
            ) -> dict[str, Any]:
        """Push a single mutation and return its result."""
        return self.push(self.mutation(name, args, captured_at))["results"][0]

    def pull(self, cursor: str | None = None, limit: int = 200, reset: bool = False) -> Any:
        params: dict[str, Any] = {"client_id": str(self.client_id), "limit": limit}
        if not reset and (cursor or self.cursor):
            params["cursor"] = cursor or self.cursor
        return self.client.get("/api/v1/sync/pull", query_string=params,
                               headers=self.actor.headers)

    def pull_all(self) -> list[dict[str, Any]]:
        """Page until has_more is false; returns every change and moves the cursor."""
        changes: list[dict[str, Any]] = []
        while True:
            resp = self.pull()
            assert resp.status_code == 200, resp.get_json()
            body = resp.get_json()
            changes.extend(body["changes"])
            self.cursor = body["cursor"]
            if not body["has_more"]:
                return changes


@cache
def current_version(procedure: str = "birth-registration") -> int:
    """The demo catalog's current form version of a procedure (its last one); 1 for a
    procedure the catalog does not have (a test of what an unknown one gets)."""
    path = DEMO_DIR / "catalog" / f"{procedure}.json"
    if not path.is_file():
        return 1
    return max(v["version"] for v in json.loads(path.read_text())["versions"])


def save_args(dossier_id: Any, fields: dict[str, Any], base_version: int | None = None,
              procedure: str = "birth-registration", form_version: int | None = None
              ) -> dict[str, Any]:
    return {"dossier_id": str(dossier_id), "procedure_code": procedure,
            "form_version": form_version or current_version(procedure),
            "base_version": base_version, "fields": fields}


def full_values(session: Any, procedure: str = "birth-registration", version: int | None = None
                ) -> dict[str, Any]:
    form = session.get(FormVersion, (procedure, version or current_version(procedure))).form
    return sample_values(form)


def documents_for(session: Any, values: dict[str, Any], procedure: str = "birth-registration",
                  version: int | None = None) -> dict[str, Any]:
    form = session.get(FormVersion, (procedure, version or current_version(procedure))).form
    assert forms.field_map(form)
    return ready_documents(form, values)
