"""The one in-process cache class: a thread-safe LRU bounded by the bytes it holds.

Every cache of the process (API responses, rendered maps, prepared region sets, front lines)
is a :class:`Cache` with a name, a byte bound from the settings and one invalidation rule
carried in its keys — the data version or a content hash — so that stale entries are never
served, only aged out. `stats()` reports them all (the API shows it on `/healthz`).
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import shapely

V = TypeVar("V")

_REGISTRY: dict[str, Cache] = {}


def default_sizeof(value: Any) -> int:
    """Bytes of a bytes/str value, else an entry's own `size`, else `sys.getsizeof`."""
    if isinstance(value, bytes | bytearray | str):
        return sys.getsizeof(value)
    size = getattr(value, "size", None)
    return size if isinstance(size, int) else sys.getsizeof(value)


def geometry_bytes(geoms: Any) -> int:
    """Rough resident bytes of shapely geometries once prepared and used: ~96 bytes a
    coordinate (measured: a prepared set of 43 regions, 195k coordinates, after intersections
    held 17.6 MB more; the coordinates alone are 16 bytes each)."""
    return int(shapely.get_num_coordinates(geoms).sum()) * 96 + 256


class Cache(Generic[V]):
    """LRU of at most `max_bytes` bytes (sizes from `sizeof`). A value larger than
    `largest` × the bound is computed but not kept, so one huge result cannot flush everything
    else. `register=True` lists it in `stats()` under `name` (one per name: the latest wins)."""

    def __init__(self, name: str, max_bytes: int, sizeof: Callable[[V], int] = default_sizeof,
                 register: bool = True, largest: float = 0.25):
        self.name, self.max_bytes, self.sizeof = name, int(max_bytes), sizeof
        self.largest = largest
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = self.evictions = 0
        if register:
            _REGISTRY[name] = self

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        """Whether `key` is held: a peek, counted neither as a hit nor a miss."""
        return key in self._items

    @property
    def bytes(self) -> int:
        return self._bytes

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: V) -> None:
        size = self.sizeof(value)
        if size > self.max_bytes * self.largest:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            self._shrink()

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The cached value, or `make()` (run outside the lock: two threads missing the same
        key may both compute it; the result is the same)."""
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def resize(self, max_bytes: int) -> None:
        with self._lock:
            self.max_bytes = int(max_bytes)
            self._shrink()

    def clear(self) -> None:
        """Drop every entry and restart the hit/miss/eviction counts."""
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self.hits = self.misses = self.evictions = 0

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._items), "bytes": self._bytes,
                "max_bytes": self.max_bytes, "hits": self.hits, "misses": self.misses,
                "evictions": self.evictions}

    def _shrink(self) -> None:
        while self._bytes > self.max_bytes and self._items:
            _, (_, size) = self._items.popitem(last=False)
            self._bytes -= size
            self.evictions += 1


def stats(*others: Cache) -> dict[str, dict[str, int | str]]:
    """Entries, bytes and bound of every registered cache (and of `others`), by name, with
    the setting that bounds it (`setting`: FRONTWATCH_<NAME>_CACHE_MB, settings.CACHES)."""
    from frontwatch.settings import CACHES

    caches = {**{cache.name: cache for cache in others}, **_REGISTRY}
    return {name: {**cache.stats(), **({"setting": CACHES[name][0]} if name in CACHES else {})}
            for name, cache in sorted(caches.items())}


def configure(bounds: dict[str, int]) -> None:
    """Apply byte bounds by cache name (Settings.cache_bounds()), evicting what no longer
    fits. Names not registered yet are ignored (their modules read the settings on import)."""
    for name, max_bytes in bounds.items():
        if name in _REGISTRY:
            _REGISTRY[name].resize(max_bytes)
