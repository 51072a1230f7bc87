#!/usr/bin/env python3
"""Benchmark any OpenStack Block Storage v3 (Cinder-compatible) endpoint.

Gets ONE Keystone v3 password token (project scope), finds the block-storage endpoint in
its catalog (type "block-storage", else "volumev3"; or --volume-url) and the image endpoint
("image"; or --image-url), negotiates a microversion (the server's maximum, capped at
--max-microversion) and measures:

  create_empty     N times: POST /volumes (1 GiB, empty), poll until "available"; latency
  create_image     uploads one --image-mib (64) MiB raw image (pseudo-random bytes, so no
                   zero-skipping) to the image service, then M times: POST /volumes
                   {imageRef} (1 GiB), poll until "available"; latency
  burst            B (20) creates released at once by B threads -> all "available"; wall time
                   from the release (the threads and their HTTP clients are made before it;
                   --burst-reps R bursts one after another: the median of their walls)
  attach           K times on one volume, without a server: microversion >= 3.44: POST
                   /attachments {connector} + POST /attachments/{id}/action {"os-complete"},
                   poll until "in-use"; else os-reserve + os-initialize_connection + os-attach.
                   Then detach (DELETE /attachments/{id}, or os-terminate_connection +
                   os-detach) until "available" again
  list             L (200) volumes present: GET /volumes/detail?limit=L and
                   GET /volumes?limit=L, R times each; latency
  memory           PSS/RSS/USS of the server process trees named by --pid-files (group =
                   pid file name up to the first "-": keystone, glance, cinder, ...), at idle,
                   loaded (200 volumes) and after the run
  server_cpu       CPU seconds those trees used in each phase, per operation (status polls
                   included: they are part of what a client must do to see "available")

Status polls back off from 10 ms by x1.5 up to --poll-max (100 ms). Volume quotas are raised
through /os-quota-sets when the project's limits are too low for the run (and restored after);
everything created (volumes, attachments, the image) is deleted at the end, also on error.
--phases picks a subset of the phases (all by default). Only needs httpx + psutil. Prints a
table and writes JSON (--out).
"""
import argparse
import concurrent.futures as cf
import glob
import json
import os
import platform
import random
import re
import statistics
import threading
import time
import uuid

import httpx
import psutil

GIB = 2**30
CONNECTOR = {"platform": "x86_64", "os_type": "linux", "ip": "127.0.0.1", "host": "bench-host",
             "multipath": False, "do_local_attach": False,
             "initiator": "iqn.1993-08.org.debian:01:bench0001"}


PHASES = ("create_empty", "create_image", "burst", "attach", "list")


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))]


def summ(values):
    if not values:
        return {}
    ms = [x * 1000 for x in values]
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 2),
            "p95_ms": round(pct(ms, 95), 2), "min_ms": round(min(ms), 2),
            "max_ms": round(max(ms), 2), "mean_ms": round(statistics.fmean(ms), 2)}


def mv_tuple(s):
    major, minor = str(s).split(".")
    return int(major), int(minor)


