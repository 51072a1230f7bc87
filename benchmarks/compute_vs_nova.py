#!/usr/bin/env python3
"""Compute benchmark: onestack next to real Nova 34 (the anchor), in one run.

Both sides are measured on this machine, one after the other, with the same
client: ../shared/anchors/nova/bench_compute.py (run from there, never copied),
microversion 2.37, ``networks: "none"``, the smallest flavor (m1.nano).

Per hypervisor count (``--hvs 1,3``; onestack runs as many in-process fake hosts):

  onestack  ``onestack up --data-dir <fresh tmp> --port 8191 --admin-password
            secret`` with ONESTACK_PASSWORD_HASH_ROUNDS=4.  Cold start: launch →
            first authenticated GET compute /servers 200 (``api_ready_s``) → first
            server ACTIVE (``first_active_s``; includes setting the quotas and
            uploading the 1 MiB image).  Quotas instances/cores/ram = -1 through
            PUT /os-quota-sets/{project}; a 1 MiB raw image through the image API
            when the catalog has ``image``.
  Nova      the anchor copy (--anchor-dir, default /tmp/anchor-nova; copied from
            ../shared/anchors/nova and set up with its setup.sh on first use, ~5 min):
            stop.sh, then start.sh with NUM_COMPUTES=N; same two
            cold-start times (a boot before ``discover_hosts`` ends in ERROR
            NoValidHost: such servers are deleted and the boot retried), plus the
            time start.sh took to return (``start_script_s``).

  then, on the running stack, bench_compute.py phases single, burst, list
  (only for --list-hvs, default 1: 200 servers take ~11 min on Nova), samples;
  RSS = sum of VmRSS over the process tree (onestack: its PID; Nova: the
  anchor's pid files), idle and after the run.

Plus a scheduler micro-benchmark in this process against onestack's own code: a
fresh SQLite db (``onestack.migrations.upgrade``), N hosts registered (the first
through ``HostAgent.register()``, the rest bulk-inserted as copies of its rows, or
all through register() with --sched-register), instances in BUILD/scheduling,
and ``Scheduler(db, bus).reconcile(id)`` timed one at a time.

Ratios are ``nova / onestack`` for every figure (all are "lower is better"), so
above 1 means onestack is faster / smaller.

  .venv/bin/python benchmarks/compute_vs_nova.py                 # everything, 1 HV
  .venv/bin/python benchmarks/compute_vs_nova.py --hvs 1,3       # also 3 HVs
  .venv/bin/python benchmarks/compute_vs_nova.py --only onestack --hvs 1
  .venv/bin/python benchmarks/compute_vs_nova.py --only sched --sched-hosts 1000,10000

Only 127.0.0.1 is contacted.  Every process started here is stopped by its PID
(onestack: its own process group; Nova: the anchor's stop.sh, which stops what
start.sh recorded in run/pids), also on error, Ctrl-C or SIGTERM.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from scheduler_bench import sched_bench  # noqa: E402  (benchmarks/ is on sys.path)

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(os.path.normpath(REPO / ".." / "shared" / "anchors" / "nova" / "bench_compute.py"))
ANCHOR_DEFAULT = os.environ.get("NOVA_ANCHOR_DIR", "/tmp/anchor-nova")
HOST = "127.0.0.1"
OS_PASSWORD = "secret"
NOVA_PASSWORD = "admin-anchor-pw"  # env.sh ADMIN_PASSWORD default
NOVA_KS_PORT = 18500
NOVA_PORTS = (18306, 18672, 18500, 18778, 18292, 18774, 18696)
MV = "2.37"

_started: list[subprocess.Popen] = []  # process groups to stop on exit


def log(msg: str) -> None:
    print("[compute_vs_nova %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr,
          flush=True)


def port_busy(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((HOST, port)) == 0


def loadavg() -> list[float]:
    try:
        return [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    except OSError:
        return []


def stop_group(p: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM the process group we created (start_new_session), then SIGKILL."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(10)
    # stragglers left in the group after its leader exited
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if p in _started:
        _started.remove(p)


def spawn(argv, logfile: Path, **kw) -> subprocess.Popen:
    out = open(logfile, "ab")
    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True, **kw)
    out.close()
    _started.append(p)
    return p


def _on_signal(signum, frame):  # turn SIGTERM into an exception so `finally` blocks run
    raise KeyboardInterrupt("signal %d" % signum)


# ------------------------------------------------------------------ small client
class Client:
    """Token + catalog + a few compute/image calls (fresh token per instance)."""

    def __init__(self, auth_url: str, password: str, username="admin", project="admin"):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": username, "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}}
        r = requests.post(auth_url.rstrip("/") + "/auth/tokens", json=body, timeout=10)
        r.raise_for_status()
        self.token = r.headers["X-Subject-Token"]
        tok = r.json()["token"]
        self.project_id = tok["project"]["id"]
        self.catalog = {}
        for svc in tok.get("catalog", []):
            for ep in svc.get("endpoints", []):
                if ep.get("interface") == "public":
                    self.catalog.setdefault(svc["type"], ep["url"].rstrip("/"))
        self.compute = self.catalog.get("compute")
        self.image = self.catalog.get("image")
        self.s = requests.Session()

    def call(self, method, url, mv=True, **kw):
        h = {"X-Auth-Token": self.token, "Accept": "application/json"}
        if mv:
            h["OpenStack-API-Version"] = "compute " + MV
            h["X-OpenStack-Nova-API-Version"] = MV
        h.update(kw.pop("headers", {}))
        return self.s.request(method, url, headers=h, timeout=kw.pop("timeout", 60), **kw)

    def nova(self, method, path, **kw):
        return self.call(method, self.compute + path, **kw)


def describe(r: requests.Response) -> str:
    return "%s %s -> %s %s" % (r.request.method, r.request.url, r.status_code, r.text[:400])


def wait_api(auth_url: str, password: str, t0: float, timeout: float, proc=None):
    """Poll (fresh token each time) until GET compute /servers answers 200."""
    last = None
    while time.monotonic() - t0 < timeout:
        if proc is not None and proc.poll() is not None and proc.returncode != 0:
            raise RuntimeError("start command exited with %s" % proc.returncode)
        try:
            c = Client(auth_url, password)
            if c.compute:
                r = c.nova("GET", "/servers")
                if r.status_code == 200:
                    return time.monotonic() - t0, c
                last = describe(r)
        except (requests.RequestException, KeyError, ValueError) as e:
            last = repr(e)[:200]
        time.sleep(0.1)
    raise RuntimeError("compute API not ready after %.0f s (last: %s)" % (timeout, last))


def boot_until_active(c: Client, flavor: str, image: str, t0: float, timeout: float,
                      problems: list) -> dict:
    """Boot one server, retrying after ERROR, until one is ACTIVE; delete it again."""
    attempts, errors = 0, []
    while time.monotonic() - t0 < timeout:
        attempts += 1
        r = c.nova("POST", "/servers", json={"server": {
            "name": "coldprobe-%d" % attempts, "flavorRef": flavor, "imageRef": image,
            "networks": "none"}})
        if r.status_code != 202:
            problems.append("cold-start boot: " + describe(r))
            if r.status_code < 500:
                return {"attempts": attempts, "error": describe(r)}
            time.sleep(1)
            continue
        sid = r.json()["server"]["id"]
        status = None
        while time.monotonic() - t0 < timeout:
            g = c.nova("GET", "/servers/" + sid)
            if g.status_code == 200:
                sv = g.json()["server"]
                status = sv["status"]
                if status in ("ACTIVE", "ERROR"):
                    break
            time.sleep(0.1)
        t_active = time.monotonic() - t0
        c.nova("DELETE", "/servers/" + sid)
        dl = time.monotonic() + 120
        while time.monotonic() < dl and c.nova("GET", "/servers/" + sid).status_code != 404:
            time.sleep(0.25)
        if status == "ACTIVE":
            return {"first_active_s": t_active, "attempts": attempts, "errors": errors[:5]}
        errors.append((sv.get("fault") or {}).get("message", status) if status else "timeout")
        time.sleep(1.0)
    return {"attempts": attempts, "errors": errors[:5], "error": "no server ACTIVE in time"}


def smallest_flavor(c: Client, problems: list, side: str) -> str | None:
    r = c.nova("GET", "/flavors/detail")
    if r.status_code != 200:
        problems.append("%s: bench_compute.py needs GET /flavors/detail: %s" % (side, describe(r)))
        return None
    fl = sorted(r.json()["flavors"], key=lambda f: (f["vcpus"], f["ram"], f["disk"]))
    return fl[0]["id"] if fl else None


# ------------------------------------------------------------------ bench_compute.py
def run_bench(label: str, auth_url: str, password: str, out: Path, rss_args: list[str],
              image: str | None, phases: str, args, extra: list[str] = ()) -> dict | None:
    cmd = [sys.executable, str(BENCH), "--auth-url", auth_url, "--password", password,
           "--phases", phases, "--out", str(out), "--label", label,
           "--phase-timeout", str(args.phase_timeout), *rss_args, *extra]
    if image:
        cmd += ["--image", image]
    if args.burst:
        cmd += ["--burst", str(args.burst)]
    if args.list_servers:
        cmd += ["--list-servers", str(args.list_servers)]
    log("bench %s: %s" % (label, " ".join(cmd[1:4] + ["--password", "***"] + cmd[6:])))
    logf = out.with_suffix(".log")
    with open(logf, "w") as f:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
        _started.append(p)
        try:
            for line in p.stdout:
                f.write(line)
                f.flush()
                sys.stderr.write("    " + line)
            p.wait()
        finally:
            stop_group(p, 5)
    try:
        res = json.loads(out.read_text())
    except (OSError, ValueError):
        return None
    res["bench_rc"] = p.returncode
    if p.returncode:
        res["bench_tail"] = logf.read_text()[-1500:]
    return res


def run_fine(label: str, auth_url: str, password: str, outdir: Path, image: str,
             args) -> dict | None:
    """bench_compute.py's single phase again with fine polling: with the default 0.25 s poll
    a boot that takes 30 ms reads as ~0.27 s (second poll)."""
    if not args.fine_runs:
        return None
    return run_bench(label + "-fine", auth_url, password, outdir / (label + "-fine.json"), [],
                     image, "single", args, ["--poll", str(args.fine_poll),
                                             "--single-runs", str(args.fine_runs)])


def phases_for(hvs: int, args) -> str:
    ph = ["single", "burst"]
    if hvs in args.list_hvs:
        ph.append("list")
    ph.append("samples")
    return ",".join(ph)


# ------------------------------------------------------------------ onestack side
def onestack_cmd(args) -> list[str]:
    if args.onestack_cmd:
        return args.onestack_cmd.split()
    return [str(Path(sys.executable).parent / "onestack")]


def upload_image(c: Client, problems: list) -> str | None:
    r = c.call("POST", c.image + "/v2/images", mv=False, json={
        "name": "bench-raw-1m", "disk_format": "raw", "container_format": "bare",
        "visibility": "public"})
    if r.status_code != 201:
        problems.append("onestack: image create: " + describe(r))
        return None
    iid = r.json()["id"]
    r = c.call("PUT", c.image + "/v2/images/%s/file" % iid, mv=False, data=b"\0" * (1 << 20),
               headers={"Content-Type": "application/octet-stream"})
    if r.status_code not in (200, 201, 204):
        problems.append("onestack: image upload: " + describe(r))
        return None
    dl = time.monotonic() + 30
    while time.monotonic() < dl:
        g = c.call("GET", c.image + "/v2/images/" + iid, mv=False)
        if g.status_code == 200 and g.json().get("status") == "active":
            return iid
        time.sleep(0.1)
    problems.append("onestack: image %s not active after upload (last %s)" % (iid, g.text[:200]))
    return iid


def run_onestack(hvs: int, args, outdir: Path) -> dict:
    res: dict = {"side": "onestack", "hvs": hvs, "problems": [], "load_before": loadavg()}
    problems = res["problems"]
    if port_busy(args.port):
        raise RuntimeError("port %d is busy" % args.port)
    data = Path(tempfile.mkdtemp(prefix="onestack-compute-bench-"))
    env = dict(os.environ, ONESTACK_PASSWORD_HASH_ROUNDS="4", ONESTACK_FAKE_HOSTS=str(hvs))
    argv = onestack_cmd(args) + ["up", "--data-dir", str(data), "--port", str(args.port),
                                 "--admin-password", OS_PASSWORD]
    base = "http://%s:%d" % (HOST, args.port)
    auth_url = base + "/identity/v3"
    log("onestack (%d fake hosts): %s" % (hvs, " ".join(argv)))
    t0 = time.monotonic()
    p = spawn(argv, outdir / ("onestack-%dhv.server.log" % hvs), env=env, cwd=str(data))
    res["pid"] = p.pid
    try:
        api_ready, c = wait_api(auth_url, OS_PASSWORD, t0, 120, p)
        cold = res["cold_start"] = {"api_ready_s": api_ready}
        res["catalog"] = sorted(c.catalog)
        # quotas high enough for 200 servers
        q = c.nova("PUT", "/os-quota-sets/" + c.project_id,
                   json={"quota_set": {"instances": -1, "cores": -1, "ram": -1}})
        res["quota_put"] = {"status": q.status_code, "body": q.text[:300]}
        if q.status_code != 200:
            problems.append("onestack: PUT /os-quota-sets/{project_id}: " + describe(q)
                            + " (default quota is 10 instances: the 50/200-server phases "
                              "will be refused with 403)")
        image = None
        if c.image:
            image = upload_image(c, problems)
        else:
            problems.append("onestack: no 'image' in the catalog")
        if image is None:
            image = str(uuid.uuid4())
            problems.append("onestack: no image service answered; passing a made-up image "
                            "id %s" % image)
        res["image"] = image
        flavor = smallest_flavor(c, problems, "onestack") or "42"
        res["setup_done_s"] = time.monotonic() - t0
        cold.update(boot_until_active(c, flavor, image, t0, 120, problems))
        log("onestack cold start: %s" % json.dumps(cold))
        time.sleep(1)
        res["bench"] = run_bench("onestack-%dhv" % hvs, auth_url, OS_PASSWORD,
                                 outdir / ("onestack-%dhv.json" % hvs), ["--pids", str(p.pid)],
                                 image, phases_for(hvs, args), args)
        if res["bench"] is None or res["bench"].get("bench_rc"):
            problems.append("onestack: bench_compute.py failed (see %s)"
                            % (outdir / ("onestack-%dhv.log" % hvs)))
        if p.poll() is None:
            res["bench_fine"] = run_fine("onestack-%dhv" % hvs, auth_url, OS_PASSWORD, outdir,
                                         image, args)
    except Exception as e:  # noqa: BLE001 - reported, the other side still runs
        problems.append("onestack: %r" % e)
    finally:
        if p.poll() is not None:
            res["crashed"] = True
            problems.append("onestack: the server process exited with %s during the run "
                            "(negative = signal; see %s and dmesg)" % (
                                p.returncode, outdir / ("onestack-%dhv.server.log" % hvs)))
        stop_group(p)
        res["exit_code"] = p.returncode
        if not args.keep_data:
            shutil.rmtree(data, ignore_errors=True)
        else:
            res["data_dir"] = str(data)
        res["load_after"] = loadavg()
    return res


# ------------------------------------------------------------------ Nova side
def nova_stop(anchor: Path) -> None:
    subprocess.run(["./stop.sh"], cwd=anchor, stdout=subprocess.DEVNULL, check=False)


def setup_anchor(anchor: Path, outdir: Path) -> None:
    """First use: copy the anchor folder (read-only in ../shared) and run its setup.sh
    (apt rabbitmq/mariadb if missing, a venv from PyPI, DBs on its own ports; ~5 min)."""
    if not (anchor / "setup.sh").exists():
        log("copying %s to %s" % (BENCH.parent, anchor))
        shutil.copytree(BENCH.parent, anchor, ignore=shutil.ignore_patterns(
            "run", ".venv", "results", "run-*"))
        for d, _, files in os.walk(anchor):
            os.chmod(d, 0o755)
            for f in files:
                fp = os.path.join(d, f)
                os.chmod(fp, os.stat(fp).st_mode | 0o200)
    log("running %s/setup.sh (log: %s)" % (anchor, outdir / "nova-setup.log"))
    with open(outdir / "nova-setup.log", "ab") as f:
        rc = subprocess.run(["./setup.sh"], cwd=anchor, stdout=f, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL).returncode
    if rc or not (anchor / "run" / "data" / ".provision_done").exists():
        raise RuntimeError("anchor setup.sh failed (rc %s), see %s"
                           % (rc, outdir / "nova-setup.log"))


def run_nova(hvs: int, args, outdir: Path) -> dict:
    anchor = Path(args.anchor_dir)
    res: dict = {"side": "nova", "hvs": hvs, "problems": [], "load_before": loadavg()}
    problems = res["problems"]
    if not (anchor / "run" / "data" / ".provision_done").exists():
        setup_anchor(anchor, outdir)
    nova_stop(anchor)
    busy = [p for p in NOVA_PORTS if port_busy(p)]
    if busy:
        raise RuntimeError("Nova anchor ports busy after stop.sh: %s" % busy)
    auth_url = "http://%s:%d/v3" % (HOST, NOVA_KS_PORT)
    env = dict(os.environ, NUM_COMPUTES=str(hvs))
    log("Nova anchor (%d fake HV): ./start.sh in %s" % (hvs, anchor))
    t0 = time.monotonic()
    p = spawn(["./start.sh"], outdir / ("nova-%dhv.start.log" % hvs), cwd=str(anchor), env=env)
    ended: list[float] = []
    waiter = threading.Thread(target=lambda: (p.wait(), ended.append(time.monotonic())),
                              daemon=True)
    waiter.start()
    try:
        api_ready, c = wait_api(auth_url, NOVA_PASSWORD, t0, 300, p)
        cold = res["cold_start"] = {"api_ready_s": api_ready}
        r = c.call("GET", c.image + "/v2/images", mv=False, params={"name": "anchor-raw-1m"})
        image = r.json()["images"][0]["id"]
        res["image"] = image
        flavor = smallest_flavor(c, problems, "nova") or "42"
        cold.update(boot_until_active(Client(auth_url, NOVA_PASSWORD), flavor, image, t0, 300,
                                      problems))
        # start.sh returns once the computes heartbeat and discover_hosts ran
        waiter.join(max(1.0, 300 - (time.monotonic() - t0)))
        if ended:
            cold["start_script_s"] = ended[0] - t0
        else:
            problems.append("nova: start.sh did not return within 300 s")
        cold["start_script_rc"] = p.returncode
        if p.returncode:
            problems.append("nova: start.sh exited %s" % p.returncode)
        log("nova cold start: %s" % json.dumps(cold))
        time.sleep(2)
        res["bench"] = run_bench("nova-%dhv" % hvs, auth_url, NOVA_PASSWORD,
                                 outdir / ("nova-%dhv.json" % hvs),
                                 ["--pid-files", str(anchor / "run" / "pids" / "*.pid")],
                                 image, phases_for(hvs, args), args)
        if res["bench"] is None or res["bench"].get("bench_rc"):
            problems.append("nova: bench_compute.py failed (see %s)"
                            % (outdir / ("nova-%dhv.log" % hvs)))
        res["bench_fine"] = run_fine("nova-%dhv" % hvs, auth_url, NOVA_PASSWORD, outdir,
                                     image, args)
    except Exception as e:  # noqa: BLE001
        problems.append("nova: %r" % e)
    finally:
        stop_group(p, 5)  # start.sh itself, if still waiting
        nova_stop(anchor)
        res["load_after"] = loadavg()
    return res


# ------------------------------------------------------------------ report
def g(d, *path):
    for k in path:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


METRICS = [  # label, path in a side's result, unit
    ("cold start: launch -> first GET /servers 200", ("cold_start", "api_ready_s"), "s"),
    ("cold start: launch -> first server ACTIVE", ("cold_start", "first_active_s"), "s"),
    ("  (Nova) start.sh returned (hosts mapped)", ("cold_start", "start_script_s"), "s"),
    ("(a) one boot POST->ACTIVE, median", ("bench", "single", "post_to_active_s", "median"), "s"),
    ("    POST /servers latency, median", ("bench", "single", "post_latency_s", "median"), "s"),
    ("    DELETE -> 404, median", ("bench", "single", "delete_to_gone_s", "median"), "s"),
    ("    POST->ACTIVE, fine polling (--fine-poll)", ("bench_fine", "single", "post_to_active_s",
                                                    "median"), "s"),
    ("    DELETE -> 404, fine polling", ("bench_fine", "single", "delete_to_gone_s", "median"),
     "s"),
    ("(b) N servers / 10 threads: all ACTIVE", ("bench", "burst", "all_active_s"), "s"),
    ("    per-server POST->ACTIVE median", ("bench", "burst", "per_server_to_active_s",
                                            "median"), "s"),
    ("    all N deleted (404)", ("bench", "burst", "all_gone_s"), "s"),
    ("    failures", ("bench", "burst", "failure_count"), ""),
    ("(c) GET /servers/detail, 200 servers, median", ("bench", "list", "get_servers_detail_s",
                                                       "median"), "s"),
    ("    GET /servers, 200 servers, median", ("bench", "list", "get_servers_s", "median"), "s"),
    ("    fill to 200 (multi-create) until none BUILD", ("bench", "list", "fill_s"), "s"),
    ("    delete 200 until list empty", ("bench", "list", "delete_all_s"), "s"),
    ("(d) RSS idle, process tree", ("bench", "rss_idle", "total_rss_mb"), "MiB"),
    ("    RSS after the run", ("bench", "rss_after", "total_rss_mb"), "MiB"),
    ("    processes", ("bench", "rss_after", "processes"), ""),
]


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%.0f" % v) if unit == "MiB" else ("%.3f" % v)
    return str(v)


def report(summary: dict) -> str:
    lines = []
    for hvs in summary["hvs"]:
        o = summary["runs"].get("onestack-%d" % hvs) or {}
        n = summary["runs"].get("nova-%d" % hvs) or {}
        if not o and not n:
            continue
        lines.append("")
        lines.append("compute, %d fake hypervisor(s)   [ratio = nova / onestack; >1: onestack "
                     "faster/smaller]" % hvs)
        w = max(len(m[0]) for m in METRICS) + 6
        lines.append("%-*s %12s %12s %9s" % (w, "metric", "onestack", "nova", "ratio"))
        for label, path, unit in METRICS:
            a, b = g(o, *path), g(n, *path)
            if a is None and b is None:
                continue
            ratio = "-"
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a and \
                    unit in ("s", "MiB"):
                ratio = "%.1f" % (b / a) if b / a >= 1.5 else "%.2f" % (b / a)
            lines.append("%-*s %12s %12s %9s" % (w, label + (" [%s]" % unit if unit else ""),
                                                 fmt(a, unit), fmt(b, unit), ratio))
        for side in (o, n):
            for pr in side.get("problems", []):
                lines.append("  problem: " + pr)
    if summary.get("sched"):
        lines.append("")
        lines.append("onestack scheduler micro-benchmark (in-process, %s, one reconcile() at a "
                     "time, m1.nano)" % summary["sched"][0]["db"])
        lines.append("%8s %10s %14s %14s %12s %14s %8s" % (
            "hosts", "decisions", "decisions/s", "overall/s", "median ms", "candidates ms",
            "placed"))
        for r in summary["sched"]:
            if "decision_s" not in r:
                lines.append("%8d  failed: %s" % (r["hosts"], r.get("error")))
                continue
            lines.append("%8d %10d %14.1f %14.1f %12.2f %14.2f %8d" % (
                r["hosts"], r["decisions"], r["decisions_per_s_median"],
                r["decisions_per_s_overall"], r["decision_s"]["median"] * 1e3,
                (r["candidates_s_median"] or 0) * 1e3, r["placed"]))
    return "\n".join(lines)


def git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                             capture_output=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=REPO,
                               text=True, capture_output=True, timeout=10).stdout.strip()
        return rev + ("+dirty src" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["onestack", "nova", "sched"], action="append",
                    help="run only these parts (repeatable); default: all")
    ap.add_argument("--hvs", default="1", help="fake hypervisor counts, e.g. 1,3")
    ap.add_argument("--list-hvs", default="1",
                    help="HV counts for which the 200-server list phase runs")
    ap.add_argument("--anchor-dir", default=ANCHOR_DEFAULT)
    ap.add_argument("--onestack-cmd", help="default: the onestack script next to sys.executable")
    ap.add_argument("--port", type=int, default=8191)
    ap.add_argument("--onestack-retries", type=int, default=1,
                    help="re-run the onestack side this often when its server process dies")
    ap.add_argument("--burst", type=int, default=0, help="override bench --burst (default 50)")
    ap.add_argument("--list-servers", type=int, default=0,
                    help="override bench --list-servers (default 200)")
    ap.add_argument("--phase-timeout", type=float, default=900)
    ap.add_argument("--fine-runs", type=int, default=10,
                    help="extra single boots polled every --fine-poll s (0: skip)")
    ap.add_argument("--fine-poll", type=float, default=0.02)
    ap.add_argument("--sched-hosts", default="1000,10000")
    ap.add_argument("--sched-decisions", type=int, default=300)
    ap.add_argument("--sched-max-seconds", type=float, default=600,
                    help="stop a scheduler run after this long (at least 20 decisions)")
    ap.add_argument("--sched-register", action="store_true",
                    help="register every host through HostAgent.register() (slower setup)")
    ap.add_argument("--sched-db-url", help="database for the scheduler run (default: fresh "
                                           "SQLite file); must be empty or onestack's schema")
    ap.add_argument("--keep-data", action="store_true", help="keep onestack's data dir")
    ap.add_argument("--out-dir", help="default benchmarks/results/compute_vs_nova-<time>")
    args = ap.parse_args()
    parts = set(args.only or ["onestack", "nova", "sched"])
    args.hvs = [int(x) for x in args.hvs.split(",") if x]
    args.list_hvs = [int(x) for x in args.list_hvs.split(",") if x]
    outdir = Path(args.out_dir or REPO / "benchmarks" / "results" /
                  ("compute_vs_nova-" + dt.datetime.now().strftime("%Y%m%d-%H%M%S")))
    outdir.mkdir(parents=True, exist_ok=True)
    if ({"onestack", "nova"} & parts) and not BENCH.exists():
        sys.exit("bench client not found: %s" % BENCH)
    signal.signal(signal.SIGTERM, _on_signal)
    summary = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "hvs": args.hvs,
               "bench": str(BENCH), "runs": {}, "sched": [], "onestack_git": git_rev(),
               "host": {
                   "cpus": os.cpu_count(), "load_start": loadavg()}}
    out_json = outdir / "summary.json"

    def save():
        out_json.write_text(json.dumps(summary, indent=1, default=str))
    rc = 0
    try:
        for hvs in args.hvs:
            if "onestack" in parts:
                earlier = []
                for attempt in range(1 + args.onestack_retries):
                    try:
                        res = run_onestack(hvs, args, outdir)
                    except Exception as e:  # noqa: BLE001
                        res = {"problems": ["onestack: %r" % e]}
                    if not res.get("crashed") or attempt == args.onestack_retries:
                        break
                    log("onestack crashed; retrying (%d)" % (attempt + 1))
                    earlier.append({k: res.get(k) for k in ("problems", "cold_start")})
                if earlier:
                    res["earlier_attempts"] = earlier
                    res["problems"] = ["earlier attempt: " + pr for e in earlier
                                       for pr in e["problems"]] + res["problems"]
                summary["runs"]["onestack-%d" % hvs] = res
                save()
            if "nova" in parts:
                try:
                    summary["runs"]["nova-%d" % hvs] = run_nova(hvs, args, outdir)
                except Exception as e:  # noqa: BLE001
                    summary["runs"]["nova-%d" % hvs] = {"problems": ["nova: %r" % e]}
                save()
        if "sched" in parts:
            for n in [int(x) for x in args.sched_hosts.split(",") if x]:
                try:
                    summary["sched"].append(sched_bench(n, args.sched_decisions, args, outdir))
                except Exception as e:  # noqa: BLE001
                    summary["sched"].append({"hosts": n, "error": repr(e)})
                save()
    except KeyboardInterrupt:
        log("interrupted; stopping what was started")
        rc = 130
    finally:
        for p in list(_started):
            stop_group(p, 10)
        if "nova" in parts and Path(args.anchor_dir, "run", "pids").is_dir():
            nova_stop(Path(args.anchor_dir))
        summary["host"]["load_end"] = loadavg()
        save()
    text = report(summary)
    print(text)
    (outdir / "summary.txt").write_text(text + "\n")
    print("\nwrote %s and %s" % (out_json, outdir / "summary.txt"))
    if any(r.get("problems") for r in summary["runs"].values()) or \
            any("error" in r for r in summary["sched"]):
        rc = rc or 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
