"""The dossier's shape is built once (`representations.dossier_dict`) and documented once
(`DossierOut`): this test fails when one gains or loses a field the other lacks."""

from __future__ import annotations

from api.dossiers.schemas import DossierOut
from app.services import lifecycle
from app.services.representations import dossier_dict
from tests.factories import make_dossier


def test_dossier_dict_and_its_schema_have_the_same_fields(db, citizen, official):
    dossier = make_dossier(db.session, citizen.user, status=lifecycle.ACCEPTED, official=official.user)
    schema_keys = {f.data_key or name for name, f in DossierOut().fields.items()}
    citizen_view = dossier_dict(dossier)
    official_view = dossier_dict(dossier, for_official=True)
    official_view["allowed_actions"] = []  # added by the desk's view
    assert set(citizen_view) <= schema_keys and set(official_view) <= schema_keys
    # Only what the desk's view adds for signed submissions, and a bundle's linked dossiers
    # (tests/api/test_bundle.py), are not built by dossier_dict for a single dossier.
    assert schema_keys - set(official_view) <= {"submission_signature", "members"}
    for shape in (citizen_view, official_view):
        assert DossierOut().dump(shape) == shape  # nothing dropped or renamed on the way out