# ------------------------------------------------------------------------ cloud
class Cloud:
    """One token, the volume + image endpoints, a negotiated microversion, thread-local clients."""

    def __init__(self, a):
        self.a = a
        self.local = threading.local()
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": a.username, "domain": {"name": a.user_domain}, "password": a.password}}},
            "scope": {"project": {"name": a.project, "domain": {"name": a.project_domain}}}}}
        r = httpx.post(a.auth_url.rstrip("/") + "/auth/tokens", json=body, timeout=60)
        r.raise_for_status()
        self.token = r.headers["X-Subject-Token"]
        tok = r.json()["token"]
        self.project_id = tok["project"]["id"]
        self.url = (a.volume_url or self.endpoint(tok, ("block-storage", "volumev3"))).rstrip("/")
        img = (a.image_url or self.endpoint(tok, ("image",))).rstrip("/")
        self.image_url = img if img.endswith("/v2") else img + "/v2"
        self.versions = self.discover()
        top = self.versions.get("version") or "3.0"
        self.mv = min(mv_tuple(top), mv_tuple(a.max_microversion))
        self.mv_str = "%d.%d" % self.mv

    def endpoint(self, tok, types):
        for stype in types:
            for svc in tok.get("catalog", []):
                if svc.get("type") != stype:
                    continue
                for ep in svc.get("endpoints", []):
                    if ep.get("interface") == self.a.interface and (
                            not self.a.region or ep.get("region_id", ep.get("region")) == self.a.region):
                        return ep["url"]
        raise SystemExit("no %s endpoint in the catalog" % " / ".join(types))

    def discover(self):
        """The v3 version document: from the unversioned root, else from the v3 URL itself."""
        root = self.url[: self.url.rfind("/v3")] + "/" if "/v3" in self.url else self.url + "/"
        for url, auth in ((root, False), (root, True), (self.url + "/", True)):
            try:
                r = httpx.get(url, timeout=30,
                              headers={"X-Auth-Token": self.token} if auth else {})
                if r.status_code not in (200, 300):
                    continue
                doc = r.json()
                for v in doc.get("versions", []) or [doc.get("version") or {}]:
                    if str(v.get("id", "")).startswith("v3"):
                        return {"url": url, "id": v["id"], "version": v.get("version"),
                                "min_version": v.get("min_version")}
            except (httpx.HTTPError, ValueError):
                continue
        return {}

    def client(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = self.local.c = httpx.Client(timeout=self.a.request_timeout, headers={
                "X-Auth-Token": self.token, "Accept": "application/json",
                "OpenStack-API-Version": "volume " + self.mv_str})
        return c

    def req(self, method, path, ok=(200, 201, 202, 204), base=None, **kw):
        t0 = time.perf_counter()
        r = self.client().request(method, (base or self.url) + path, **kw)
        dt = time.perf_counter() - t0
        if ok and r.status_code not in ok:
            raise RuntimeError("%s %s -> %s %s" % (method, path, r.status_code, r.text[:300]))
        return r, dt

    # -- volumes
    def create(self, name, image_id=None, size=1):
        body = {"size": size, "name": name}
        if image_id:
            body["imageRef"] = image_id
        r, dt = self.req("POST", "/volumes", json={"volume": body})
        return r.json()["volume"]["id"], dt

    def status(self, vid):
        r, _ = self.req("GET", "/volumes/" + vid, ok=(200, 404))
        return "gone" if r.status_code == 404 else r.json()["volume"]["status"]

    def wait_status(self, vid, want, timeout):
        """Poll until the volume's status is `want` ("gone" = 404); returns (ok, last, polls)."""
        end, delay, polls, st = time.monotonic() + timeout, 0.01, 0, None
        while time.monotonic() < end:
            st = self.status(vid)
            polls += 1
            if st == want:
                return True, st, polls
            if st in ("error", "error_deleting", "error_restoring", "error_extending"):
                return False, st, polls
            time.sleep(delay)
            delay = min(delay * 1.5, self.a.poll_max)
        return False, st, polls

    def list_all(self):
        """Every volume of the project (detail), following next links."""
        out, path = [], "/volumes/detail?limit=1000"
        for _ in range(100):
            r, _ = self.req("GET", path)
            doc = r.json()
            out += doc["volumes"]
            nxt = [x["href"] for x in doc.get("volumes_links", []) if x.get("rel") == "next"]
            if not nxt or not doc["volumes"]:
                break
            path = "/volumes/detail?" + nxt[0].split("?", 1)[1]
        return out


# -------------------------------------------------------------------- processes
def roots(a):
    """{group name: [root pids]} from --pid-files globs (group = file name), --pids, --proc-pattern"""
    out = {}
    for pat in a.pid_files or []:
        for path in sorted(glob.glob(pat)):
            try:
                out.setdefault(os.path.basename(path).rsplit(".pid", 1)[0], []).append(
                    int(open(path).read().strip()))
            except (OSError, ValueError):
                pass
    if a.pids:
        out.setdefault("pids", []).extend(a.pids)
    if a.proc_pattern:
        rx = re.compile(a.proc_pattern)
        for p in psutil.process_iter(["cmdline"]):
            if p.pid != os.getpid() and rx.search(" ".join(p.info["cmdline"] or [])):
                out.setdefault("pattern", []).append(p.pid)
    return out


def tree(pids):
    """The processes under each root pid, plus the members of its process group: daemons a
    service spawns and that re-parent to init (e.g. Cinder's privsep-helper) stay in the
    group of a root started with setsid."""
    procs, roots_ = [], set(pids)
    for pid in pids:
        try:
            p = psutil.Process(pid)
            procs.append(p)
            procs.extend(p.children(recursive=True))
        except psutil.Error:
            pass
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) in roots_:
                procs.append(p)
        except (OSError, psutil.Error):
            pass
    return {p.pid: p for p in procs}.values()


