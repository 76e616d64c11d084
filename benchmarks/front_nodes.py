"""Sync pushes through the production front with two app nodes, then with one.

    bash scripts/production.sh start
    .venv/bin/python benchmarks/front_nodes.py [--phones 40] [--seconds 20] [--batch 10]

Reads the shape's settings from the same environment as scripts/production.sh
(HOSO_SHAPE_DIR, HTTPS_PORT, NODE_PORTS, DATABASE_URL). Each phone is a thread with one
kept-alive HTTPS connection to nginx (HTTP/1.1, TLS) that pushes batches of `dossier.save`
mutations (each a new draft) back to back. The run with one node stops node 2
(`production.sh kill-node 2`) and starts it again afterwards. Prints acknowledged mutations
per second and p50/p95 push latency for each, and the machine's load average: on a shared
machine the ratio, not the absolute figure, is what carries over. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PROCEDURE = "marital-status-confirmation"


def settings() -> dict[str, str]:
    state = Path(os.environ.get("HOSO_SHAPE_DIR", ROOT / "instance" / "production"))
    secrets = dict(line.split("=", 1) for line in (state / "secrets.env").read_text().split())
    return {"state": str(state), "front": f"https://127.0.0.1:{os.environ.get('HTTPS_PORT', '8443')}",
            "cert": str(state / "tls" / "cert.pem"),
            "jwt": secrets.get("JWT_SECRET_KEY") or secrets["SECRET_KEY"],
            "database": os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/hoso_production")}


def seed(cfg: dict[str, str], phones: int) -> tuple[list[str], dict[str, Any], int]:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from app import create_app
    from app.models.catalog import FormVersion, Procedure
    from app.services import accounts
    from tests.factories import sample_values

    url = cfg["database"].replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": cfg["jwt"], "JWT_SECRET_KEY": cfg["jwt"]})
    engine = create_engine(url)
    tokens = []
    with app.app_context(), Session(engine) as session:
        proc = session.get(Procedure, PROCEDURE)
        values = sample_values(session.get(FormVersion, (PROCEDURE, proc.current_version)).form)
        for _ in range(phones):
            user = accounts.register(session, password="Khong-doan-duoc-42", full_name="Người dân",
                                     phone=f"09{uuid.uuid4().int % 10**8:08d}", language="vi")
            tokens.append(accounts.issue_tokens(session, user)["access_token"])
        session.commit()
        version = proc.current_version
    engine.dispose()
    return tokens, values, version


def phone(cfg: dict[str, str], token: str, values: dict[str, Any], version: int, batch: int,
          stop_at: float, out: dict[str, Any]) -> None:
    http = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    client_id, next_id = str(uuid.uuid4()), 1
    while time.monotonic() < stop_at:
        mutations = [{"id": next_id + i, "name": "dossier.save", "captured_at": datetime.now(UTC).isoformat(),
                      "args": {"dossier_id": str(uuid.uuid4()), "procedure_code": PROCEDURE,
                               "form_version": version, "base_version": None, "fields": values}}
                     for i in range(batch)]
        started = time.monotonic()
        try:
            resp = http.post(cfg["front"] + "/api/v1/sync/push", headers=headers, verify=cfg["cert"],
                             json={"client_id": client_id, "mutations": mutations}, timeout=60)
        except requests.RequestException:
            out["errors"] += 1
            continue
        if resp.status_code != 200:
            out["errors"] += 1
            continue
        out["latency"].append(time.monotonic() - started)
        out["acked"] += len(resp.json()["results"])
        next_id += batch


def measure(cfg: dict[str, str], phones: int, seconds: float, batch: int) -> dict[str, Any]:
    tokens, values, version = seed(cfg, phones)
    outs = [{"acked": 0, "errors": 0, "latency": []} for _ in tokens]
    stop_at = time.monotonic() + seconds
    threads = [threading.Thread(target=phone, args=(cfg, t, values, version, batch, stop_at, o))
               for t, o in zip(tokens, outs, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latency = sorted(x for o in outs for x in o["latency"])
    return {"rate": sum(o["acked"] for o in outs) / seconds, "errors": sum(o["errors"] for o in outs),
            "p50": statistics.median(latency) * 1000, "p95": latency[int(len(latency) * 0.95)] * 1000,
            "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=10)
    options = parser.parse_args()
    cfg = settings()
    script = ["bash", str(ROOT / "scripts" / "production.sh")]
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}")
    results = {"two nodes": measure(cfg, options.phones, options.seconds, options.batch)}
    subprocess.run([*script, "kill-node", "2"], check=True)
    try:
        results["one node"] = measure(cfg, options.phones, options.seconds, options.batch)
    finally:
        subprocess.run([*script, "restart-node", "2"], check=True, capture_output=True)
    for name, r in results.items():
        print(f"{name}: {r['rate']:.0f} mutations/s acknowledged, push p50 {r['p50']:.0f} ms, "
              f"p95 {r['p95']:.0f} ms, {r['errors']} errors (load average {r['load']:.1f})")
    print(f"two nodes / one node: {results['two nodes']['rate'] / results['one node']['rate']:.2f}×")


if __name__ == "__main__":
    main()
