"""onestack's Block Storage API next to a real Cinder 29 (its anchor under
``benchmarks/cinder_anchor``), measured in one run by the same client
(``benchmarks/bench_volume.py``): create → available (empty, and from a 64 MiB image), 20
creates at once, attach → in-use and detach, list 200 volumes, resident memory, server CPU.

    .venv/bin/python benchmarks/volume_vs_cinder.py                # both sides
    .venv/bin/python benchmarks/volume_vs_cinder.py --only onestack

The Cinder side is the anchor copied to ``--anchor-dir`` (``setup.sh`` once, ~6 min),
started with its ``start.sh`` and stopped with its ``stop.sh``. onestack runs ``onestack up``
on a fresh data dir (SQLite, in-process agents, the file backend) in its own process group,
stopped by that group's id. Ratios: above 1 means onestack is better. Memory compares
onestack's whole process (every service) with Cinder's own processes (api, scheduler,
volume; its Keystone and Glance left out).
"""
from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks" / "bench_volume.py"
ANCHOR = ROOT / "benchmarks" / "cinder_anchor"


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


def settle(auth_url: str, password: str, seconds: float) -> None:
    """One login, then a pause: what a service starts after its first login or first
    minutes (onestack's agents and lazily built services, Cinder's periodic tasks and
    its first scheduler reports) happens before the measured phases, on both sides."""
    httpx.post(auth_url + "/auth/tokens", timeout=60, json={"auth": {"identity": {
        "methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    time.sleep(seconds)


def bench(python: str, args: list[str], out: Path) -> dict:
    subprocess.run([python, str(BENCH), *args, "--out", str(out)], check=True)
    return json.loads(out.read_text())


def run_onestack(a: argparse.Namespace, out_dir: Path) -> dict:
    data = Path(tempfile.mkdtemp(prefix="bench-vol-"))
    cmd = a.onestack_cmd or str(Path(sys.executable).parent / "onestack")
    try:  # a server left on the port would be measured instead of this one
        httpx.get(f"http://127.0.0.1:{a.port}/", timeout=2)
        raise RuntimeError(f"port {a.port} is already taken: stop what listens there")
    except httpx.HTTPError:
        pass
    log = open(data / "server.log", "w")
    proc = subprocess.Popen([cmd, "up", "--data-dir", str(data / "state"), "--port",
                             str(a.port), "--admin-password", "secret"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (data / "onestack.pid").write_text(str(proc.pid))
    try:
        wait_for(f"http://127.0.0.1:{a.port}/volume/")
        settle(f"http://127.0.0.1:{a.port}/identity/v3", "secret", a.settle)
        return bench(sys.executable, [
            "--auth-url", f"http://127.0.0.1:{a.port}/identity/v3", "--password", "secret",
            "--pid-files", str(data / "onestack.pid"), "--label", "onestack",
            *a.bench_args], out_dir / "onestack.json")
    finally:
        try:
            import os

            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            import os

            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(data, ignore_errors=True)


def run_cinder(a: argparse.Namespace, out_dir: Path) -> dict:
    anchor = Path(a.anchor_dir)
    if not (anchor / ".venv").exists():
        if not anchor.exists():
            shutil.copytree(ANCHOR, anchor, ignore=shutil.ignore_patterns(".venv", "run"))
        subprocess.run(["./setup.sh"], cwd=anchor, check=True)
    subprocess.run(["./start.sh"], cwd=anchor, check=True)
    try:
        settle("http://127.0.0.1:28700/v3", a.anchor_password, a.settle)
        return bench(str(anchor / ".venv" / "bin" / "python"), [
            "--auth-url", "http://127.0.0.1:28700/v3", "--password", a.anchor_password,
            "--pid-files", f"{anchor}/run/pids/*.pid", "--label", "cinder",
            *a.bench_args], out_dir / "cinder.json")
    finally:
        subprocess.run(["./stop.sh"], cwd=anchor, check=False)


def pick(res: dict, *path: str) -> float | None:
    cur = res
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    if isinstance(cur, dict):  # per process group: the total
        cur = cur.get("total")
    return cur if isinstance(cur, (int, float)) else None


ROWS = [  # label, path, higher is better
    ("empty volume create -> available, median [ms]",
     ("create_empty", "create_to_available", "median_ms"), False),
    ("server CPU per empty create [ms]", ("create_empty", "server_cpu_ms_per_create"), False),
    ("from a 64 MiB image -> available, median [ms]",
     ("create_image", "create_to_available", "median_ms"), False),
    ("server CPU per create from the image [ms]",
     ("create_image", "server_cpu_ms_per_create"), False),
    ("20 creates at once -> all available [s]", ("burst", "wall_s_all_available"), False),
    ("server CPU per create in the burst [ms]", ("burst", "server_cpu_ms_per_create"), False),
    ("attach -> in-use, median [ms]", ("attach", "attach_to_in_use", "median_ms"), False),
    ("detach -> available, median [ms]", ("attach", "detach_to_available", "median_ms"), False),
    ("list 200 volumes (detail), median [ms]", ("list", "detail", "latency", "median_ms"), False),
    ("list 200 volumes (summary), median [ms]",
     ("list", "summary", "latency", "median_ms"), False),
]


def memory(res: dict, label: str) -> float | None:
    part = res.get("memory_after") or res.get("memory_loaded") or {}
    services = part.get("by_service") if isinstance(part, dict) else None
    if not services:
        return None
    keep = {k: v for k, v in services.items()
            if label == "onestack" or k not in ("keystone", "glance")}
    return round(sum(v.get("rss_mb", 0) for v in keep.values()), 1)


def table(results: dict[str, dict]) -> str:
    os_, cd = results.get("onestack", {}), results.get("cinder", {})
    lines = [f"{'metric':48} {'onestack':>10} {'cinder':>10} {'ratio':>8}",
             "(ratio: how many times better onestack is; >1 = onestack better)"]
    for label, path, higher in ROWS + [("RSS after the run [MiB]", ("rss",), False)]:
        a = memory(os_, "onestack") if path == ("rss",) else pick(os_, *path)
        b = memory(cd, "cinder") if path == ("rss",) else pick(cd, *path)
        ratio = "-"
        if a and b:
            ratio = f"{(a / b if higher else b / a):.1f}x"
        lines.append(f"{label:48} {a if a is not None else '-':>10} "
                     f"{b if b is not None else '-':>10} {ratio:>8}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=("onestack", "cinder"))
    ap.add_argument("--port", type=int, default=8292)
    ap.add_argument("--onestack-cmd", default="")
    ap.add_argument("--anchor-dir", default="/tmp/anchor-cinder")
    ap.add_argument("--anchor-password", default="admin-anchor-pw")
    ap.add_argument("--settle", type=float, default=10.0,
                    help="seconds between the first login and the measured phases")
    ap.add_argument("--bench-args", nargs=argparse.REMAINDER, default=[],
                    help="passed to bench_volume.py as they are (last on the line)")
    ap.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results" /
                                              time.strftime("volume_vs_cinder-%Y%m%d-%H%M")))
    a = ap.parse_args()
    out_dir = Path(a.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    failed = False
    for side, run in (("onestack", run_onestack), ("cinder", run_cinder)):
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
