"""An API process builds a neighbour's seam when it is first asked for, once."""
from __future__ import annotations

import threading
import time

from onestack.core.registry import LazySeams


def test_a_seam_is_built_at_its_first_use_and_only_once() -> None:
    built: list[str] = []

    def make(name: str):  # noqa: ANN202
        def factory() -> str:
            time.sleep(0.05)  # long enough for the threads below to meet
            built.append(name)
            return f"{name}-seam"
        return factory

    seams = LazySeams({"network": make("network"), "volume": make("volume")})
    assert built == [] and "network" in seams and "image" not in seams and len(seams) == 2
    assert seams.get("image") is None and seams.get("image", 1) == 1
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(seams["network"])) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == ["network-seam"] * 4 and built == ["network"]
    assert dict(seams.items()) == {"network": "network-seam", "volume": "volume-seam"}
    assert built == ["network", "volume"] and bool(seams)


def test_a_seam_may_ask_for_another_while_it_is_built() -> None:
    seams: LazySeams
    seams = LazySeams({"image": lambda: "image-seam",
                       "volume": lambda: ("volume over", seams.get("image"))})
    assert seams["volume"] == ("volume over", "image-seam")
