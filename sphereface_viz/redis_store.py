"""The run store in Redis ($SPHEREFACE_VIZ_STORE=redis://[:password@]host:port/db): the folder store's entries,
claims, follows and channels (sphereface_viz.store), shared by app processes on one machine or several.

Per key, under the prefix `svz:`:
- `run:<key>`, a hash {data, step, version}: `data` is the folder store's entry file, byte for byte (plain arrays,
  read by the same bounded reader); a put is one script, so the longer run wins as under the folder's lock;
- `claim:<key>`, who trains the key: a lock with expiry, taken, kept and released by compare-and-set scripts, free
  again PATIENCE seconds after its holder last touched it (a killed process holds nothing for long);
- `want:<key>`, that a session followed the key within PATIENCE seconds;
- `used` (a sorted set: key → when last used) and `bytes` (a hash: key → size): past `max_bytes` the least recently
  used entries go, as the folder store's do;
- `channel:<name>`, a Stream of a presented run's live frames, capped at a few entries: a reader that missed some
  takes the latest.

Keys derive from settings hashes and secrets (store.run_key, present.store_key, relay.channel): nothing a browser
sends names one. Any error of Redis's (it stopped, the network went) is raised as store.StoreDown, an OSError: a
player trains on and writes its run again once Redis answers (sphereface_viz.player).
"""
from __future__ import annotations

import secrets
import time

import redis

from . import store
from .store import Entry, Store, StoreDown, channel_message, read_channel_message

PREFIX = "svz:"
KEPT = 4                 # a channel's latest messages kept
TIMEOUT = 2.0            # seconds a command may take before Redis counts as gone (a wait for news takes longer)

