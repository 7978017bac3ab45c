"""The local stack's data across restarts: moto's state saved under ``var/state/`` and loaded
again when the next stack starts. Runs in the moto server's process (``devstack.motoserver``).

What is kept, and how:

* **DynamoDB**: every table as moto holds it (schema, indexes, items, TTL settings, the stream's
  label), and of each table's stream only the records its stream runner has not finished
  with. A runner reports its checkpoint to moto after every batch
  (``POST /_devstack/stream-checkpoints``, see ``devstack.atomic_moto``), so the checkpoints
  are saved in the same instant as the tables. A restored shard starts at the first record
  after the checkpoint and keeps its shard id, its records' sequence numbers and event IDs:
  the next stack's runner reads from its TRIM_HORIZON, so it gets exactly the records that
  were not handled before (none already handled is delivered again as new), and the records
  written after the restore continue the sequence, never reusing a number. A record whose
  effects were saved but whose checkpoint was not (the save fell between the two) is
  delivered again with the same event ID, which the handlers are built for (Lambda delivers
  at least once: the roll-ups keep a marker per event ID, an unlock applies a revision once).
* **S3**: every bucket and object with its metadata; the bytes of each object in
  ``objects/<etag>-<size>``, written once per content (a snapshot does not rewrite photos).
* **SQS**: every queue and its messages, all visible again after a restore (the runner that
  had received one is gone; the upload checker's and the webhook deliverer's handling is
  idempotent).
* **KMS**: every key with its aliases and key material (a private key as PKCS#8 PEM), so a
  webhook secret sealed before a restart opens after it.
* Not kept: SES's record of sent mail (``var/outbox/`` keeps every message) and DynamoDB
  Streams' shard iterators (a restarted runner asks for new ones).

A snapshot is taken every ``interval`` seconds if anything changed, and at shutdown. It is
taken while no request that changes state runs (``LocalState.lock`` held exclusively), so
every table, object and checkpoint in it is of the same instant; the lock is held only while
the server forks, and the child (a copy-on-write image of that instant) pickles and writes it
while the server goes on serving. It is written to a temporary file, fsynced and renamed over
``state.pickle``, so a crash leaves the previous snapshot whole. An unclean stop (SIGKILL of both processes, a
crash of the machine) therefore loses at most the changes of the last ``interval`` seconds;
a SIGKILL of the stack alone loses nothing, because moto gets SIGTERM when its parent dies and
saves then.

The file is a pickle of moto's own objects: local development data, read only by the
process that wrote it or the next one, never shared. A snapshot written by another moto
version is refused with a message (``make run FRESH=1`` starts empty) rather than half-read.
"""

from __future__ import annotations

import contextlib
import copy
import copyreg
import datetime as dt
import fcntl
import io
import logging
import os
import pickle
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, NoReturn, cast

from devstack.atomic_moto import LocalState

log = logging.getLogger("devstack.persist")

FORMAT = 1
STATE_FILE = "state.pickle"
BLOB_DIR = "objects"
DEFAULT_INTERVAL_SECONDS = 2.0
EMPTY_BLOB = "empty-0"
#: A save that held requests this long, or took this long in all, is logged (others at DEBUG).
SLOW_HOLD_MS = 100.0
SLOW_SAVE_MS = 2000.0
#: How long a starting stack waits for the previous one to finish saving the same directory.
LOCK_WAIT_SECONDS = 30.0

#: Exit codes of the moto process that the stack turns into a one-line message.
EXIT_STATE_BUSY = 3
EXIT_STATE_UNREADABLE = 4


class StateError(RuntimeError):
    """The saved state cannot be used; the message says what to do."""

    exit_code = EXIT_STATE_UNREADABLE


class StateBusy(StateError):
    exit_code = EXIT_STATE_BUSY


@dataclass
class Contents:
    """What a snapshot holds, for the banner and the tests."""

    saved_at: str
    tables: int
    items: int
    objects: int
    messages: int


# ---------------------------------------------------------------------------------------------
# The directory: one stack at a time, FRESH=1
# ---------------------------------------------------------------------------------------------


def lock_path(state_dir: Path) -> Path:
    return state_dir.parent / f".{state_dir.name}.lock"


def previous_dir(state_dir: Path) -> Path:
    """Where ``--fresh`` puts the state it replaces (one generation is kept)."""
    return state_dir.parent / f"{state_dir.name}.previous"