def group_of(name):
    return name.split("-", 1)[0]


def mem_snapshot(a):
    zero = {"procs": 0, "rss_mb": 0.0, "pss_mb": 0.0, "uss_mb": 0.0}
    groups, services, total = {}, {}, dict(zero)
    for name, pids in roots(a).items():
        g = dict(zero)
        for p in tree(pids):
            try:
                m = p.memory_full_info()
            except psutil.Error:
                continue
            g["procs"] += 1
            g["rss_mb"] += m.rss / 2**20
            g["pss_mb"] += getattr(m, "pss", 0) / 2**20
            g["uss_mb"] += m.uss / 2**20
        groups[name] = {k: round(v, 1) for k, v in g.items()}
        s = services.setdefault(group_of(name), dict(zero))
        for k in zero:
            s[k] = round(s[k] + g[k], 1)
            total[k] = round(total[k] + g[k], 1)
    return {"by_process": groups, "by_service": services, "total": total}


def cpu_seconds(a):
    out = {}
    for name, pids in roots(a).items():
        s = 0.0
        for p in tree(pids):
            try:
                c = p.cpu_times()
                s += c.user + c.system + c.children_user + c.children_system
            except psutil.Error:
                pass
        out[group_of(name)] = out.get(group_of(name), 0.0) + s
    return out


class CpuMeter:
    def __init__(self, a):
        self.a = a

    def __enter__(self):
        self.c0, self.t0 = cpu_seconds(self.a), time.perf_counter()
        return self

    def __exit__(self, *exc):
        c1 = cpu_seconds(self.a)
        self.wall = time.perf_counter() - self.t0
        self.cpu = {k: round(c1[k] - self.c0.get(k, 0.0), 3) for k in c1}
        self.cpu["total"] = round(sum(self.cpu.values()), 3)

    def per_op(self, n):
        return {k: round(v * 1000 / n, 2) for k, v in self.cpu.items()} if n else {}


# ----------------------------------------------------------------------- phases
def create_and_wait(c, a, name, image_id=None, barrier=None):
    """POST a volume and poll until available: (id, post_s, total_s, ok, status, polls).

    With a barrier, the thread's HTTP client is built before it: an httpx client takes
    ~20 ms of CPU to build (its TLS context), and twenty of them built in the measured
    window would time this client, not the server."""
    if barrier is not None:
        c.client()
        barrier.wait()
    t0 = time.perf_counter()
    vid, post = c.create(name, image_id)
    ok, st, polls = c.wait_status(vid, "available", a.phase_timeout)
    return vid, post, time.perf_counter() - t0, ok, st, polls


def delete_and_wait(c, a, vids, conc=None):
    """DELETE volumes (conc threads), then poll until each is gone: (wall_s, failures)."""
    t0 = time.perf_counter()

    def one(vid):
        c.req("DELETE", "/volumes/" + vid, ok=(202, 204, 404))
        ok, st, _ = c.wait_status(vid, "gone", a.phase_timeout)
        return None if ok else "%s: %s" % (vid, st)

    with cf.ThreadPoolExecutor(conc or a.concurrency) as ex:
        fails = [f for f in ex.map(one, vids) if f]
    return round(time.perf_counter() - t0, 2), fails


