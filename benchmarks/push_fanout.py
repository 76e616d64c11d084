"""Push fan-out: notifications delivered per second by RQ workers to a local push service.

    .venv/bin/python benchmarks/push_fanout.py [--deliveries 1000] [--workers 2]
        [--devices 10] [--database-url postgresql://postgres@127.0.0.1:5432/hoso_push]

Builds citizens with `--devices` subscribed phones each, then moves one dossier per
citizen to "accepted" through the real state machine: each transition writes its
notification and one outbox row per device, and its commit enqueues one RQ job per
delivery. Then `--workers` processes of `flask --app wsgi push worker --burst` drain the
queue against the local HTTPS push service of tests/push/pushservice.py, which checks
each VAPID JWT and decrypts each payload in this process (so it competes for the CPU).
The database is DROPPED and recreated: give a throw-away one (default: a temp SQLite).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.jobs import push_worker  # noqa: E402
from app.models import Base, Procedure, User  # noqa: E402
from app.models.push import SENT, PushDelivery, PushSubscription  # noqa: E402
from app.services import accounts, catalog, vapid  # noqa: E402
from app.services import lifecycle as lc  # noqa: E402
from tests.factories import make_dossier  # noqa: E402
from tests.push.pushservice import PushService  # noqa: E402

PROTECTED = ("/test", "/hoso_test", "/hoso_dev")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--devices", type=int, default=10, help="subscribed devices per citizen")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--queue", default="hoso-push-bench")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hoso-push-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    if url.rstrip("/").endswith(PROTECTED):
        sys.exit(f"refusing to drop {url}: give a throw-away database")
    service = PushService(tmp)
    env = {"DATABASE_URL": url, "REDIS_URL": args.redis_url, "PUSH_QUEUE": args.queue,
           "VAPID_PRIVATE_KEY": vapid.private_raw(vapid.generate_private_key()),
           "VAPID_SUBJECT": "mailto:bench@hoso.example",
           "PUSH_ALLOWED_HOSTS": f"localhost:{service.port}", "PUSH_CA_BUNDLE": str(service.ca),
           "PUSH_SWEEP_SECONDS": "3600", "SECRET_KEY": "bench-" + uuid.uuid4().hex * 2}
    os.environ.update(env)
    app = create_app()
    citizens = max(1, args.deliveries // args.devices)
    total = citizens * args.devices

    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        catalog.load_demo(db.session)
        agency = db.session.get(Procedure, "birth-registration").agency_code
        official = accounts.create_official(db.session, email="bench@office.test",
                                            password="Bench-password-2026", full_name="Cán bộ",
                                            agency_code=agency, role="leader")
        owners = []
        for n in range(citizens):
            user = User(phone=f"09{n:08d}", password_hash="-", full_name=f"Công dân {n}",
                        language="vi" if n % 2 else "en")
            db.session.add(user)
            owners.append(user)
        db.session.flush()
        for user in owners:
            for _ in range(args.devices):
                device = service.new_device()
                db.session.add(PushSubscription(user_id=user.id, endpoint=device.endpoint,
                                                p256dh=device.p256dh,
                                                auth=device.subscription()["keys"]["auth"]))
        db.session.commit()
        queue = push_worker.rq_queue(app)
        queue.empty()
        started = time.monotonic()
        for user in owners:  # each commit enqueues that notification's deliveries
            make_dossier(db.session, user, status=lc.ACCEPTED, official=official)
        produced = time.monotonic() - started
        queued = len(queue)
        print(f"{citizens} citizens x {args.devices} devices: {total} deliveries written and "
              f"{queued} jobs queued in {produced:.1f} s ({db.engine.dialect.name})")

    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "push", "worker", "--burst",
           "--no-scheduler"]
    t0 = time.monotonic()
    workers = [subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(args.workers)]
    for proc in workers:
        proc.wait(timeout=600)
    elapsed = time.monotonic() - t0

    with app.app_context():
        sent = db.session.scalar(select(func.count()).where(PushDelivery.state == SENT))
        first, last = db.session.execute(select(func.min(PushDelivery.sent_at),
                                                func.max(PushDelivery.sent_at))).one()
    drain = (last - first).total_seconds() if first and last else 0.0
    problems = [p for r in service.received for p in r.problems]
    service.close()
    print(f"workers: {args.workers} x `flask --app wsgi push worker --burst` (SimpleWorker)")
    print(f"accepted by the push service: {len(service.accepted())}/{total}, rows sent: {sent}, "
          f"pushes received: {len(service.received)}, problems: {len(problems)}")
    print(f"wall time incl. worker start-up: {elapsed:.2f} s -> {sent / elapsed:.0f} deliveries/s")
    if drain > 0:
        print(f"first to last delivery: {drain:.2f} s -> {sent / drain:.0f} deliveries/s")


if __name__ == "__main__":
    main()