# Put unless the store has as much of the run already (ARGV[4] == "1": whatever it has): one step, so two writers
# of a key never interleave.
_PUT = """
local old = tonumber(redis.call('HGET', KEYS[1], 'step') or '-1')
if ARGV[4] ~= '1' and old >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'step', ARGV[1], 'version', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6])
redis.call('HSET', KEYS[3], ARGV[6], string.len(ARGV[2]))
return 1
"""
# Take or keep a claim: free, or held by the asker.
_CLAIM = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisStore(Store):
    def __init__(self, url: str, max_bytes: int):
        super().__init__()
        self.max_bytes, self.url = int(max_bytes), url
        self.redis = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        self._put, self._claim, self._release = (self.redis.register_script(s) for s in (_PUT, _CLAIM, _RELEASE))

    def __repr__(self) -> str:
        return f"RedisStore({self.redis.connection_pool.connection_kwargs.get('host')!r})"  # never the password

    def _call(self, command, *args, **kwargs):
        try:
            return command(*args, **kwargs)
        except redis.ResponseError as err:
            if "WRONGTYPE" in str(err):  # a key holds a value of another kind: refused as a bad entry is
                raise ValueError(f"Redis refused: {err}") from err
            raise StoreDown(f"Redis refused ({err})") from err  # out of memory, read-only, ...: as if gone
        except redis.RedisError as err:  # its text names Redis's address: a page is told only what failed
            raise StoreDown(f"Redis does not answer ({type(err).__name__})") from err

    # --- entries ---------------------------------------------------------------------------------
    def get(self, key: str, beyond: int = -1) -> Entry | None:
        """The stored stretch of a run if it goes beyond step `beyond`, else None; one small read unless it is a
        version this process has not parsed. An entry that cannot be read, or larger than the bound, is deleted."""
        name = PREFIX + "run:" + key
        try:
            step, version, size = self._call(self._pipeline, name)
            if step is None:
                self._forget(key)
                return None
            if int(step) <= beyond:
                return None
            if size > store.MAX_ENTRY_BYTES:
                raise ValueError(f"{size:,} bytes")
            entry = self._parsed(key, version, lambda: self._data(name, key, version))
        except StoreDown:
            raise
        except Exception:  # noqa: BLE001 - whatever a damaged value raises, it is dropped and trained again
            self._call(self._drop, key)
            self._forget(key)
            return None
        return entry if entry is not None and entry.step > beyond else None

    def _pipeline(self, name: str):
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(name, "step"), pipe.hget(name, "version"), pipe.hstrlen(name, "data")
            return pipe.execute()

    def _data(self, name: str, key: str, version: bytes) -> bytes | None:
        """The entry's bytes if it is still this version, marked as just used."""
        now, data = self._call(self.redis.hmget, name, "version", "data")
        if now != version or data is None:
            return None
        self._call(self.redis.zadd, PREFIX + "used", {key: time.time()})
        return data

    def _drop(self, key: str) -> None:
        with self.redis.pipeline() as pipe:
            pipe.delete(PREFIX + "run:" + key), pipe.zrem(PREFIX + "used", key), pipe.hdel(PREFIX + "bytes", key)
            pipe.execute()

    def put(self, key: str, step: int, data: bytes, replace: bool = False) -> bool:
        """Store a run up to `step` (store.pack), unless the store already has as much of it (or, `replace`, whatever
        it has)."""
        written = self._call(self._put, keys=[PREFIX + "run:" + key, PREFIX + "used", PREFIX + "bytes"],
                             args=[step, data, secrets.token_hex(8), int(replace), time.time(), key])
        if written:
            self.evict()
        return bool(written)

    def evict(self) -> None:
        """Delete the least recently used entries until the store fits in max_bytes."""
        sizes = {k.decode(): int(v) for k, v in self._call(self.redis.hgetall, PREFIX + "bytes").items()}
        total = sum(sizes.values())
        if total <= self.max_bytes:
            return
        for key in self._call(self.redis.zrange, PREFIX + "used", 0, -1):
            key = key.decode()
            if total <= self.max_bytes:
                break
            self._call(self._drop, key)
            total -= sizes.get(key, 0)

    # --- claims and follows ------------------------------------------------------------------------
    def claim(self, key: str, who: str) -> bool:
        """Take or keep the right to train `key`: True if it is `who`'s now, for PATIENCE seconds more."""
        return bool(self._call(self._claim, keys=[PREFIX + "claim:" + key], args=[who, _ms(store.PATIENCE)]))

    def release(self, key: str, who: str) -> None:
        self._call(self._release, keys=[PREFIX + "claim:" + key], args=[who])

    def want(self, key: str) -> None:
        """Say that a session is following `key`."""
        self._call(self.redis.set, PREFIX + "want:" + key, b"1", px=_ms(store.PATIENCE))

    def wanted(self, key: str) -> bool:
        """Someone followed `key` within PATIENCE seconds."""
        return bool(self._call(self.redis.exists, PREFIX + "want:" + key))

    # --- channels --------------------------------------------------------------------------------
    def announce(self, channel: str, message: bytes, meta: dict) -> None:
        """Add the channel's next message, with `meta` beside it; a channel nobody announced on for CHANNEL_FOR
        seconds expires."""
        name = PREFIX + "channel:" + channel
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.xadd(name, {"m": channel_message(message, meta)}, maxlen=KEPT, approximate=False)
            pipe.pexpire(name, _ms(store.CHANNEL_FOR))
            self._call(pipe.execute)

    def heard(self, channel: str, after: str | None, timeout: float) -> tuple[str, bytes, dict] | None:
        """The channel's latest message if newer than `after` (an id this returned before; None: any), as (id,
        message, meta), waiting up to `timeout` seconds for one; None if none came. A message that cannot be read is
        skipped."""
        name = PREFIX + "channel:" + channel
        wait = min(timeout, TIMEOUT / 2)  # the socket's own timeout must outlast the wait
        read = self._call(self.redis.xread, {name: after or "0-0"}, count=KEPT, block=_ms(wait))
        for id, fields in reversed(read[0][1] if read else []):  # newest first
            try:
                message, meta = read_channel_message(fields[b"m"])
            except (KeyError, ValueError):
                continue
            return id.decode(), message, meta
        return None


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
