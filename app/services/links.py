"""Where a link into the phone app goes: the one table the server builds links from.

The PWA's router (pwa/app/main.js) knows these screens; the service worker opens the `url`
the server put in the push payload (pwa/sw-push.js), so a notification and its inbox item
lead to the same screen. tests/e2e/test_links.py opens every link this module can produce.
"""

from __future__ import annotations

import uuid

ROUTES: dict[str, str] = {
    "dossier": "/#/d/{id}",
    "inbox": "/#/inbox",
    "dossiers": "/#/dossiers",
    "warehouse": "/#/warehouse",
}


def link(name: str, **params: object) -> str:
    return ROUTES[name].format(**params)


def dossier(dossier_id: uuid.UUID | str | None) -> str:
    """A citizen's dossier; the inbox when there is none."""
    return link("dossier", id=dossier_id) if dossier_id else link("inbox")