def phase_sequential(c, a, res, key, n, prefix, image_id=None):
    lat, posts, polls, errors, vids = [], [], [], [], []
    with CpuMeter(a) as m:
        for i in range(n):
            vid, post, total, ok, st, np_ = create_and_wait(c, a, "%s-%s-%03d" % (prefix, key, i), image_id)
            vids.append(vid)
            if ok:
                lat.append(total)
                posts.append(post)
                polls.append(np_)
            else:
                errors.append("%s ended %s" % (vid, st))
    del_wall, del_fail = delete_and_wait(c, a, vids)
    res[key] = {"n": n, "available": len(lat), "errors": errors[:5],
                "create_to_available": summ(lat), "post_latency": summ(posts),
                "polls_per_volume_median": statistics.median(polls) if polls else None,
                "server_cpu_s": m.cpu, "server_cpu_ms_per_create": m.per_op(n),
                "delete_all_wall_s": del_wall, "delete_errors": del_fail[:5]}


def burst_once(c, a, prefix, rep):
    """B creates released at once by a barrier -> all available; the volumes deleted after."""
    n = a.burst
    released = []  # the wall clock starts when the barrier lets the B creates go
    barrier = threading.Barrier(n, action=lambda: released.append(time.perf_counter()))
    with CpuMeter(a) as m, cf.ThreadPoolExecutor(n) as ex:
        futs = [ex.submit(create_and_wait, c, a, "%s-burst%d-%02d" % (prefix, rep, i), None,
                          barrier) for i in range(n)]
        out = [f.result() for f in futs]
        wall = time.perf_counter() - released[0]
    vids = [o[0] for o in out]
    del_wall, del_fail = delete_and_wait(c, a, vids, conc=n)
    return out, wall, m, del_wall, del_fail


def phase_burst(c, a, res, prefix):
    """--burst-reps bursts one after another: the median wall time is reported (each rep's
    wall and CPU kept); per-volume figures are those of every rep together."""
    n, reps = a.burst, max(1, a.burst_reps)
    outs, walls, cpus, errors, del_walls, del_fails = [], [], [], [], [], []
    for rep in range(reps):
        out, wall, m, del_wall, del_fail = burst_once(c, a, prefix, rep)
        outs += out
        walls.append(round(wall, 3))
        cpus.append(m.per_op(n))
        errors += ["%s ended %s" % (o[0], o[4]) for o in out if not o[3]]
        del_walls.append(del_wall)
        del_fails += del_fail
    ok = [o for o in outs if o[3]]
    cpu_total = statistics.median([x.get("total", 0.0) for x in cpus])
    res["burst"] = {"n": n, "reps": reps, "available": len(ok),
                    "wall_s_all_available": round(statistics.median(walls), 3),
                    "wall_s_each_rep": walls, "errors": errors[:5],
                    "per_volume_create_to_available": summ([o[2] for o in ok]),
                    "post_latency": summ([o[1] for o in outs]),
                    "server_cpu_ms_per_create": dict(cpus[0], total=cpu_total) if reps > 1
                    else cpus[0], "server_cpu_ms_per_create_each_rep": cpus,
                    "delete_all_wall_s": statistics.median(del_walls),
                    "delete_errors": del_fails[:5]}


def attach(c, vid):
    """Attach without a server; returns a handle for detach.

    No instance_uuid: an attachment naming a server may only be deleted by a request carrying
    a service token, or after Cinder has asked Nova about that server (Cinder bug #2004555);
    there is no server (nor Nova) here. The legacy path names a host instead."""
    if c.mv >= (3, 44):
        r, _ = c.req("POST", "/attachments", json={"attachment": {
            "volume_uuid": vid, "connector": CONNECTOR, "mode": "rw"}})
        att = r.json()["attachment"]["id"]
        c.req("POST", "/attachments/%s/action" % att, json={"os-complete": None})
        return ("attachments", att)
    act = "/volumes/%s/action" % vid
    c.req("POST", act, json={"os-reserve": None})
    c.req("POST", act, json={"os-initialize_connection": {"connector": CONNECTOR}})
    c.req("POST", act, json={"os-attach": {"host_name": CONNECTOR["host"], "mountpoint": "/dev/vdb",
                                           "mode": "rw"}})
    return ("legacy", None)


