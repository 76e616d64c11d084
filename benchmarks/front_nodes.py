"""Sync pushes through the production front with two app nodes, then with one; or (--reads) a
read mix the database does not limit, each node on a core of its own.

    bash scripts/production.sh start
    .venv/bin/python benchmarks/front_nodes.py [--phones 40] [--seconds 20] [--batch 10]
    .venv/bin/python benchmarks/front_nodes.py --reads [--connections 32] [--seconds 15]
    .venv/bin/python benchmarks/front_nodes.py --reads --node-cpu 0.4

Reads the shape's settings from the same environment as scripts/production.sh
(HOSO_SHAPE_DIR, HTTPS_PORT, NODE_PORTS, DATABASE_URL). Each phone is a thread with one
kept-alive HTTPS connection to nginx (HTTP/1.1, TLS) that pushes batches of `dossier.save`
mutations (each a new draft) back to back. The run with one node stops node 2
(`production.sh kill-node 2`) and starts it again afterwards. Prints acknowledged mutations
per second and p50/p95 push latency for each, and the machine's load average: on a shared
machine the ratio, not the absolute figure, is what carries over. Not part of the test suite.

--reads: `wrk` (Debian's package, C, one thread) keeps `--connections` kept-alive HTTPS
connections to nginx busy with phones' reads: a catalog revalidation (If-None-Match, 304), a
procedure, a form version (answered from each process's encoded bodies, api/caching.py) and
a sync pull after the phone's snapshot (one citizen, nothing new: a few indexed queries).
First with node 2 stopped and node 1 pinned (`taskset`) to core 0 while nginx and wrk run on
core 1; then with node 1 on core 0,
node 2 on core 1 and nginx and wrk wherever the kernel puts them. Each run prints requests/s,
and the CPU each part used (from /proc: the nodes' masters, workers and reaped workers,
nginx's worker, wrk, the database's backends), so the ratio is printed with what bounds it:
two nodes can only double one node's rate when each gets a whole core besides nginx's and
the load generator's.

--reads --node-cpu F: each node as if on a machine of its own with F of a core: the node's
processes (master, workers, threads) go into a cgroup of their own (the cpu controller,
`cpu.cfs_quota_us` = F × the period) and run on any core, as do nginx, wrk and PostgreSQL,
which keep the rest of the machine. One node with F of a core, then two nodes with F each:
with F small enough that the front, the load generator and the database are not the limit,
this is the ratio a province gets from a second node machine. Needs a writable cgroup v1
cpu controller (/sys/fs/cgroup/cpu, root).
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


def _pid(cfg: dict[str, str], name: str) -> int:
    return int((Path(cfg["state"]) / "run" / f"{name}.pid").read_text())


def _children(pid: int) -> list[int]:
    try:
        found = (Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
    except OSError:
        return []
    return [int(c) for c in found]


def _cpu(pid: int, reaped: bool = True) -> float:
    """CPU seconds of a process (all its threads), with its reaped children's when `reaped`."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if reaped else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int) -> float:
    return _cpu(pid) + sum(_cpu(c) for c in _children(pid))


def _database_cpu(name: str) -> dict[int, float]:
    """CPU seconds of each live backend of database `name` (by process id)."""
    found = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if cmd.startswith(b"postgres: ") and f" {name} ".encode() in cmd:
                found[int(proc.name)] = _cpu(int(proc.name), reaped=False)
    return found


CGROUP_CPU = Path("/sys/fs/cgroup/cpu")


def _cap(pid: int, group: str, fraction: float) -> None:
    """Puts process `pid` and its children (every thread, and processes they fork later) in cgroup
    `group`, which may use `fraction` of one core."""
    path = CGROUP_CPU / group
    path.mkdir(exist_ok=True)
    period = int((path / "cpu.cfs_period_us").read_text())
    (path / "cpu.cfs_quota_us").write_text(str(int(period * fraction)))
    for p in (pid, *_children(pid)):
        (path / "cgroup.procs").write_text(str(p))


def _uncap(pid: int, group: str) -> None:
    for p in (pid, *_children(pid)):
        try:
            (CGROUP_CPU / "cgroup.procs").write_text(str(p))
        except OSError:
            pass  # gone
    try:
        (CGROUP_CPU / group).rmdir()
    except OSError:
        pass


def _pin(pid: int, cpus: str) -> None:
    for p in (pid, *_children(pid)):
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(p)], check=True, capture_output=True)


WRK_SCRIPT = """
local reqs = {}
request = function()
  local r = reqs[(counter %% #reqs) + 1]
  counter = counter + 1
  return r
end
init = function(args)
  counter = 0
  reqs = {
    wrk.format("GET", "/api/v1/procedures", {["If-None-Match"] = '%(etag)s'}),
    wrk.format("GET", "/api/v1/procedures/%(code)s"),
    wrk.format("GET", "/api/v1/procedures/%(code)s/forms/%(version)d"),
    wrk.format("GET", "/api/v1/sync/pull?client_id=%(client)s&cursor=%(cursor)s",
               {["Authorization"] = "Bearer %(token)s"}),
  }
end
"""


