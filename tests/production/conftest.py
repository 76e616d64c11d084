"""One production shape for the tests of this folder: scripts/production.sh over a private
PostgreSQL cluster and a private Redis (the tests restart both; the machine's shared servers
are never touched). It runs in the PostgreSQL pass of the suite, like the crash tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.databases import ON_POSTGRESQL
from tests.hardening.servers import PrivatePostgres, postgres_bin, private_postgres
from tests.production.shape import PrivateRedis, Shape
from tests.push.pushservice import PushService

SKIP = None
if postgres_bin() is None:
    SKIP = "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)"
elif shutil.which("nginx") is None:
    SKIP = "no nginx (scripts/test.sh installs Debian's nginx-light)"
elif not ON_POSTGRESQL:
    SKIP = "runs in the PostgreSQL pass (it starts its own PostgreSQL, Redis and nginx)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SKIP:
        for item in items:
            if "tests/production/" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=SKIP))


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivatePostgres]:
    with private_postgres("hoso-shape-pg-") as pg:
        yield pg


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path_factory.mktemp("shape-redis"))
    yield redis
    redis.stop()


@pytest.fixture(scope="session")
def shape_push(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushService]:
    """The real HTTPS push service the shape's RQ worker delivers to."""
    service = PushService(tmp_path_factory.mktemp("shape-push-tls"))
    yield service
    service.close()


@pytest.fixture(scope="session")
def shape(private_pg: PrivatePostgres, private_redis: PrivateRedis, shape_push: PushService,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shape]:
    assert private_pg.port != 5432  # never the machine's shared server
    url = private_pg.url.rsplit("/", 1)[0] + "/hoso"
    running = Shape(tmp_path_factory.mktemp("shape"), url, private_redis.url, env={
        "PUSH_ALLOWED_HOSTS": f"localhost:{shape_push.port}",
        "PUSH_CA_BUNDLE": str(shape_push.ca),
        "PUSH_RETRY_BASE_SECONDS": "0.5",
    })
    try:
        yield running
    finally:
        running.stop()