def lock_state_dir(state_dir: Path, wait: float = LOCK_WAIT_SECONDS) -> IO[str]:
    """An exclusive lock on ``state_dir`` for this process's life (the returned file holds it).

    A stack that was just stopped may still be saving: wait for it up to ``wait`` seconds.
    """
    state_dir.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path(state_dir), "a+")  # held open (and locked) for the process's life
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                raise StateBusy(
                    f"{state_dir} is in use by another local stack (moto pid {holder}); stop it first, "
                    "or give this one a directory of its own with DEVSTACK_STATE_DIR"
                ) from None
            time.sleep(0.1)
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def holder(state_dir: Path) -> str | None:
    """The pid of the moto process that holds ``state_dir`` now, or None if it is free."""
    try:
        with open(lock_path(state_dir)) as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return handle.read().strip() or "?"
            fcntl.flock(handle, fcntl.LOCK_UN)
            return None
    except FileNotFoundError:
        return None


def set_aside(state_dir: Path) -> Path | None:
    """Move the saved state out of the way (``make run FRESH=1``); returns where it went."""
    if not state_dir.exists() or not any(state_dir.iterdir()):
        return None
    target = previous_dir(state_dir)
    shutil.rmtree(target, ignore_errors=True)
    state_dir.rename(target)
    return target


# ---------------------------------------------------------------------------------------------
# Pickling moto's objects
# ---------------------------------------------------------------------------------------------


def _limited_size_dict(values: dict[str, Any]) -> Any:
    """moto's LimitedSizeDict, filled without re-measuring the item once per attribute."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    out = LimitedSizeDict()
    dict.update(out, values)
    return out


def _versioned_key_store(lists: list[tuple[str, list[Any]]]) -> Any:
    """moto's S3 key store with every version of every key (its own pickling keeps the last)."""
    from moto.s3.utils import _VersionedKeyStore

    out = _VersionedKeyStore()
    for name, versions in lists:
        dict.__setitem__(out, name, versions)
    return out


def _stream_shard(state: dict[str, Any], records: list[dict[str, Any]]) -> Any:
    from moto.dynamodb.models.table import StreamRecord, StreamShard

    shard = object.__new__(StreamShard)
    shard.__dict__.update(state)
    shard.items = []
    for record in records:
        item = object.__new__(StreamRecord)
        item.record = record
        shard.items.append(item)
    return shard


