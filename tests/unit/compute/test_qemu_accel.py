"""The accelerator choice of the QEMU driver, without QEMU: one probe however many guests
ask at once."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from onestack.compute.drivers.qemu import accel


def test_guests_spawned_at_once_share_one_probe(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    probes: list[str] = []

    def slow_probe(binary: str, timeout: float) -> None:
        probes.append(binary)
        time.sleep(0.2)  # long enough for every asker to arrive meanwhile
        return None
    monkeypatch.setattr(accel, "kvm_cpu", slow_probe)
    chosen = accel.Accelerator("auto", binary="qemu-x", cache=tmp_path / "accel.json")
    answers: list[str] = []
    askers = [threading.Thread(target=lambda: answers.append(chosen.name)) for _ in range(4)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()
    assert answers == ["tcg"] * 4
    assert probes == ["qemu-x"]
