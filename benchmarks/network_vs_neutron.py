"""onestack's Networking API next to a real Neutron 29, measured in one run by the same
client (``../shared/anchors/neutron/bench_network.py``, run as it is, never copied):
port create one at a time and 8 concurrent, list 200 ports, network + subnet create and
delete, resident memory of the server process trees, and launch → first answer.

    .venv/bin/python benchmarks/network_vs_neutron.py                # both sides
    .venv/bin/python benchmarks/network_vs_neutron.py --only onestack

The Neutron side is the anchor copied to ``--anchor-dir`` (``setup.sh`` once, ~10 min),
started with its ``start.sh`` and stopped with its ``stop.sh``. onestack runs
``onestack up`` on a fresh data dir (SQLite, in-process agents) in its own process group,
stopped by that group's id. Ratios: above 1 means onestack is better.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BENCH = SHARED / "anchors" / "neutron" / "bench_network.py"


def wait_for(url: str, timeout: float = 120) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


def bench(python: str, args: list[str], out: Path) -> dict:
    cmd = [python, str(BENCH), *args, "--out", str(out)]
    subprocess.run(cmd, check=True)
    return json.loads(out.read_text())


def run_onestack(a: argparse.Namespace, out_dir: Path) -> dict:
    data = Path(tempfile.mkdtemp(prefix="bench-net-"))
    pids = data / "pids"
    pids.mkdir()
    cmd = a.onestack_cmd or str(Path(sys.executable).parent / "onestack")
    start = (f"setsid {cmd} up --data-dir {data}/state --port {a.port} "
             f"--admin-password secret >>{data}/server.log 2>&1 & echo $! > {pids}/onestack.pid")
    # SIGTERM to the server's process group (``kill -TERM -PGID``: /bin/sh may be dash,
    # whose kill takes no ``--``), then SIGKILL if it is still there after 20 s
    stop = (f"pid=$(cat {pids}/onestack.pid); kill -TERM -$pid 2>/dev/null; i=0; "
            f"while kill -0 $pid 2>/dev/null; do i=$((i+1)); "
            f"if [ $i -ge 200 ]; then echo 'onestack ignored SIGTERM for 20 s: SIGKILL' >&2; "
            f"kill -KILL -$pid 2>/dev/null; fi; sleep 0.1; done")
    try:  # a server left on the port would be measured instead of this one
        httpx.get(f"http://127.0.0.1:{a.port}/", timeout=2)
        raise RuntimeError(f"port {a.port} is already taken: stop what listens there")
    except httpx.HTTPError:
        pass
    t0 = time.monotonic()
    subprocess.run(start, shell=True, check=True)
    try:
        first = wait_for(f"http://127.0.0.1:{a.port}/network/")
        print(f"onestack answered {time.monotonic() - t0:.2f} s after launch (fresh data dir)")
        result = bench(sys.executable, [
            "--auth-url", f"http://127.0.0.1:{a.port}/identity/v3", "--password", "secret",
            "--pid-files", f"{pids}/*.pid", "--start-cmd", start, "--stop-cmd", stop,
            "--label", "onestack", "--ports", str(a.ports)], out_dir / "onestack.json")
        result["fresh_start_first_answer_s"] = round(first, 2)
        (out_dir / "onestack.json").write_text(json.dumps(result, indent=2))
        return result
    finally:
        subprocess.run(stop, shell=True, check=False)
        shutil.rmtree(data, ignore_errors=True)


def run_neutron(a: argparse.Namespace, out_dir: Path) -> dict:
    anchor = Path(a.anchor_dir)
    if not (anchor / ".venv").exists():
        if not anchor.exists():
            shutil.copytree(SHARED / "anchors" / "neutron", anchor)
        subprocess.run(["./setup.sh"], cwd=anchor, check=True)
    env = dict(os.environ)
    subprocess.run(["./start.sh"], cwd=anchor, check=True, env=env)
    try:
        return bench(str(anchor / ".venv" / "bin" / "python"), [
            "--auth-url", "http://127.0.0.1:28500/v3", "--password", "admin-anchor-pw",
            "--pid-files", f"{anchor}/run/pids/*.pid",
            "--stop-cmd", f"cd {anchor} && ./stop.sh neutron",
            "--start-cmd", f"cd {anchor} && ONLY=neutron ./start.sh",
            "--label", "neutron", "--ports", str(a.ports)], out_dir / "neutron.json")
    finally:
        subprocess.run(["./stop.sh"], cwd=anchor, check=False)


def pick(res: dict, *path: str) -> float | None:
    cur = res
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    return cur if isinstance(cur, (int, float)) else None


def total(res: dict, *path: str) -> float | None:
    """The number at ``path``, or the sum of the per-group numbers of the dict there
    (``server_cpu_ms_per_req`` is per process group)."""
    value = pick(res, *path)
    cur = res
    for key in path[:-1]:
        cur = cur.get(key, {}) if isinstance(cur, dict) else {}
    if isinstance(cur, dict) and path[-1] in cur and isinstance(cur[path[-1]], dict):
        return round(sum(v for v in cur[path[-1]].values() if isinstance(v, (int, float))), 2)
    return value


ROWS = [  # label, path, higher is better
    ("port create, sequential [ports/s]", ("ports_seq", "ports_per_s"), True),
    ("port create, sequential median [ms]", ("ports_seq", "latency", "median_ms"), False),
    ("server CPU per port create, seq [ms]", ("ports_seq", "server_cpu_ms_per_req"), False),
    ("port create, 8 concurrent [ports/s]", ("ports_conc", "ports_per_s"), True),
    ("server CPU per port create, conc [ms]", ("ports_conc", "server_cpu_ms_per_req"), False),
    ("list 200 ports (network filter) median [ms]",
     ("list_ports", "network_filter", "latency", "median_ms"), False),
    ("list 200 ports (project) median [ms]",
     ("list_ports", "project_all", "latency", "median_ms"), False),
    ("port delete, 8 concurrent [ports/s]", ("ports_delete", "ports_per_s"), True),
    ("network+subnet create+delete median [s]", ("net_cycle", "total_s", "median"), False),
    ("cold start -> first GET networks [s]", ("cold_start", "first_get_networks_200_s"), False),
]


def memory(res: dict) -> float | None:
    """RSS of the network server's process trees after the run; Neutron's Keystone (a
    separate service) is left out, onestack's whole process (every service) counts."""
    part = res.get("memory_after") or res.get("memory_loaded") or {}
    services = part.get("by_service") if isinstance(part, dict) else None
    if not services:
        return None
    return round(sum(v.get("rss_mb", 0) for k, v in services.items() if k != "keystone"), 1)