def _kms_private_key(cls: type[Any], state: dict[str, Any], pem: bytes) -> Any:
    """A KMS key's private key (moto makes one for every key, symmetric ones included): its
    wrapper as moto built it, the key itself loaded from PKCS#8 PEM."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    wrapper = object.__new__(cls)
    wrapper.__dict__.update(state)
    wrapper.private_key = load_pem_private_key(pem, password=None)
    return wrapper


def _kms_private_key_pem(wrapper: Any) -> tuple[Any, ...]:
    from cryptography.hazmat.primitives import serialization

    pem = wrapper.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    state = {k: v for k, v in wrapper.__dict__.items() if k != "private_key"}
    return (_kms_private_key, (type(wrapper), state, pem))


def _sqs_queue(state: dict[str, Any]) -> Any:
    from moto.sqs.models import Queue

    queue: Any = object.__new__(cast(type[Any], Queue))  # moto's Queue is abstract to mypy (CloudFormationModel)
    queue.__dict__.update(state)
    queue._messages_lock = threading.Condition()
    for message in queue._messages:
        message.visible_at = 0.0  # whoever had received it is gone: deliver it again
    return queue


def _s3_key(state: dict[str, Any], blob: str) -> Any:
    """Replaced by ``_Unpickler`` with a loader that reads the blob; never called itself."""
    raise StateError("an S3 object can only be loaded by devstack.persist's unpickler")


def _sequence(record: Any) -> int:
    return int(record.record["dynamodb"]["SequenceNumber"])


def _blob_name(key: Any) -> str:
    return f"{key.etag.strip(chr(34))}-{key.contentsize or 0}"


class _Pickler(pickle.Pickler):
    """moto's state as it is, except: a stream shard without the records already handled, an
    S3 object without its bytes (they go to a blob file), a queue without its lock, and
    containers rebuilt the cheap way on load."""

    def __init__(self, file: IO[bytes], checkpoints: dict[str, dict[str, str]], known_blobs: set[str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        from moto.dynamodb.models.dynamo_type import LimitedSizeDict
        from moto.dynamodb.models.table import StreamShard
        from moto.s3.models import FakeKey
        from moto.s3.utils import _VersionedKeyStore
        from moto.sqs.models import Queue

        self.checkpoints = checkpoints
        self.known_blobs = known_blobs
        self.new_blobs: dict[str, bytes] = {}
        self.blobs: set[str] = set()
        table: dict[type, Callable[[Any], Any]] = {}
        table.update(copyreg.dispatch_table)
        table[LimitedSizeDict] = lambda d: (_limited_size_dict, (dict(d),))
        table[_VersionedKeyStore] = lambda s: (_versioned_key_store, ([(k, list(v)) for k, v in dict.items(s)],))
        table[StreamShard] = self._shard
        table[FakeKey] = self._key
        table[Queue] = self._queue
        from moto.kms.utils import AbstractPrivateKey

        for wrapper in AbstractPrivateKey.__subclasses__():  # a KMS key's RSA or EC key, not picklable as is
            table[wrapper] = _kms_private_key_pem
        self.dispatch_table = table

    def _shard(self, shard: Any) -> tuple[Any, ...]:
        done = self.checkpoints.get(shard.table.name, {}).get(shard.id)
        records = shard.items
        if done is not None:
            records = [r for r in records if _sequence(r) > int(done)]
        start = _sequence(records[0]) if records else shard.starting_sequence_number + len(shard.items)
        if done is not None and not records:
            start = max(start, int(done) + 1)
        state = {k: v for k, v in shard.__dict__.items() if k != "items"}
        state["starting_sequence_number"] = start
        return (_stream_shard, (state, [r.record for r in records]))

    def _key(self, key: Any) -> tuple[Any, ...]:
        state = {k: v for k, v in key.__dict__.items() if k not in ("_value_buffer", "lock")}
        try:
            blob = _blob_name(key)
            if blob not in self.known_blobs and blob not in self.new_blobs:
                self.new_blobs[blob] = key.value
        except ValueError:  # a deleted version's buffer is closed: nothing to keep
            blob = EMPTY_BLOB
            self.new_blobs.setdefault(blob, b"")
        self.blobs.add(blob)
        return (_s3_key, (state, blob))

    def _queue(self, queue: Any) -> tuple[Any, ...]:
        # An SQS long poll runs beside a snapshot (it would hold it up for its whole wait), so
        # the queue's changing parts are copied rather than read in place.
        state = {k: v for k, v in queue.__dict__.items() if k != "_messages_lock"}
        state["_messages"] = [copy.copy(m) for m in list(queue._messages)]
        state["pending_messages"] = set()
        state["deleted_messages"] = set()
        return (_sqs_queue, (state,))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], blob_dir: Path) -> None:
        super().__init__(file)
        self.blob_dir = blob_dir

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == "_s3_key":
            return self._load_key
        return super().find_class(module, name)

    def _load_key(self, state: dict[str, Any], blob: str) -> Any:
        from moto.s3.models import FakeKey

        key: Any = object.__new__(FakeKey)  # its bytes are set below, as moto's setter does
        key.__dict__.update(state)
        key._value_buffer = tempfile.SpooledTemporaryFile(max_size=key._max_buffer_size)
        key.lock = threading.Lock()
        try:
            data = (self.blob_dir / blob).read_bytes()
        except FileNotFoundError:
            raise StateError(f"the saved object {state.get('name')!r} has lost its bytes ({blob})") from None
        key.value = data
        return key


# ---------------------------------------------------------------------------------------------
# Which of moto's backends hold what
# ---------------------------------------------------------------------------------------------


def _backends(backend_dict: Any) -> Iterator[tuple[str, str, Any]]:
    for account, regional in list(dict.items(backend_dict)):
        for region, backend in list(dict.items(regional)):
            yield account, region, backend


def _count_items(tables: dict[str, Any]) -> int:
    total = 0
    for table in tables.values():
        if table.range_key_attr is None:
            total += len(table.items)
        else:
            total += sum(len(by_range) for by_range in table.items.values())
    return total


def _contents(payload: dict[str, Any]) -> Contents:
    tables = [t for per_region in payload["dynamodb"].values() for t in per_region.values()]
    buckets = [b for per_partition in payload["s3"].values() for b in per_partition.values()]
    queues = [q for per_region in payload["sqs"].values() for q in per_region.values()]
    return Contents(
        saved_at=payload["saved_at"],
        tables=len(tables),
        items=sum(_count_items({t.name: t}) for t in tables),
        objects=sum(len(dict(b.keys)) for b in buckets),
        messages=sum(len(q._messages) for q in queues),
    )


def _capture(state: LocalState) -> dict[str, Any]:
    """moto's state as one dict (call with ``state.lock`` held exclusively)."""
    import moto
    from moto.dynamodb.models import dynamodb_backends
    from moto.kms.models import kms_backends
    from moto.s3.models import s3_backends
    from moto.sqs.models import sqs_backends

    return {
        "format": FORMAT,
        "moto": moto.__version__,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "checkpoints": {table: dict(shards) for table, shards in state.checkpoints.items()},
        "dynamodb": {(a, r): dict(b.tables) for a, r, b in _backends(dynamodb_backends) if b.tables},
        "s3": {(a, p): dict(b.buckets) for a, p, b in _backends(s3_backends) if b.buckets},
        "sqs": {(a, r): dict(b.queues) for a, r, b in _backends(sqs_backends) if b.queues},
        "kms": {(a, r): dict(b.keys) for a, r, b in _backends(kms_backends) if b.keys},
    }


