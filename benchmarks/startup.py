"""Cold start of ``onestack up``: launch on a fresh data dir -> first password token.

Each run starts ``onestack up`` (the venv's console script, bcrypt cost 12: any
ONESTACK_PASSWORD_HASH_ROUNDS is removed) on a new temporary data dir, asks for a token
every 10 ms until one is issued, and stops the process group. Phases, in seconds after the
launch: the server's own ``--timings`` stamps (import, schema, bootstrap, listening) when
the code has the flag, the port answering and the first token as the client sees them.

``--before-src DIR`` also runs the code in DIR (a ``git worktree`` of an older commit, via
PYTHONPATH=DIR with this venv), alternating with the current code run by run, so that a
busy machine slows both alike; the JSON then holds both and the ratio. ``--src DIR``
measures another checkout as the current code. The CPU the server used until the first
token (with its reaped children) is recorded too: on a shared machine it varies less than
wall time.

    .venv/bin/python benchmarks/startup.py                        # 3 runs, current code
    .venv/bin/python benchmarks/startup.py --before-src /tmp/before/src
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
ONESTACK = Path(sys.executable).with_name("onestack")
PASSWORD = "secret"
TIMING = re.compile(r"onestack-timing phase=(\S+) at=(\S+)")
FOREIGN_INFO = re.compile(r"level=INFO logger=(?!onestack)")
TOKEN_BODY = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "admin", "domain": {"name": "Default"}, "password": PASSWORD}}},
    "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}


PYCACHE = Path(tempfile.gettempdir()) / "onestack-startup-pycache"


def environment(src: Path) -> dict[str, str]:
    """No ONESTACK_* settings; byte-code cached as an installed package has it (the warm-up
    run writes it, outside the source tree) even where PYTHONDONTWRITEBYTECODE is set."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ONESTACK_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(src)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def has_timings(src: Path) -> bool:
    out = subprocess.run([str(ONESTACK), "up", "--help"], env=environment(src),
                         capture_output=True, text=True, check=True).stdout
    return "--timings" in out


def wait_for_port(port: int, proc: subprocess.Popen, deadline: float) -> float:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"onestack up exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return time.time()
        except OSError:
            time.sleep(0.01)
    raise RuntimeError("the port never opened")


def wait_for_token(port: int, proc: subprocess.Popen, limit: float) -> tuple[float, float]:
    """(port accepting connections, token issued) as time.time() stamps."""
    deadline = time.monotonic() + limit
    port_open = wait_for_port(port, proc, deadline)
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < deadline:
            resp = client.post(f"http://127.0.0.1:{port}/identity/v3/auth/tokens",
                               json=TOKEN_BODY)
            if resp.status_code == 201:
                return port_open, time.time()
            time.sleep(0.01)
    raise RuntimeError(f"no token within {limit} s")


def cpu_seconds(pid: int) -> float:
    """CPU the server used so far, with its reaped children (the migration)."""
    t = psutil.Process(pid).cpu_times()
    return round(t.user + t.system + t.children_user + t.children_system, 3)


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def one_run(src: Path, port: int, timings: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="onestack-startup-") as tmp:
        data_dir = Path(tmp) / "data"
        log_path = Path(tmp) / "out.log"
        cmd = [str(ONESTACK), "up", "--data-dir", str(data_dir), "--port", str(port),
               "--admin-password", PASSWORD] + (["--timings"] if timings else [])
        with open(log_path, "wb") as log:
            launched = time.time()
            proc = subprocess.Popen(cmd, env=environment(src), stdout=log, stderr=log,
                                    cwd=tmp, start_new_session=True)
            try:
                port_open, token = wait_for_token(port, proc, 120)
                cpu = cpu_seconds(proc.pid)
            except RuntimeError as exc:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{exc} ({src}):\n{tail}") from exc
            finally:
                stop(proc)
        output = log_path.read_text(errors="replace")
    phases = {m.group(1): round(float(m.group(2)) - launched, 3)
              for m in TIMING.finditer(output)}
    phases["port_open"] = round(port_open - launched, 3)
    phases["first_token"] = round(token - launched, 3)
    return {"phases": phases, "cpu_s_at_first_token": cpu,
            "foreign_info_lines": len(FOREIGN_INFO.findall(output))}


def medians(runs: list[dict]) -> dict[str, float]:
    names = sorted({name for r in runs for name in r["phases"]},
                   key=lambda n: statistics.median(r["phases"].get(n, 0) for r in runs))
    return {n: round(statistics.median(r["phases"][n] for r in runs if n in r["phases"]), 3)
            for n in names}


def show(label: str, result: dict) -> None:
    print(f"{label}: median of {len(result['runs'])} (seconds after launch)")
    for name, value in result["median"].items():
        print(f"  {name:<12} {value:6.2f}")
    print(f"  CPU s at first token (median): {result['cpu_s_at_first_token']:.2f}")
    print(f"  library INFO lines at start: {result['runs'][0]['foreign_info_lines']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--port", type=int, default=8185)
    p.add_argument("--src", default=str(REPO / "src"),
                   help="src dir of the code to measure (default: this checkout)")
    p.add_argument("--before-src", help="src dir of the code to compare against")
    p.add_argument("--json", help="output path (default benchmarks/results/startup-<date>.json)")
    a = p.parse_args(argv)
    variants = {"current": Path(a.src).resolve()}
    if a.before_src:
        variants["before"] = Path(a.before_src).resolve()
    flags = {name: has_timings(src) for name, src in variants.items()}
    for name, src in variants.items():  # warm-up, not counted: .pyc files, entry-point cache
        one_run(src, a.port, flags[name])
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for i in range(a.runs):
        for name, src in variants.items():
            runs[name].append(one_run(src, a.port, flags[name]))
            last = runs[name][-1]
            print(f"run {i + 1} {name}: {last['phases']} cpu {last['cpu_s_at_first_token']}",
                  flush=True)
    result = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "load_average": os.getloadavg(), "bcrypt_cost": 12, "variants": {}}
    for name, src in variants.items():
        entry = {"src": os.path.relpath(src, REPO), "runs": runs[name],
                 "median": medians(runs[name]), "cpu_s_at_first_token": statistics.median(
                     r["cpu_s_at_first_token"] for r in runs[name])}
        result["variants"][name] = entry
        show(name, entry)
    if "before" in result["variants"]:
        ratio = (result["variants"]["before"]["median"]["first_token"]
                 / result["variants"]["current"]["median"]["first_token"])
        result["first_token_ratio_before_over_current"] = round(ratio, 2)
        print(f"first token: before/current = {ratio:.2f}x")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    out = Path(a.json) if a.json else REPO / "benchmarks" / "results" / f"startup-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {os.path.relpath(out, REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