def detach(c, vid, handle):
    kind, ref = handle
    if kind == "attachments":
        c.req("DELETE", "/attachments/" + ref)
        return
    r, _ = c.req("GET", "/volumes/" + vid)
    atts = [x["attachment_id"] for x in r.json()["volume"].get("attachments", [])]
    act = "/volumes/%s/action" % vid
    c.req("POST", act, json={"os-begin_detaching": None})
    c.req("POST", act, json={"os-terminate_connection": {"connector": CONNECTOR}})
    c.req("POST", act, json={"os-detach": {"attachment_id": atts[0] if atts else None}})


def phase_attach(c, a, res, prefix):
    vid, _, _, ok, st, _ = create_and_wait(c, a, prefix + "-attach")
    if not ok:
        res["attach"] = {"error": "volume for attach ended %s" % st}
        delete_and_wait(c, a, [vid])
        return
    att_lat, det_lat, errors, kind = [], [], [], None
    try:
        with CpuMeter(a) as m:
            for _ in range(a.attaches):
                t0 = time.perf_counter()
                handle = attach(c, vid)
                kind = handle[0]
                ok, st, _ = c.wait_status(vid, "in-use", a.phase_timeout)
                t1 = time.perf_counter()
                if ok:
                    att_lat.append(t1 - t0)
                else:
                    errors.append("attach ended %s" % st)
                detach(c, vid, handle)
                ok, st, _ = c.wait_status(vid, "available", a.phase_timeout)
                if ok:
                    det_lat.append(time.perf_counter() - t1)
                else:
                    errors.append("detach ended %s" % st)
                    break
    finally:
        delete_and_wait(c, a, [vid])
    res["attach"] = {"n": a.attaches, "api": kind, "microversion": c.mv_str,
                     "attach_to_in_use": summ(att_lat), "detach_to_available": summ(det_lat),
                     "errors": errors[:5], "server_cpu_s": m.cpu,
                     "server_cpu_ms_per_attach_detach": m.per_op(a.attaches)}


def phase_list(c, a, res, prefix):
    n = a.list_volumes
    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(a.concurrency) as ex:
        vids = list(ex.map(lambda i: c.create("%s-list-%03d" % (prefix, i))[0], range(n)))
    pending, deadline = set(vids), time.monotonic() + a.phase_timeout
    errors = []
    while pending and time.monotonic() < deadline:
        for v in c.list_all():
            if v["id"] in pending and v["status"] in ("available", "error"):
                pending.discard(v["id"])
                if v["status"] == "error":
                    errors.append(v["id"])
        if pending:
            time.sleep(0.5)
    fill = time.perf_counter() - t0
    out = {"volumes_created": n, "not_available": len(pending) + len(errors),
           "fill_wall_s": round(fill, 2), "present_in_project": len(c.list_all())}
    try:
        for label, path in (("detail", "/volumes/detail?limit=%d" % n),
                            ("summary", "/volumes?limit=%d" % n)):
            lat = []
            with CpuMeter(a) as m:
                for _ in range(a.list_reps):
                    r, dt = c.req("GET", path)
                    lat.append(dt)
            out[label] = {"returned": len(r.json()["volumes"]), "bytes": len(r.content),
                          "latency": summ(lat), "server_cpu_ms_per_req": m.per_op(a.list_reps)}
        res["memory_loaded"] = mem_snapshot(a)
    finally:
        out["delete_all_wall_s"], fails = delete_and_wait(c, a, vids)
        out["delete_errors"] = fails[:5]
        res["list"] = out


# ------------------------------------------------------------ image and quotas
def upload_image(c, a, prefix):
    data = random.Random(1234).randbytes(a.image_mib * 2**20)
    t0 = time.perf_counter()
    r, _ = c.req("POST", "/images", base=c.image_url, json={
        "name": prefix + "-image", "disk_format": "raw", "container_format": "bare"})
    iid = r.json()["id"]
    c.req("PUT", "/images/%s/file" % iid, base=c.image_url, content=data,
          headers={"Content-Type": "application/octet-stream"})
    end = time.monotonic() + a.phase_timeout
    while time.monotonic() < end:
        r, _ = c.req("GET", "/images/" + iid, base=c.image_url)
        if r.json()["status"] == "active":
            break
        time.sleep(0.2)
    return iid, {"mib": a.image_mib, "upload_s": round(time.perf_counter() - t0, 2),
                 "status": r.json()["status"]}


