"""Workloads that run on across an agent's ``kill -9`` and restart, and what they saw:
a ping from the host side every 0.2 s, and a shell loop inside the guest (optionally
writing each pass's number to a disk)."""
from __future__ import annotations

import math
import re
import signal
import subprocess
from dataclasses import dataclass, field

from tests.dataplane.cloud import Guest
from tests.dataplane.cloud_api import wait_until

REPLY = re.compile(r"icmp_seq=(\d+) .*time=([\d.]+) ms")
WAIT = 2  # seconds ping waits for an answer (-W)


@dataclass
class PingResult:
    sent: int
    in_flight: int  # the last requests, sent less than WAIT seconds before the stop
    answered: set[int] = field(default_factory=set)
    duplicates: int = 0
    slowest: float = 0.0  # the longest round trip, milliseconds

    @property
    def lost(self) -> list[int]:
        """Requests with no answer (those still on their way when the ping stopped are
        not counted; an outage that lasts to the end is)."""
        return [seq for seq in range(1, self.sent - self.in_flight + 1)
                if seq not in self.answered]

    def __str__(self) -> str:
        return (f"{self.sent} sent, {len(self.answered)} answered, {len(self.lost)} lost, "
                f"{self.duplicates} duplicated, the slowest answer {self.slowest:.0f} ms")


class Pinger:
    """``ping`` every ``interval`` seconds from a namespace until ``stop``."""

    def __init__(self, netns: str, address: str, interval: float = 0.2):
        self.in_flight = math.ceil(WAIT / interval)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", netns, "ping", "-n", "-i", str(interval), "-W",
             str(WAIT), address], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)

    def stop(self) -> PingResult:
        self.proc.send_signal(signal.SIGINT)
        try:
            out, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        sent = re.search(r"(\d+) packets transmitted", out)
        result = PingResult(int(sent.group(1)) if sent else 0, self.in_flight)
        for line in out.splitlines():
            found = REPLY.search(line)
            if found is None:
                continue
            if "DUP!" in line:
                result.duplicates += 1
            else:
                result.answered.add(int(found.group(1)))
                result.slowest = max(result.slowest, float(found.group(2)))
        return result


class GuestLoop:
    """A shell loop running in the guest on its own (started over SSH, then detached):
    each pass runs ``body`` (``$i`` is the pass's number, from 1), appends ``$i`` and the
    guest's uptime to ``/run/<name>.log`` and sleeps ``interval``; a failed ``body`` is
    noted in ``/run/<name>.failed``."""

    def __init__(self, guest: Guest, name: str, body: str = "true", interval: float = 0.2):
        self.guest, self.name = guest, name
        run = f"/run/{name}"
        script = (f"i=0\nwhile [ ! -e {run}.stop ]; do\n  i=$((i+1))\n"
                  f"  {{ {body} ; }} || echo $i >> {run}.failed\n"
                  f"  echo \"$i $(cut -d' ' -f1 /proc/uptime)\" >> {run}.log\n"
                  f"  sleep {interval}\ndone\necho $i > {run}.done\n")
        guest.run(f"rm -f {run}.*; cat > {run}.sh <<'EOF'\n{script}EOF\n"
                  f"setsid sh {run}.sh </dev/null >/dev/null 2>&1 &")
        wait_until(f"the guest's {name} loop", lambda: self.passes() >= 1, 30)

    def log(self) -> list[tuple[int, float]]:
        """(pass, guest uptime) of every pass so far."""
        done = self.guest.ssh(f"cat /run/{self.name}.log", timeout=30)
        rows = []
        for line in done.stdout.splitlines():
            parts = line.split()
            if len(parts) == 2:
                rows.append((int(parts[0]), float(parts[1])))
        return rows

    def passes(self) -> int:
        rows = self.log()
        return rows[-1][0] if rows else 0

    def stop(self) -> tuple[int, list[tuple[int, float]], str]:
        """Stops the loop: (its last pass, its log, the passes whose body failed)."""
        self.guest.run(f"touch /run/{self.name}.stop")
        last = int(wait_until(f"the guest's {self.name} loop to end", lambda: self.guest.ssh(
            f"cat /run/{self.name}.done", timeout=30).stdout.strip(), 30))
        failed = self.guest.ssh(f"cat /run/{self.name}.failed 2>/dev/null",
                                timeout=30).stdout.split()
        return last, self.log(), " ".join(failed)


def largest_gap(log: list[tuple[int, float]]) -> float:
    """The longest guest time between two passes of a loop."""
    return max((b[1] - a[1] for a, b in zip(log, log[1:])), default=0.0)