def table(results: dict[str, dict]) -> str:
    os_, nt = results.get("onestack", {}), results.get("neutron", {})
    lines = [f"{'metric':48} {'onestack':>10} {'neutron':>10} {'ratio':>8}",
             "(ratio: how many times better onestack is; >1 = onestack better)"]
    for label, path, higher in ROWS + [("RSS of the server tree [MiB]", ("rss",), False)]:
        a = memory(os_) if path == ("rss",) else total(os_, *path)
        b = memory(nt) if path == ("rss",) else total(nt, *path)
        ratio = "-"
        if a and b:
            ratio = f"{(a / b if higher else b / a):.1f}x"
        lines.append(f"{label:48} {a if a is not None else '-':>10} "
                     f"{b if b is not None else '-':>10} {ratio:>8}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=("onestack", "neutron"))
    ap.add_argument("--port", type=int, default=8291)
    ap.add_argument("--ports", type=int, default=100, help="ports per create phase")
    ap.add_argument("--onestack-cmd", default="")
    ap.add_argument("--anchor-dir", default="/tmp/anchor-neutron")
    ap.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results" /
                                              time.strftime("network_vs_neutron-%Y%m%d-%H%M")))
    a = ap.parse_args()
    out_dir = Path(a.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    failed = False
    for side, run in (("onestack", run_onestack), ("neutron", run_neutron)):
        if a.only and a.only != side:
            continue
        try:
            results[side] = run(a, out_dir)
        except Exception as exc:  # noqa: BLE001 - report the other side anyway
            print(f"{side} failed: {exc}", file=sys.stderr)
            failed = True
    text = table(results)
    print(text)
    (out_dir / "summary.txt").write_text(text + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