def _install(payload: dict[str, Any], state: LocalState) -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.kms.models import kms_backends
    from moto.s3.models import s3_backends
    from moto.sqs.models import sqs_backends

    for (account, region), tables in payload["dynamodb"].items():
        dynamodb_backends[account][region].tables.update(tables)
    for (account, partition), buckets in payload["s3"].items():
        s3_backends[account][partition].buckets.update(buckets)
        for name in buckets:
            s3_backends.bucket_accounts[name] = (partition, account)
    for (account, region), queues in payload["sqs"].items():
        sqs_backends[account][region].queues.update(queues)
    for (account, region), keys in payload.get("kms", {}).items():  # saved before KMS was kept: none
        kms_backends[account][region].keys.update(keys)
    state.checkpoints.update(payload["checkpoints"])


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Snapshotter:
    """Restores ``state_dir`` into moto at start, then saves moto's state into it: every
    ``interval`` seconds when something changed (a thread), on ``save()``, and at ``close()``."""

    def __init__(self, state_dir: Path, state: LocalState, interval: float = DEFAULT_INTERVAL_SECONDS) -> None:
        self.state_dir = state_dir
        self.blob_dir = state_dir / BLOB_DIR
        self.state = state
        self.interval = interval
        self.restored: Contents | None = None
        self.saved: Contents | None = None
        self.saves = 0
        self.last_save_ms: float | None = None
        self._saved_changes = 0
        self._save_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._known_blobs: set[str] = set()

    # -- start ---------------------------------------------------------------------------------

    def restore(self) -> Contents | None:
        """Load the saved state into moto (before it serves); None if there is none."""
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        for leftover in [*self.state_dir.glob(".*.tmp"), *self.blob_dir.glob(".*.tmp")]:
            leftover.unlink()  # a save that was killed half way; the previous snapshot is whole
        self._known_blobs = {p.name for p in self.blob_dir.iterdir()}
        path = self.state_dir / STATE_FILE
        if not path.exists():
            return None
        import moto

        started = time.perf_counter()
        try:
            with open(path, "rb") as fh:
                payload = _Unpickler(fh, self.blob_dir).load()
        except StateError:
            raise
        except Exception as e:
            raise StateError(f"cannot read the saved state {path}: {type(e).__name__}: {e}") from None
        if not isinstance(payload, dict) or payload.get("format") != FORMAT or payload.get("moto") != moto.__version__:
            found = payload.get("moto") if isinstance(payload, dict) else "?"
            raise StateError(
                f"the saved state {path} was written by moto {found} in format "
                f"{payload.get('format') if isinstance(payload, dict) else '?'}; this stack runs moto "
                f"{moto.__version__}, format {FORMAT}"
            )
        _install(payload, self.state)
        self.restored = self.saved = _contents(payload)
        self._saved_changes = self.state.changes
        log.info(
            "restored %s from %s in %.0f ms",
            _describe(self.restored),
            path,
            (time.perf_counter() - started) * 1000,
        )
        return self.restored

    def start(self) -> Snapshotter:
        self._thread = threading.Thread(target=self._run, name="devstack-snapshots", daemon=True)
        self._thread.start()
        return self

    # -- saving --------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.save()
            except Exception:
                log.exception("saving the local state failed; the previous snapshot is kept")

    def save(self) -> bool:
        """Save now if anything changed since the last save; True if a snapshot was written.

        The state is held only while this process forks: the child, a copy-on-write image of
        that instant, pickles and writes it while the server goes on serving (as Redis's
        BGSAVE does). Pickling a few thousand items takes a third of a second or more, which
        requests would otherwise wait for every interval."""
        with self._save_lock:
            if self.state.changes == self._saved_changes:
                return False
            started = time.perf_counter()
            with self.state.lock.exclusive():
                changes = self.state.changes
                payload = _capture(self.state)
                contents = _contents(payload)
                blobs, new_blobs = self._object_bytes(payload)
                pid = os.fork()
                if pid == 0:
                    self._write_snapshot(payload, new_blobs)  # the child: never returns
            held_ms = (time.perf_counter() - started) * 1000
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                log.error("saving the local state failed (see above); the previous snapshot is kept")
                return False
            self._known_blobs |= set(new_blobs)
            for name in self._known_blobs - blobs:  # objects deleted since: their bytes go
                (self.blob_dir / name).unlink(missing_ok=True)
            self._known_blobs &= blobs
            self._saved_changes = changes
            self.saved = contents
            self.saves += 1
            self.last_save_ms = held_ms
            took_ms = (time.perf_counter() - started) * 1000
            # every 2 s while someone works: only a slow save is worth a line in moto.log
            slow = held_ms >= SLOW_HOLD_MS or took_ms >= SLOW_SAVE_MS
            log.log(
                logging.INFO if slow else logging.DEBUG,
                "saved %s to %s in %.0f ms (requests held %.0f ms, %d new object file(s))",
                _describe(contents),
                self.state_dir,
                took_ms,
                held_ms,
                len(new_blobs),
            )
            return True

    def _object_bytes(self, payload: dict[str, Any]) -> tuple[set[str], dict[str, bytes]]:
        """The blob name of every S3 object, and the bytes of those not yet on disk (read
        here, in the server, so that the child never touches a buffer the server also reads)."""
        names: set[str] = set()
        new: dict[str, bytes] = {}
        for buckets in payload["s3"].values():
            for bucket in buckets.values():
                for versions in list(dict.values(bucket.keys)):
                    for key in versions:
                        try:
                            name = _blob_name(key)
                            if name not in self._known_blobs and name not in new:
                                new[name] = key.value
                        except ValueError:  # a deleted version's buffer is closed: nothing to keep
                            name = EMPTY_BLOB
                            new.setdefault(name, b"")
                        names.add(name)
        return names, new

    def _write_snapshot(self, payload: dict[str, Any], new_blobs: dict[str, bytes]) -> NoReturn:
        """In the forked child: pickle the payload, write the new blobs and the state file, exit."""
        code = 1
        try:
            for s in (signal.SIGTERM, signal.SIGINT):  # a signal to the group must not cut it short
                signal.signal(s, signal.SIG_IGN)
            buffer = io.BytesIO()
            pickler = _Pickler(buffer, payload["checkpoints"], self._known_blobs | set(new_blobs))
            pickler.dump(payload)
            for name, data in {**new_blobs, **pickler.new_blobs}.items():
                _write_atomic(self.blob_dir / name, data)
            _write_atomic(self.state_dir / STATE_FILE, buffer.getvalue())
            _fsync_dir(self.state_dir)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)

    def close(self) -> None:
        """Stop the thread and save what changed since the last snapshot."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        self.save()

    def status(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "state_dir": str(self.state_dir),
            "interval_seconds": self.interval,
            "restored": asdict(self.restored) if self.restored else None,
            "saved": asdict(self.saved) if self.saved else None,
            "saves": self.saves,
            "unsaved_changes": self.state.changes != self._saved_changes,
            "last_save_held_ms": self.last_save_ms,
        }


def _describe(contents: Contents) -> str:
    return (
        f"{contents.items} item(s) in {contents.tables} table(s), {contents.objects} object(s), "
        f"{contents.messages} queued message(s) (saved {contents.saved_at})"
    )


@contextlib.contextmanager
def persisted(
    state_dir: Path, state: LocalState, *, fresh: bool = False, interval: float = DEFAULT_INTERVAL_SECONDS
) -> Iterator[Snapshotter]:
    """Lock ``state_dir``, set it aside if ``fresh``, restore it into moto; save it at the end."""
    handle = lock_state_dir(state_dir)
    try:
        if fresh:
            moved = set_aside(state_dir)
            if moved is not None:
                log.info("FRESH: the saved state was moved to %s; starting empty", moved)
        state_dir.mkdir(parents=True, exist_ok=True)
        snapshots = Snapshotter(state_dir, state, interval)
        snapshots.restore()
        state.persistence = snapshots
        try:
            yield snapshots
        finally:
            snapshots.close()
    finally:
        handle.close()


__all__ = [
    "Contents",
    "DEFAULT_INTERVAL_SECONDS",
    "EXIT_STATE_BUSY",
    "EXIT_STATE_UNREADABLE",
    "Snapshotter",
    "StateBusy",
    "StateError",
    "lock_state_dir",
    "persisted",
    "previous_dir",
    "set_aside",
]
