"""The scheduler micro-benchmark of compute_vs_nova.py: decisions per second of onestack's
own scheduler (in process, SQLite) with thousands of fake hosts registered."""
from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path


def log(msg: str) -> None:
    print(f"[scheduler_bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

def sched_bench(n_hosts: int, decisions: int, args, outdir: Path) -> dict:
    import sqlalchemy as sa

    from onestack.compute import models as cm
    from onestack.compute import scheduler as sched_mod
    from onestack.compute import states as st
    from onestack.compute.drivers.fake import FakeDriver
    from onestack.compute.reconciler import HostAgent
    from onestack.core.bus import NullBus
    from onestack.core.db import Database, new_id, utcnow
    from onestack.migrations import upgrade
    from onestack.placement import models as pm

    tmp = Path(tempfile.mkdtemp(prefix="onestack-sched-bench-"))
    url = args.sched_db_url or "sqlite:///%s" % (tmp / "sched.db")
    res: dict = {"hosts": n_hosts, "db": url.split(":")[0]}
    try:
        t = time.monotonic()
        upgrade(url)
        db = Database(url)
        bus = NullBus()
        res["migrate_s"] = time.monotonic() - t
        prefix = "sb%s-" % uuid.uuid4().hex[:6]
        names = ["%s%05d" % (prefix, i) for i in range(n_hosts)]
        t = time.monotonic()
        first = names if args.sched_register else names[:1]
        for h in first:
            HostAgent(db, bus, h, FakeDriver(h), "nova").register()
        if not args.sched_register:
            # copies of what register() wrote for the first host
            def bulk(s) -> None:
                h0 = s.scalar(sa.select(cm.ComputeHost).where(cm.ComputeHost.host == names[0]))
                rp0 = s.scalar(sa.select(pm.ResourceProvider)
                               .where(pm.ResourceProvider.uuid == h0.uuid))
                inv0 = list(s.scalars(sa.select(pm.Inventory)
                                      .where(pm.Inventory.provider_uuid == h0.uuid)))
                hcols = [c.key for c in cm.ComputeHost.__table__.columns
                         if c.key not in ("id", "uuid", "host")]
                icols = [c.key for c in pm.Inventory.__table__.columns if c.key != "provider_uuid"]
                now = utcnow()
                hosts, rps, invs = [], [], []
                for name in names[1:]:
                    u = new_id()
                    row = {k: getattr(h0, k) for k in hcols}
                    row.update(uuid=u, host=name, created_at=now, updated_at=now,
                               last_seen_at=now)
                    hosts.append(row)
                    rps.append(dict(uuid=u, name=name, generation=rp0.generation, root_uuid=u,
                                    parent_uuid=None, created_at=now, updated_at=now))
                    for inv in inv0:
                        d = {k: getattr(inv, k) for k in icols}
                        d["provider_uuid"] = u
                        invs.append(d)
                for i in range(0, len(hosts), 2000):
                    s.execute(sa.insert(cm.ComputeHost), hosts[i:i + 2000])
                    s.execute(sa.insert(pm.ResourceProvider), rps[i:i + 2000])
                for i in range(0, len(invs), 6000):
                    s.execute(sa.insert(pm.Inventory), invs[i:i + 6000])
            db.write(bulk)
        res["register_s"] = time.monotonic() - t
        res["register_mode"] = "HostAgent.register() each" if args.sched_register else \
            "1x HostAgent.register() + bulk copies"
        tiny = {"id": "42", "name": "m1.nano", "vcpus": 1, "ram": 128, "disk": 1,
                "ephemeral": 0, "swap": 0, "extra_specs": {}}
        project = uuid.uuid4().hex
        ids = [str(uuid.uuid4()) for _ in range(decisions)]

        def add(s) -> None:
            now = utcnow()
            for ident in ids:
                s.add(cm.Instance(id=ident, project_id=project, user_id="u", name=ident[:8],
                                  image_ref="", flavor_id="42", flavor=dict(tiny),
                                  requested_az=None, vm_state=st.BUILDING,
                                  task_state=st.SCHEDULING, power_state=0, metadata_={},
                                  tags=[], system_metadata={}, request={}, created_at=now,
                                  updated_at=now, deleted=False, locked=False, progress=0,
                                  console_log=""))
        db.write(add)

        def heartbeat_all() -> None:
            db.write(lambda s: s.execute(sa.update(cm.ComputeHost)
                                         .where(cm.ComputeHost.host.like(prefix + "%"))
                                         .values(last_seen_at=utcnow())))
        sched = sched_mod.Scheduler(db, bus)
        cand_times: list[float] = []
        orig = sched_mod.candidates

        def timed_candidates(*a, **k):
            t1 = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                cand_times.append(time.perf_counter() - t1)
        sched_mod.candidates = timed_candidates
        times: list[float] = []
        last_beat = 0.0
        t_all = time.monotonic()
        try:
            for ident in ids:
                if time.monotonic() - last_beat > 15:  # keep hosts "up" (60 s window)
                    heartbeat_all()
                    last_beat = time.monotonic()
                t1 = time.perf_counter()
                sched.reconcile(ident)
                times.append(time.perf_counter() - t1)
                if time.monotonic() - t_all > args.sched_max_seconds and len(times) >= 20:
                    break
        finally:
            sched_mod.candidates = orig
        done = ids[:len(times)]

        def outcome(s):
            rows = s.execute(sa.select(cm.Instance.host, cm.Instance.task_state)
                             .where(cm.Instance.id.in_(done))).all()
            return (sum(1 for h, ts in rows if h and ts == st.SPAWNING),
                    len({h for h, _ in rows if h}))
        placed, distinct = db.read(outcome)
        med = statistics.median(times)
        res.update({
            "decisions": len(times), "placed": placed, "distinct_hosts": distinct,
            "decision_s": {"median": med, "p95": sorted(times)[int(0.95 * (len(times) - 1))],
                           "min": min(times), "max": max(times)},
            "decisions_per_s_median": 1.0 / med,
            "decisions_per_s_overall": len(times) / sum(times),
            "candidates_s_median": statistics.median(cand_times) if cand_times else None,
        })
        db.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log("scheduler, %d hosts: %.1f decisions/s (median %.1f ms, candidates() %.1f ms), "
        "%d/%d placed on %d hosts" % (n_hosts, res["decisions_per_s_median"], med * 1e3,
                                      (res["candidates_s_median"] or 0) * 1e3, placed,
                                      len(times), distinct))
    return res