def ensure_quota(c, a, res):
    """Raise volumes/gigabytes quota if too low for the run; returns the limits to restore."""
    need = {"volumes": a.list_volumes + 5, "gigabytes": a.list_volumes + 5}
    r, _ = c.req("GET", "/os-quota-sets/%s" % c.project_id, ok=None)
    if r.status_code != 200:
        res["quota"] = {"note": "GET os-quota-sets -> %s; left as is" % r.status_code}
        return None
    qs = r.json()["quota_set"]
    low = {k: v for k, v in need.items() if qs.get(k, -1) != -1 and qs.get(k, -1) < v}
    if not low:
        res["quota"] = {"unchanged": {k: qs.get(k) for k in need}}
        return None
    r, _ = c.req("PUT", "/os-quota-sets/%s" % c.project_id, ok=None,
                 json={"quota_set": dict(low)})
    res["quota"] = {"raised": low, "was": {k: qs[k] for k in low}, "put_status": r.status_code}
    return {k: qs[k] for k in low} if r.status_code == 200 else None


def cleanup(c, a, prefix, image_id):
    """Delete everything of this run left by an error: attachments, volumes, the image.

    Returns what was left (and any error while removing it); never raises."""
    out = {"volumes_left": 0}
    try:
        left = [v for v in c.list_all() if (v.get("name") or "").startswith(prefix)]
        out["volumes_left"] = len(left)
        for v in left:
            for att in v.get("attachments", []):
                if c.mv >= (3, 27) and att.get("attachment_id"):
                    c.req("DELETE", "/attachments/" + att["attachment_id"], ok=None)
            if v.get("attachments") and c.status(v["id"]) != "available":  # admin; best effort
                c.req("POST", "/volumes/%s/action" % v["id"], ok=None, json={"os-reset_status": {
                    "status": "available", "attach_status": "detached"}})
        if left:
            out["delete_errors"] = delete_and_wait(c, a, [v["id"] for v in left])[1][:5]
    except (RuntimeError, httpx.HTTPError) as e:
        out["error"] = str(e)[:300]
    if image_id:
        try:
            c.req("DELETE", "/images/" + image_id, base=c.image_url, ok=(204, 404))
        except (RuntimeError, httpx.HTTPError) as e:
            out["image_error"] = str(e)[:300]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--auth-url", required=True)
    ap.add_argument("--username", default="admin")
    ap.add_argument("--password", required=True)
    ap.add_argument("--project", default="admin")
    ap.add_argument("--user-domain", default="Default")
    ap.add_argument("--project-domain", default="Default")
    ap.add_argument("--region", default="RegionOne")
    ap.add_argument("--interface", default="public")
    ap.add_argument("--volume-url", default="", help="skip the catalog (e.g. http://h:8776/v3)")
    ap.add_argument("--image-url", default="", help="skip the catalog (e.g. http://h:9292)")
    ap.add_argument("--max-microversion", default="3.71")
    ap.add_argument("--creates", type=int, default=10, help="empty volumes, one after another")
    ap.add_argument("--image-creates", type=int, default=5, help="volumes from the image")
    ap.add_argument("--image-mib", type=int, default=64)
    ap.add_argument("--burst", type=int, default=20)
    ap.add_argument("--burst-reps", type=int, default=1, help="bursts run; the median is kept")
    ap.add_argument("--phases", default=",".join(PHASES),
                    help="comma-separated subset of: " + ", ".join(PHASES))
    ap.add_argument("--attaches", type=int, default=10)
    ap.add_argument("--list-volumes", type=int, default=200)
    ap.add_argument("--list-reps", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=8, help="for filling/deleting")
    ap.add_argument("--poll-max", type=float, default=0.1)
    ap.add_argument("--request-timeout", type=float, default=120)
    ap.add_argument("--phase-timeout", type=float, default=600)
    ap.add_argument("--pid-files", nargs="*", default=[], help="globs; group = file name up to '-'")
    ap.add_argument("--pids", nargs="*", type=int, default=[])
    ap.add_argument("--proc-pattern", default="")
    ap.add_argument("--label", default="")
    ap.add_argument("--out", default="")
    a = ap.parse_args()

    res = {"label": a.label, "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "host": {"cpus": os.cpu_count(), "mem_gib": round(psutil.virtual_memory().total / GIB, 1),
                    "python": platform.python_version(), "loadavg_start": os.getloadavg()},
           "params": {k: v for k, v in vars(a).items() if k not in ("password", "pid_files")},
           "pid_file_names": sorted(roots(a))}
    c = Cloud(a)
    res.update({"volume_url": c.url, "image_url": c.image_url, "version_doc": c.versions,
                "microversion": c.mv_str})
    prefix = "bench-" + uuid.uuid4().hex[:6]
    res["memory_idle"] = mem_snapshot(a)
    restore, image_id = ensure_quota(c, a, res), None
    try:
        phases = set(a.phases.split(","))
        if "create_empty" in phases:
            phase_sequential(c, a, res, "create_empty", a.creates, prefix)
        if "create_image" in phases:
            image_id, res["image"] = upload_image(c, a, prefix)
            phase_sequential(c, a, res, "create_image", a.image_creates, prefix, image_id)
        if "burst" in phases:
            phase_burst(c, a, res, prefix)
        if "attach" in phases:
            phase_attach(c, a, res, prefix)
        if "list" in phases:
            phase_list(c, a, res, prefix)
    finally:
        res["cleanup"] = cleanup(c, a, prefix, image_id)
        if restore:
            c.req("PUT", "/os-quota-sets/%s" % c.project_id, ok=None, json={"quota_set": restore})
    res["memory_after"] = mem_snapshot(a)
    res["host"]["loadavg_end"] = os.getloadavg()
    if a.out:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            json.dump(res, f, indent=2)
    print_table(res)


