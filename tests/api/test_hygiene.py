"""Every error is problem+json; the spec, health and readiness answer."""

from __future__ import annotations

PROBLEM = "application/problem+json"


def test_openapi_lists_the_public_surface(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/auth/login", "/api/v1/procedures/{code}/forms/{version}",
                 "/api/v1/office/dossiers/{dossier_id}/transitions"):
        assert path in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json()["status"] == "ready"


def test_404_405_are_problems(client):
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.mimetype == PROBLEM
    assert resp.get_json()["status"] == 404
    resp = client.delete("/api/v1/procedures")
    assert resp.status_code == 405 and resp.mimetype == PROBLEM
    assert "GET" in resp.headers["Allow"]


def test_wrong_content_type_is_415(client):
    resp = client.post("/api/v1/auth/login", data="login=a", content_type="text/plain")
    assert resp.status_code == 415 and resp.mimetype == PROBLEM


def test_malformed_json_is_400(client):
    resp = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert resp.status_code == 400 and resp.mimetype == PROBLEM


def test_wrong_types_are_422_with_field_errors(client):
    resp = client.post("/api/v1/auth/login", json={"login": 5, "password": ["x"]})
    assert resp.status_code == 422 and resp.mimetype == PROBLEM
    assert set(resp.get_json()["errors"]) == {"login", "password"}
    resp = client.post("/api/v1/auth/login", json=[1, 2])
    assert resp.status_code == 422


def test_huge_body_is_413(client):
    resp = client.post("/api/v1/auth/login", data=b"{" + b" " * (3 * 1024 * 1024) + b"}",
                       content_type="application/json")
    assert resp.status_code == 413 and resp.mimetype == PROBLEM


def test_unexpected_errors_are_500_problems_without_internals(app):
    from app import create_app

    fresh = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "SECRET_KEY": app.config["SECRET_KEY"]})

    @fresh.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    resp = fresh.test_client().get("/boom-for-test")
    assert resp.status_code == 500 and resp.mimetype == PROBLEM
    assert "secret" not in resp.get_data(as_text=True)


def test_vietnamese_text_travels_as_utf8_not_escapes(client, citizen):
    """Every byte counts on 2G: "Nguyễn" goes as 8 bytes of UTF-8, not as "Nguy\\u1ec5n"."""
    resp = client.get("/api/v1/auth/me", headers=citizen.headers)
    assert resp.status_code == 200
    assert resp.get_json()["full_name"] == "Nguyễn Văn An"
    assert "Nguyễn Văn An".encode() in resp.data
    assert b"\\u" not in resp.data
    assert resp.mimetype == "application/json"
