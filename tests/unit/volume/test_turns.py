"""The Block Storage API's turns: at most ``count`` handlers run at once, the others wait
their turn and then run; a stream route keeps its own pace."""
from __future__ import annotations

import threading
import time

from onestack.core.http import Call, Reply, Route
from onestack.volume.api.turns import SERVER_TURNS, SQLITE_TURNS, Turns, turns_for


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = self.most = self.done = 0

    def handler(self, call: Call) -> Reply:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
            self.done += 1
        return Reply(200, {"ok": True})


def test_no_more_handlers_than_turns_run_at_once() -> None:
    rec = Recorder()
    route = Turns(2).route(Route("GET", "/x", rec.handler))
    threads = [threading.Thread(target=route.handler, args=(None,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert rec.done == 8 and rec.most == 2


def test_a_failing_handler_gives_its_turn_back() -> None:
    def boom(call: Call) -> Reply:
        raise ValueError("boom")
    turns = Turns(1)
    failing = turns.route(Route("POST", "/x", boom))
    for _ in range(3):
        try:
            failing.handler(None)  # type: ignore[arg-type]
        except ValueError:
            pass
    rec = Recorder()
    turns.route(Route("GET", "/y", rec.handler)).handler(None)  # type: ignore[arg-type]
    assert rec.done == 1


def test_a_stream_route_is_left_as_it_is() -> None:
    rec = Recorder()
    route = Route("PUT", "/file", rec.handler, stream=True)
    assert Turns(1).route(route) is route


def test_sqlite_gets_fewer_turns_than_a_database_server() -> None:
    class Platform:
        def __init__(self, sqlite: bool):
            self.db = type("Db", (), {"is_sqlite": sqlite})()
    assert turns_for(Platform(True)).count == SQLITE_TURNS < SERVER_TURNS
    assert turns_for(Platform(False)).count == SERVER_TURNS
