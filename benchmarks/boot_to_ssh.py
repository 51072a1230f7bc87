"""Boot to SSH: a server on onestack (``POST /servers`` → ``ssh … true`` answers) next to
the same image booted with plain QEMU by hand (launch → ``ssh … true``), in one run.

Both sides boot ``onestack-guest.qcow2`` with the same accelerator and CPU model (the QEMU
driver's probe, ``compute/drivers/qemu/accel.py``), the flavor's vCPUs and memory, a qcow2
overlay and a ``config-2`` drive holding the SSH key (see ``boot_to_ssh_guest.py`` and
``boot_to_ssh_cloud.py``). After one uncounted warm-up boot per side (the compute host
fetches and caches the base image then), ``--rounds`` single boots alternate between the
sides; then ``--burst`` guests are started at once on each side, and the processes beside
the guests (API, agents, dnsmasq, metadata proxy) are measured idle and with the burst's
guests running. Load average and the other QEMU processes on the machine are recorded
with every boot: the machine is shared.

    sudo .venv/bin/python benchmarks/boot_to_ssh.py               # 5 rounds, burst of 10
    sudo .venv/bin/python benchmarks/boot_to_ssh.py --rounds 1 --burst 0   # a quick look

Needs root (namespaces, taps), qemu-system-x86, qemu-utils, dnsmasq, nftables, openssh-client,
dosfstools and mtools. Writes ``benchmarks/results/boot_to_ssh-<time>/summary.json`` and
``README.md`` (no machine paths in either)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from boot_to_ssh_cloud import Booted, Cloud  # noqa: E402
from boot_to_ssh_guest import (REPO, Key, PlainGuest, console_tail,  # noqa: E402
                               guest_uptime_at_ready, loadavg, make_key, since_boot,
                               start_plain, wait_for_ssh)

DEFAULT_IMAGE = Path("~/.cache/onestack-guest/onestack-guest.qcow2").expanduser()
MIB = 2 ** 20


def other_qemus(mine: set[int]) -> int:
    """QEMU processes on the machine that are not this run's (other people's guests)."""
    return sum(1 for p in psutil.process_iter(["name"])
               if (p.info["name"] or "").startswith("qemu-system") and p.pid not in mine)


def context(mine: set[int]) -> dict[str, Any]:
    return {"loadavg": loadavg(), "other_qemus": other_qemus(mine),
            "at": dt.datetime.now(dt.timezone.utc).strftime("%H:%M:%S")}


# --- plain QEMU -----------------------------------------------------------------------------
def plain_boot(work: Path, image: Path, key: Key, accel: str, cpu: str, flavor: dict[str, int],
               count: int, timeout: float) -> list[PlainGuest]:
    """``count`` plain guests started at once (a thread each), each timed to SSH."""
    guests: list[PlainGuest | None] = [None] * count
    t0, t0_boot = time.monotonic(), since_boot()

    def one(index: int) -> None:
        guest = start_plain(work / f"plain-{index}", image, key, accel, cpu,
                            flavor["vcpus"], flavor["ram"])
        guest.t0, guest.t0_boot = t0, t0_boot
        guests[index] = guest
        guest.ready = wait_for_ssh(key, "127.0.0.1", t0 + timeout, port=guest.port)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [g for g in guests if g is not None]


def plain_record(guests: list[PlainGuest], ctx: dict[str, Any]) -> dict[str, Any]:
    g0 = guests[0]
    readies = [g.ready for g in guests]
    return {"side": "plain", "count": len(guests), **ctx,
            "to_ssh": [round(r - g0.t0, 3) if r else None for r in readies],
            "qemu_started": [round(g.launched - g0.t0_boot, 3) for g in guests],
            "guest_ready_uptime": [guest_uptime_at_ready(g.console) for g in guests],
            "unanswered_consoles": [console_tail(g.console) for g in guests if not g.ready],
            "all_ssh": round(max(readies) - g0.t0, 3) if all(readies) else None}


def stop_plain(guests: list[PlainGuest]) -> None:
    for g in guests:
        g.stop()


# --- onestack -------------------------------------------------------------------------------
def onestack_record(cloud: Cloud, booted: list[Booted], ctx: dict[str, Any]) -> dict[str, Any]:
    t0 = booted[0].t0

    def rel(x: float | None) -> float | None:
        return round(x - t0, 3) if x else None
    logs = [cloud.console(b.server_id) for b in booted]
    consoles = [guest_uptime_at_ready(log) for log in logs]
    readies = [b.ready for b in booted]
    actives = [b.active for b in booted]
    return {"side": "onestack", "count": len(booted), **ctx,
            "to_ssh": [rel(r) for r in readies], "to_active": [rel(a) for a in actives],
            "post_answered": [rel(b.posted) for b in booted],
            "qemu_started": [round(q - b.t0_boot, 3) if q else None for b, q in
                             ((b, cloud.qemu_started(b.server_id)) for b in booted)],
            "status": [b.status for b in booted], "guest_ready_uptime": consoles,
            "unanswered_consoles": [console_tail(log) for b, log in zip(booted, logs)
                                    if not b.ready],
            "all_ssh": rel(max(readies)) if all(readies) else None,  # type: ignore[type-var]
            "all_active": rel(max(actives)) if all(actives) else None}  # type: ignore[type-var]


# --- processes beside the guests ------------------------------------------------------------
def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


def measure(processes: Callable[[], list[psutil.Process]], window: float) -> dict[str, Any]:
    """Resident memory (RSS and unique USS) now and CPU used over ``window`` seconds."""
    procs = processes()

    def cpu(p: psutil.Process) -> float:
        try:
            t = p.cpu_times()
            return t.user + t.system
        except psutil.Error:
            return 0.0
    before = {p.pid: cpu(p) for p in procs}
    time.sleep(window)
    rows = []
    for p in procs:
        try:
            mem = p.memory_full_info()
            rows.append({"name": p.name(), "rss_mib": round(mem.rss / MIB, 1),
                         "uss_mib": round(mem.uss / MIB, 1),
                         "cpu_s": round(cpu(p) - before[p.pid], 3)})
        except psutil.Error:
            pass
    return {"window_s": window, "processes": len(rows),
            "rss_mib": round(sum(r["rss_mib"] for r in rows), 1),
            "uss_mib": round(sum(r["uss_mib"] for r in rows), 1),
            "cpu_percent": round(100 * sum(r["cpu_s"] for r in rows) / window, 1),
            "by_process": sorted(rows, key=lambda r: -r["rss_mib"])}


def qemu_memory(procs: list[psutil.Process]) -> dict[str, Any]:
    rss = []
    for p in procs:
        try:
            rss.append(p.memory_info().rss / MIB)
        except psutil.Error:
            pass
    return {"count": len(rss), "rss_mib_each_median": round(statistics.median(rss), 1)
            if rss else None}


# --- the run --------------------------------------------------------------------------------
def median(values: list[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return round(statistics.median(got), 3) if got else None


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from onestack.compute.drivers.qemu.accel import Accelerator

    image = Path(args.image).expanduser()
    if not image.exists():
        subprocess.run([sys.executable, str(REPO / "scripts" / "build_guest_image.py"),
                        "--out", str(image.parent)], check=True)
    accel = Accelerator("auto", cache=work / "qemu-accel.json")
    print(f"accelerator: {accel.name}, CPU model {accel.cpu}", flush=True)
    key = make_key(work)
    cloud = Cloud(work / "cloud", accel.name, image, args.cloud,
                  fresh_addresses=not args.reuse_addresses)
    result: dict[str, Any] = {
        "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True).stdout.strip(),
        "cpus": psutil.cpu_count(), "accel": accel.name, "cpu_model": accel.cpu,
        "image": {"name": image.name, "size_mib": round(image.stat().st_size / MIB, 1)},
        "flavor_name": args.flavor, "cloud": args.cloud,
        "fresh_addresses": not args.reuse_addresses, "boots": []}
    try:
        cloud.start()
        cloud.prepare(key, args.flavor)
        flavor = cloud.flavor
        result["flavor"] = flavor
        print(f"cloud up: host {cloud.host}, flavor {args.flavor} {flavor}", flush=True)

        def mine() -> set[int]:
            return {p.pid for p in cloud.qemu_processes()}

        def onestack(count: int, label: str) -> dict[str, Any]:
            ctx = context(mine())
            beside = cloud.overhead_processes()
            before = cpu_seconds(beside)
            booted = cloud.boot(count, args.timeout)
            record = onestack_record(cloud, booted, ctx)
            record["label"] = label
            # CPU the processes beside the guests spent from the POSTs to the last SSH
            record["beside_cpu_s"] = round(cpu_seconds(beside) - before, 3)
            return record | {"_booted": booted}

        def plain(count: int, label: str) -> tuple[dict[str, Any], list[PlainGuest]]:
            ctx = context(mine())
            guests = plain_boot(work / label, image, key, accel.name, accel.cpu, flavor,
                                count, args.timeout)
            return plain_record(guests, ctx) | {"label": label}, guests

        def single(side: str, label: str) -> dict[str, Any]:
            if side == "plain":
                record, guests = plain(1, label)
                stop_plain(guests)
            else:
                record = onestack(1, label)
                cloud.delete(record.pop("_booted"))
            print(f"  {label:>12} {side:>8}: ssh {record['to_ssh'][0]} s, "
                  f"QEMU started {record['qemu_started'][0]} s"
                  + (f", ACTIVE {record['to_active'][0]} s" if side == "onestack" else "")
                  + f" (load {record['loadavg'][0]}, other qemus {record['other_qemus']})",
                  flush=True)
            result["boots"].append(record)
            return record

        single("onestack", "warm-up")  # the host fetches and caches the base image here
        single("plain", "warm-up")
        for r in range(args.rounds):
            order = ("plain", "onestack") if r % 2 == 0 else ("onestack", "plain")
            for side in order:
                single(side, f"round-{r + 1}")
        result["overhead_idle"] = measure(cloud.overhead_processes, args.window)
        if args.burst:
            record, guests = plain(args.burst, "burst")
            stop_plain(guests)
            result["boots"].append(record)
            print(f"  burst plain x{args.burst}: all ssh {record['all_ssh']} s", flush=True)
            record = onestack(args.burst, "burst")
            booted = record.pop("_booted")
            result["overhead_burst"] = measure(cloud.overhead_processes, args.window)
            result["qemu_burst"] = qemu_memory(cloud.qemu_processes())
            cloud.delete(booted)
            result["boots"].append(record)
            print(f"  burst onestack x{args.burst}: all ACTIVE {record['all_active']} s, "
                  f"all ssh {record['all_ssh']} s", flush=True)
    finally:
        cloud.stop()
    result["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    result["summary"] = summarize(result)
    return result


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    def pick(side: str, label_start: str, key: str) -> list[float | None]:
        return [v for b in result["boots"] if b["side"] == side
                and b["label"].startswith(label_start) for v in b[key]]
    plain = median(pick("plain", "round", "to_ssh"))
    ours = median(pick("onestack", "round", "to_ssh"))
    out: dict[str, Any] = {
        "plain_to_ssh_median": plain, "onestack_to_ssh_median": ours,
        "onestack_to_active_median": median(pick("onestack", "round", "to_active")),
        "onestack_beside_cpu_s_median": median(
            [b["beside_cpu_s"] for b in result["boots"]
             if b["side"] == "onestack" and b["label"].startswith("round")]),
        "plain_qemu_started_median": median(pick("plain", "round", "qemu_started")),
        "onestack_qemu_started_median": median(pick("onestack", "round", "qemu_started")),
        "plain_guest_ready_median": median(pick("plain", "round", "guest_ready_uptime")),
        "onestack_guest_ready_median": median(pick("onestack", "round", "guest_ready_uptime")),
        "plain_qemu_to_ssh_median": median(since_qemu(result, "plain")),
        "onestack_qemu_to_ssh_median": median(since_qemu(result, "onestack")),
        "ratio_to_ssh": round(ours / plain, 2) if ours and plain else None,
        "paired_ratios": paired(result)}
    bursts = {b["side"]: b for b in result["boots"] if b["label"] == "burst"}
    if len(bursts) == 2 and bursts["plain"]["all_ssh"] and bursts["onestack"]["all_ssh"]:
        out["burst"] = {
            "plain_all_ssh": bursts["plain"]["all_ssh"],
            "onestack_all_ssh": bursts["onestack"]["all_ssh"],
            "onestack_all_active": bursts["onestack"]["all_active"],
            "ratio_all_ssh": round(bursts["onestack"]["all_ssh"] / bursts["plain"]["all_ssh"], 2)}
    return out


def since_qemu(result: dict[str, Any], side: str) -> list[float | None]:
    """From the QEMU process's start to SSH, per round: the guest's own part."""
    return [round(s - q, 3) if s and q else None for b in result["boots"]
            if b["side"] == side and b["label"].startswith("round")
            for s, q in zip(b["to_ssh"], b["qemu_started"])]


def paired(result: dict[str, Any]) -> list[float | None]:
    """onestack / plain per round (each round's two boots ran back to back)."""
    ratios: list[float | None] = []
    rounds = sorted({b["label"] for b in result["boots"] if b["label"].startswith("round")},
                    key=lambda s: int(s.split("-")[1]))
    for label in rounds:
        got = {b["side"]: b["to_ssh"][0] for b in result["boots"] if b["label"] == label}
        ratios.append(round(got["onestack"] / got["plain"], 2)
                      if got.get("onestack") and got.get("plain") else None)
    return ratios


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def table(result: dict[str, Any]) -> str:
    s = result["summary"]
    lines = ["| metric | plain QEMU | onestack | onestack / plain |", "|---|---|---|---|"]

    def row(name: str, plain: Any, ours: Any, ratio: Any) -> None:
        lines.append(f"| {name} | {plain} | {ours} | {ratio} |")
    row(f"boot to SSH, median of {len(s['paired_ratios'])} (s)", s["plain_to_ssh_median"],
        s["onestack_to_ssh_median"], s["ratio_to_ssh"])
    row("start → QEMU process made, median (s)", s["plain_qemu_started_median"],
        s["onestack_qemu_started_median"], "–")
    row("QEMU process made → SSH, median (s)", s["plain_qemu_to_ssh_median"],
        s["onestack_qemu_to_ssh_median"], ratio(s["onestack_qemu_to_ssh_median"],
                                                  s["plain_qemu_to_ssh_median"]))
    row("guest's own uptime at its 'ready' line, median (s)", s["plain_guest_ready_median"],
        s["onestack_guest_ready_median"], ratio(s["onestack_guest_ready_median"],
                                                 s["plain_guest_ready_median"]))
    row("POST → ACTIVE, median (s)", "–", s["onestack_to_active_median"], "–")
    row("CPU of the processes beside the guest, POST → SSH, median (s)", "0",
        s["onestack_beside_cpu_s_median"], "–")
    row("per-round ratios", "", "", ", ".join(str(r) for r in s["paired_ratios"]))
    if "burst" in s:
        b = s["burst"]
        n = next(x["count"] for x in result["boots"] if x["label"] == "burst")
        row(f"{n} at once: all answer SSH (s)", b["plain_all_ssh"], b["onestack_all_ssh"],
            b["ratio_all_ssh"])
        row(f"{n} at once: all ACTIVE (s)", "–", b["onestack_all_active"], "–")
    for key, label in (("overhead_idle", "beside the guests, no guest"),
                       ("overhead_burst", "beside the guests, burst's guests running")):
        if key in result:
            o = result[key]
            row(f"{label}: RSS / USS (MiB), CPU (% of a core), processes", "0",
                f"{o['rss_mib']} / {o['uss_mib']}, {o['cpu_percent']} %, {o['processes']}", "–")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--burst", type=int, default=10, help="guests at once (0: none)")
    parser.add_argument("--flavor", default="m1.nano")
    parser.add_argument("--cloud", choices=("up", "agents"), default="up",
                        help="up: onestack up --driver qemu (one process); agents: onestack "
                             "up plus separate compute and network agent processes")
    parser.add_argument("--image", default=str(DEFAULT_IMAGE))
    parser.add_argument("--reuse-addresses", action="store_true",
                        help="let IPAM pick the ports' addresses (a guest on a deleted "
                             "port's address gets no DHCP lease today)")
    parser.add_argument("--timeout", type=float, default=300.0, help="per boot (s)")
    parser.add_argument("--window", type=float, default=10.0,
                        help="seconds over which the processes' CPU is measured")
    parser.add_argument("--out", help="results directory (default benchmarks/results/"
                                      "boot_to_ssh-<time>)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # finally-blocks clean up
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M")
    out = Path(args.out or REPO / "benchmarks" / "results" / f"boot_to_ssh-{stamp}")
    with tempfile.TemporaryDirectory(prefix="boot-bench-") as tmp:
        result = run(args, Path(tmp))
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(result, indent=1) + "\n")
    text = table(result)
    print("\n" + text)
    (out / "README.md").write_text(
        f"# boot_to_ssh {result['started']} (commit {result['commit']})\n\n"
        f"{result['cpus']} CPUs, accelerator {result['accel']} ({result['cpu_model']}), "
        f"flavor {result['flavor_name']} {result.get('flavor')}, image {result['image']}.\n\n"
        f"{text}\n")
    print(f"\nwritten to {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
