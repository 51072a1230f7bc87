"""A bounded LRU whose entries belong to one *generation* of the data they were computed
from. The generation is a counter in the database that every relevant write bumps, so a
replica's cache never serves anything older than the database: the first read after a
write anywhere sees a new generation and starts empty."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class GenerationCache:
    def __init__(self, size: int = 20000):
        self.size = size
        self.generation = -1
        self.items: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, generation: int, key: Any) -> Any:
        with self.lock:
            if generation != self.generation:
                self.items.clear()
                self.generation = generation
                return None
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, generation: int, key: Any, value: Any) -> None:
        with self.lock:
            if generation != self.generation:
                return
            self.items[key] = value
            if len(self.items) > self.size:
                self.items.popitem(last=False)