def read_run(cfg: dict[str, str], script_path: str, connections: int, seconds: float,
             nodes: list[tuple[int, str]], front_cpus: str | None,
             node_cpu: float | None = None) -> dict[str, Any]:
    """One wrk run; `nodes`: (node number, its cores); `front_cpus`: where nginx and wrk run;
    `node_cpu`: each node's share of a core (a cgroup each), if capped."""
    import re
    import resource

    for n, cpus in nodes:
        _pin(_pid(cfg, f"node{n}"), cpus)
        if node_cpu:
            _cap(_pid(cfg, f"node{n}"), f"hoso-node{n}", node_cpu)
    nginx = _pid(cfg, "nginx")
    _pin(nginx, front_cpus or f"0-{os.cpu_count() - 1}")
    database = cfg["database"].rsplit("/", 1)[1]
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "-s", script_path, cfg["front"]]
    if front_cpus:
        command = ["taskset", "-c", front_cpus, *command]
    # Warm up (each process's encoded bodies, its database connections), unmeasured.
    subprocess.run([*command[:-4], "-d3s", *command[-3:]], check=True, capture_output=True)
    before = {"nodes": sum(_tree_cpu(_pid(cfg, f"node{n}")) for n, _ in nodes),
              "nginx": _tree_cpu(nginx), "database": _database_cpu(database)}
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()[0]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = {"nodes": sum(_tree_cpu(_pid(cfg, f"node{n}")) for n, _ in nodes) - before["nodes"],
            "nginx": _tree_cpu(nginx) - before["nginx"],
            "database": sum(cpu - before["database"].get(pid, 0.0)
                            for pid, cpu in _database_cpu(database).items()),
            "wrk": (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_before.ru_utime + wrk_before.ru_stime)}
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rate": rate, "cores": {k: v / seconds for k, v in used.items()},
            "non_2xx": int(bad[1]) if bad else 0, "socket_errors": errors[1] if errors else "none",
            "load": (load_before, os.getloadavg()[0])}


def reads(cfg: dict[str, str], connections: int, seconds: float, node_cpu: float | None = None) -> None:
    import tempfile
    from urllib.parse import quote

    tokens, _, version = seed(cfg, 1)
    catalog = requests.get(cfg["front"] + "/api/v1/procedures", verify=cfg["cert"], timeout=30,
                           headers={"Accept-Encoding": "identity"})
    client = str(uuid.uuid4())
    # The phone's first pull is a snapshot; the reads are the pulls after it (nothing new).
    pulled = requests.get(cfg["front"] + "/api/v1/sync/pull", verify=cfg["cert"], timeout=30,
                          params={"client_id": client}, headers={"Authorization": f"Bearer {tokens[0]}"})
    pulled.raise_for_status()
    script = ["bash", str(ROOT / "scripts" / "production.sh")]
    # No worker recycling during the runs: at these rates `max_requests` (5000) recycles a
    # worker every few seconds, which resets the connections queued on its socket
    # (gunicorn.conf.py) and has nginx skip the node for `fail_timeout` (2 s).
    steady = {**os.environ, "GUNICORN_MAX_REQUESTS": "0"}
    for n in (1, 2):
        subprocess.run([*script, "restart-node", str(n)], check=True, capture_output=True, env=steady)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(WRK_SCRIPT % {"etag": catalog.headers["ETag"], "code": PROCEDURE, "version": version,
                                "client": client, "cursor": quote(pulled.json()["cursor"], safe=""),
                                "token": tokens[0]})
        lua.flush()
        print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}")
        last = os.cpu_count() - 1
        every = f"0-{last}"
        if node_cpu:  # each node capped in a cgroup, everything on every core
            one = (f"one node ({node_cpu:g} of a core; nginx, wrk, database the rest)", [(1, every)], None)
            two = (f"two nodes ({node_cpu:g} of a core each)", [(1, every), (2, every)], None)
        else:  # each node pinned to a core of its own
            one = ("one node (core 0; nginx, wrk on core 1)", [(1, "0")], str(last))
            two = ("two nodes (cores 0, 1; nginx, wrk anywhere)", [(1, "0"), (2, str(last))], None)
        results = {}
        subprocess.run([*script, "kill-node", "2"], check=True)
        try:
            results[one[0]] = read_run(cfg, lua.name, connections, seconds, one[1], one[2], node_cpu)
        finally:
            subprocess.run([*script, "restart-node", "2"], check=True, capture_output=True, env=steady)
        try:
            results[two[0]] = read_run(cfg, lua.name, connections, seconds, two[1], two[2], node_cpu)
        finally:
            if node_cpu:
                for n in (1, 2):
                    _uncap(_pid(cfg, f"node{n}"), f"hoso-node{n}")
    for n in (1, 2):  # back to the shape's own settings, on every core
        subprocess.run([*script, "restart-node", str(n)], check=True, capture_output=True)
    for name, r in results.items():
        c = r["cores"]
        print(f"{name}: {r['rate']:.0f} requests/s; cores used: nodes {c['nodes']:.2f}, nginx "
              f"{c['nginx']:.2f}, wrk {c['wrk']:.2f}, database {c['database']:.2f}; "
              f"{r['rate'] / max(c['nodes'], 1e-9):.0f} requests per node core-second; "
              f"non-2xx/3xx {r['non_2xx']}, socket errors {r['socket_errors']} "
              f"(load average {r['load'][0]:.2f} before, {r['load'][1]:.2f} after)")
    one, two = results.values()
    per_one = one["rate"] / one["cores"]["nodes"]
    per_two = two["rate"] / two["cores"]["nodes"]
    print(f"two nodes / one node: {two['rate'] / one['rate']:.2f}x the requests/s, with "
          f"{two['cores']['nodes'] / one['cores']['nodes']:.2f}x the nodes' CPU; per node core-second "
          f"{per_two / per_one:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--reads", action="store_true", help="the read mix, each node on a core")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--node-cpu", type=float, help="with --reads: each node capped at this share "
                        "of a core (a cgroup each), as if on a machine of its own")
    options = parser.parse_args()
    cfg = settings()
    if options.reads:
        reads(cfg, options.connections, options.seconds, options.node_cpu)
        return
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