def print_table(res):
    L = ["%s  %s  microversion %s" % (res["label"], res["volume_url"], res["microversion"])]
    for k in ("create_empty", "create_image"):
        p = res.get(k)
        if not p:
            continue
        L.append("%-13s %2d: create->available median %s ms (p95 %s), server CPU %s ms/create, errors %d"
                 % (k, p["n"], p["create_to_available"].get("median_ms"),
                    p["create_to_available"].get("p95_ms"),
                    p["server_cpu_ms_per_create"].get("total"), len(p["errors"])))
    b = res.get("burst")
    if b:
        L.append("burst         %2d: all available after %.2f s (median of %s: %s), server CPU "
                 "%s ms/create, errors %d"
                 % (b["n"], b["wall_s_all_available"], b.get("reps", 1),
                    b.get("wall_s_each_rep"), b["server_cpu_ms_per_create"].get("total"),
                    len(b["errors"])))
    t = res.get("attach")
    if not t:
        pass
    elif "error" in t:
        L.append("attach: " + t["error"])
    else:
        L.append("attach (%s) %2d: ->in-use median %s ms, detach->available median %s ms, errors %d"
                 % (t["api"], t["n"], t["attach_to_in_use"].get("median_ms"),
                    t["detach_to_available"].get("median_ms"), len(t["errors"])))
    for k in ("detail", "summary"):
        lp = res.get("list", {}).get(k)
        if lp:
            L.append("list %-7s: %d returned, median %s ms, p95 %s ms, server CPU %s ms/req"
                     % (k, lp["returned"], lp["latency"]["median_ms"], lp["latency"]["p95_ms"],
                        lp["server_cpu_ms_per_req"].get("total")))
    for k in ("memory_idle", "memory_loaded", "memory_after"):
        if k in res:
            L.append("%s PSS MiB: %s total %s" % (k, {s: v["pss_mb"] for s, v in res[k]["by_service"].items()},
                                                  res[k]["total"]["pss_mb"]))
    print("\n".join(L))


if __name__ == "__main__":
    main()
