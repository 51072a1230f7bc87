#!/usr/bin/env python3
"""Identity benchmark: onestack next to real Keystone 30, in one run.

Why: the figures in ../shared/anchors/keystone/RESULTS.md were taken on a
shared, noisy 2-core host (run 2 was 2x slower than run 1), so comparing
onestack with them is unsound.  This script measures both servers on the same
machine, one after the other, with the same client
(../shared/anchors/keystone/bench_identity.py, imported from there, never
copied), the same password hash (bcrypt cost 12), the same data (admin +
bench-project-000..099), and prints ratios.

Steps:
  1. Keystone anchor: copy the anchor folder to --anchor-dir (default
     /tmp/anchor-keystone) and run its setup.sh with KEYSTONE_CACHE=memcache
     if not done yet (the venv there is reused), start.sh (gunicorn, 2 sync
     workers, memcached), bench at concurrency 1 and 8, cold start of
     serve_foreground.sh (existing DB) on port 25358, stop by PID.
  2. onestack: `onestack up` on a fresh temp data dir, bench, stop by PID;
     then cold start: `onestack up` on a FRESH data dir each run, launch to
     first token (median of --cold-start-runs).
  3. Table + ratios; one JSON with everything (both raw bench outputs).

Run with a python that has httpx and psutil (the repo's .venv has both):
  .venv/bin/python benchmarks/identity_vs_keystone.py [--only keystone|onestack]
Only 127.0.0.1 is contacted.  Every process started here is stopped by its
PID (or its own process group) on exit, also on error or Ctrl-C.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import psutil

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANCHOR_SRC = os.path.join(REPO, "..", "shared", "anchors", "keystone")
BENCH = os.path.join(ANCHOR_SRC, "bench_identity.py")
# 35357 is the anchor's port.  The cold-start port lies outside the ephemeral
# range (32768-60999): on 35358 gunicorn once exited 1 three times in a row,
# most likely because one of keystone's long-lived memcached client sockets
# held that local port.
KS_PORT, KS_COLD_PORT = 35357, 25358
PASSWORD = "secret"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_identity", os.path.normpath(BENCH))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def port_busy(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def stop_pid(pid, group=False, timeout=15):
    """SIGTERM the process (or its process group), SIGKILL after timeout."""
    kill = os.killpg if group else os.kill
    try:
        kill(pid, signal.SIGTERM)
        psutil.Process(pid).wait(timeout)
    except (ProcessLookupError, psutil.NoSuchProcess):
        return
    except psutil.TimeoutExpired:
        try:
            kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wait_token(auth_url, proc=None, limit=120):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"name": "Default"}, "password": PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode}")
        try:
            if httpx.post(auth_url + "/auth/tokens", json=body, timeout=10).status_code == 201:
                return time.monotonic() - t0
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no token from {auth_url} within {limit}s")


def bench_run(bench, a, auth_url, pid, label, json_path, cold_cmd=None):
    """Run bench_identity.main() and return its JSON (load run, or cold start only)."""
    argv = ["--auth-url", auth_url, "--password", PASSWORD, "--label", label, "--json", json_path]
    if cold_cmd:
        argv += ["--cold-start-only", "--cold-start-cmd", cold_cmd, "--cold-start-runs", str(a.cold_start_runs)]
    else:
        argv += ["--server-pid", str(pid), "--concurrency", a.concurrency,
                 "--requests", str(a.requests), "--max-seconds", str(a.max_seconds)]
    if bench.main(argv) != 0:
        raise RuntimeError("bench_identity failed")
    with open(json_path) as f:
        return json.load(f)


# ------------------------------------------------------------- keystone --
def keystone_side(bench, a, work, cleanup):
    d = a.anchor_dir
    st = os.path.join(d, "state")
    ready = all(os.path.exists(os.path.join(d, p)) for p in
                (".venv/bin/gunicorn", "state/etc/keystone.conf", "state/keystone.db"))
    mode = open(os.path.join(st, "cache_mode")).read().strip() if ready else ""
    res = {"anchor_dir": d, "setup_s": None}
    if not (ready and mode == "memcache"):
        if not os.path.isdir(d):
            shutil.copytree(ANCHOR_SRC, d, ignore=shutil.ignore_patterns(".venv", "state", ".tools", "results"))
            for root, dirs, _ in os.walk(d):
                for x in [root] + [os.path.join(root, y) for y in dirs]:
                    os.chmod(x, 0o755)
        print(f"keystone: setup.sh (KEYSTONE_CACHE=memcache) in {d} ...", flush=True)
        t0 = time.monotonic()
        subprocess.run(["./setup.sh"], cwd=d, check=True, env={**os.environ, "KEYSTONE_CACHE": "memcache"},
                       stdout=subprocess.DEVNULL)
        res["setup_s"] = round(time.monotonic() - t0, 1)
    for port in (KS_PORT, KS_COLD_PORT):
        if port_busy(port):
            raise RuntimeError(f"127.0.0.1:{port} is already in use (another keystone? {d}/stop.sh)")

    def pidfile(name):
        pf = os.path.join(st, f"{name}.pid")
        pid = int(open(pf).read()) if os.path.exists(pf) else None
        return pid if pid and psutil.pid_exists(pid) else None
    mc_before = pidfile("memcached")  # left running by someone else: use it, don't stop it
    started = subprocess.run(["./start.sh"], cwd=d)
    pids = {"gunicorn": pidfile("gunicorn")}  # recorded even if start.sh failed, to stop them
    if pidfile("memcached") and pidfile("memcached") != mc_before:
        pids["memcached"] = pidfile("memcached")

    def stop():
        for name, pid in pids.items():
            if pid is None:
                continue
            stop_pid(pid)
            pf = os.path.join(st, f"{name}.pid")
            if os.path.exists(pf) and open(pf).read().strip() == str(pid):
                os.remove(pf)
        print(f"keystone: stopped {pids}", flush=True)
    cleanup.append(stop)
    if started.returncode or not pids["gunicorn"]:
        raise RuntimeError(f"start.sh failed, see {st}/log/gunicorn.log")

    kv = subprocess.run([f"{d}/.venv/bin/python", "-c", "import importlib.metadata as m; print(m.version('keystone'))"],
                        capture_output=True, text=True).stdout.strip()
    url = f"http://127.0.0.1:{KS_PORT}/v3"
    res["bench"] = bench_run(bench, a, url, pids["gunicorn"], f"keystone {kv} gunicorn sync x2 sqlite memcache",
                             os.path.join(work, "keystone.json"))
    if pidfile("memcached"):
        res["memcached_rss_mib"] = round(psutil.Process(pidfile("memcached")).memory_info().rss / 2**20, 1)
    if a.cold_start_runs:
        cmd = (f"exec env KEYSTONE_PORT={KS_COLD_PORT} {shlex.quote(d)}/serve_foreground.sh "
               f">>{shlex.quote(work)}/keystone_cold.log 2>&1")
        res["cold_start"] = bench_run(bench, a, f"http://127.0.0.1:{KS_COLD_PORT}/v3", None, "keystone cold start",
                                      os.path.join(work, "keystone_cold.json"), cold_cmd=cmd)["cold_start"]
    cleanup.remove(stop)
    stop()
    return res


# ------------------------------------------------------------- onestack --
def onestack_side(bench, a, work, cleanup):
    cmd = shlex.split(a.onestack_cmd)
    if not shutil.which(cmd[0]):
        raise RuntimeError(f"onestack command not found: {cmd[0]}")
    for port in (a.port, a.cold_port):
        if port_busy(port):
            raise RuntimeError(f"127.0.0.1:{port} is already in use")
    env = {**os.environ, "ONESTACK_PASSWORD_HASH_ROUNDS": str(a.hash_rounds)}
    data = tempfile.mkdtemp(prefix="onestack-bench-", dir=work)
    extra = shlex.split(a.onestack_args)
    up = ["up", "--data-dir", data, "--port", str(a.port), "--admin-password", PASSWORD] + extra
    log = open(os.path.join(work, "onestack.log"), "w")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd + up, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop():
        stop_pid(proc.pid, group=True)
        proc.wait(5)
        log.close()
        print(f"onestack: stopped pid {proc.pid}", flush=True)
    cleanup.append(stop)
    url = f"http://127.0.0.1:{a.port}/identity/v3"
    git = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"], capture_output=True, text=True)
    res = {"cmd": shlex.join(cmd + up), "git": git.stdout.strip() or "no commit yet"}
    try:
        wait_token(url, proc)
    except RuntimeError as e:
        log.flush()
        raise RuntimeError(f"{e}; last log lines:\n" + "".join(open(log.name).readlines()[-15:]))
    res["first_token_s"] = round(time.monotonic() - t0, 2)
    print(f"onestack: up on {url} (pid {proc.pid}), first token after {res['first_token_s']} s", flush=True)
    res["bench"] = bench_run(bench, a, url, proc.pid, f"onestack, bcrypt cost {a.hash_rounds}",
                             os.path.join(work, "onestack.json"))
    cleanup.remove(stop)
    stop()
    if a.cold_start_runs:
        cold_dirs = tempfile.mkdtemp(prefix="cold-", dir=work)
        cold = (f'D=$(mktemp -d -p {shlex.quote(cold_dirs)}) && exec env ONESTACK_PASSWORD_HASH_ROUNDS={a.hash_rounds} '
                f'{shlex.join(cmd)} up --data-dir "$D" --port {a.cold_port} --admin-password {PASSWORD} {shlex.join(extra)} '
                f'>>{shlex.quote(work)}/onestack_cold.log 2>&1')
        res["cold_start"] = bench_run(bench, a, f"http://127.0.0.1:{a.cold_port}/identity/v3", None,
                                      "onestack cold start, fresh data dir", os.path.join(work, "onestack_cold.json"),
                                      cold_cmd=cold)["cold_start"]
    return res


# --------------------------------------------------------------- report --
def ratio(x, y):
    return round(x / y, 2) if x and y else None


def report(out):
    ks, os_ = out.get("keystone", {}).get("bench"), out.get("onestack", {}).get("bench")
    ratios = {}
    out["ratios"] = ratios
    for side in ("keystone", "onestack"):
        if "error" in out.get(side, {}):
            print(f"\n{side} FAILED: {out[side]['error']}")
    if not (ks or os_):
        return
    f = lambda v: "-" if v is None else str(v)  # noqa: E731
    print(f"\n{'':16s}|{'keystone':^34s}|{'onestack':^34s}| ratios")
    print(f"{'scenario':10s} {'conc':>4s} |{'med ms':>9s} {'p95':>7s} {'req/s':>7s} {'cpu/req':>7s} "
          f"|{'med ms':>9s} {'p95':>7s} {'req/s':>7s} {'cpu/req':>7s} | thr os/ks  lat ks/os  cpu ks/os")
    scen = (ks or os_ or {}).get("results", {})
    for s in scen:
        for i, row in enumerate(scen[s]):
            k = ks["results"][s][i] if ks else {}
            o = os_["results"][s][i] if os_ else {}
            r = {"throughput_os_over_ks": ratio(o.get("rps"), k.get("rps")),
                 "latency_ks_over_os": ratio(k.get("median_ms"), o.get("median_ms")),
                 "cpu_ks_over_os": ratio(k.get("server_cpu_ms_per_req"), o.get("server_cpu_ms_per_req"))}
            ratios[f"{s}_c{row['concurrency']}"] = r
            err = lambda x: f" ({x['errors']} err)" if x.get("errors") else ""  # noqa: E731
            print(f"{s:10s} {row['concurrency']:>4d} |" + " |".join(
                f"{f(x.get('median_ms')):>9s} {f(x.get('p95_ms')):>7s} {f(x.get('rps')):>7s} "
                f"{f(x.get('server_cpu_ms_per_req')):>7s}" for x in (k, o))
                + f" | {f(r['throughput_os_over_ks']):>9s} {f(r['latency_ks_over_os']):>10s} "
                  f"{f(r['cpu_ks_over_os']):>10s}{err(k)}{err(o)}")
    kr = ((ks or {}).get("server_memory_after_run") or {}).get("rss_mib")
    mc = out.get("keystone", {}).get("memcached_rss_mib") or 0
    orss = ((os_ or {}).get("server_memory_after_run") or {}).get("rss_mib")
    ratios["rss_os_over_ks_incl_memcached"] = ratio(orss, kr + mc if kr else None)
    ratios["rss_os_over_ks_gunicorn_only"] = ratio(orss, kr)
    print(f"\nRSS after run, MiB: keystone {f(kr)} (+{mc} memcached), onestack {f(orss)}; "
          f"onestack/keystone {f(ratios['rss_os_over_ks_incl_memcached'])} "
          f"(gunicorn tree only: {f(ratios['rss_os_over_ks_gunicorn_only'])})")
    kc = (out.get("keystone", {}).get("cold_start") or {}).get("median_first_token_s")
    oc = (out.get("onestack", {}).get("cold_start") or {}).get("median_first_token_s")
    ratios["cold_start_ks_over_os"] = ratio(kc, oc)
    runs = lambda side: [r["first_token_s"] for r in (out.get(side, {}).get("cold_start") or {}).get("runs", [])]  # noqa
    print(f"cold start to first token, median s: keystone {f(kc)} {runs('keystone')} (existing DB), "
          f"onestack {f(oc)} {runs('onestack')} (fresh data dir); keystone/onestack {f(ratios['cold_start_ks_over_os'])}")
    print("ratios > 1 mean onestack is better, except RSS (< 1 = onestack smaller).  cpu/req = server CPU ms per "
          "request, the figure least disturbed by other load on the host.")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["both", "keystone", "onestack"], default="both")
    ap.add_argument("--onestack-cmd", default=os.path.join(os.path.dirname(sys.executable), "onestack"))
    ap.add_argument("--onestack-args", default="", help='more `onestack up` options, e.g. "--workers 2"')
    ap.add_argument("--port", type=int, default=8181)
    ap.add_argument("--cold-port", type=int, default=8182, help="port for the onestack cold-start runs")
    ap.add_argument("--hash-rounds", type=int, default=12, help="ONESTACK_PASSWORD_HASH_ROUNDS (keystone: 12)")
    ap.add_argument("--anchor-dir", default="/tmp/anchor-keystone")
    ap.add_argument("--concurrency", default="1,8")
    ap.add_argument("--requests", type=int, default=300, help="max counted requests per scenario+concurrency")
    ap.add_argument("--max-seconds", type=float, default=20.0, help="max seconds per scenario+concurrency")
    ap.add_argument("--cold-start-runs", type=int, default=3, help="0 skips cold starts")
    ap.add_argument("--json", default=os.path.join(
        REPO, "benchmarks", "results", f"identity_vs_keystone-{dt.datetime.now():%Y%m%d-%H%M}.json"))
    a = ap.parse_args(argv)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally below runs
    ports = {"keystone": [KS_PORT, KS_COLD_PORT], "onestack": [a.port, a.cold_port]}
    busy = [p for side, ps in ports.items() if a.only in ("both", side) for p in ps if port_busy(p)]
    if busy:  # fail before spending minutes on the other side
        sys.exit(f"127.0.0.1 ports already in use: {busy} (choose others with --port/--cold-port)")
    bench = load_bench()
    work = tempfile.mkdtemp(prefix="identity-bench-")
    cleanup = []
    out = {"date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
           "bench_identity": os.path.normpath(BENCH), "args": vars(a), "loadavg_before": os.getloadavg()}
    failed = False
    try:
        for side, fn in (("keystone", keystone_side), ("onestack", onestack_side)):
            if a.only in ("both", side):
                print(f"\n===== {side} =====", flush=True)
                try:
                    out[side] = fn(bench, a, work, cleanup)
                except Exception as e:  # keep the other side's figures
                    failed = True
                    out[side] = {"error": f"{type(e).__name__}: {e}"}
                    print(f"{side} FAILED: {out[side]['error']}", file=sys.stderr, flush=True)
                    while cleanup:
                        cleanup.pop()()
    finally:
        while cleanup:
            cleanup.pop()()
    for side in ("keystone", "onestack"):
        if "cold_start" in out.get(side, {}) and not out[side]["cold_start"]["median_first_token_s"]:
            failed = True
            out[side]["error"] = f"cold start failed, see {work}/{side}_cold.log"
    out["loadavg_after"] = os.getloadavg()
    report(out)
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(out, f, indent=2)
    print(f"wrote {a.json}")
    if failed:
        print(f"kept {work} (server logs, data dirs)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
