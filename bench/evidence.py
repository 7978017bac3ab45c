"""Evidence benchmarks: photo check speed and memory, and the cost of a duplicate lookup.

* `photo_check_ratio`: median time to fully process a generated 12-megapixel JPEG once its
  bytes are in memory (read the attachment, sniff, polyglot scan, EXIF, orientation, draft
  decode, thumbnail, both pHashes, the duplicate lookup's 6 Queries, the exact Hamming check,
  the flags, and the verdict's transaction with its index entries) ÷ median time for Pillow to
  fully decode the same file, alternately in one process (target ≤ 0.6). The DynamoDB calls
  are made for real by PynamoDB/botocore (built, signed, parsed) but answered with responses
  recorded from moto, so neither network latency nor moto's emulation is counted.
  Reported too (info): the check without any DynamoDB call, and with moto answering live.
* `photo_check_peak_mb`: the peak resident memory the check adds (fresh process each, ru_maxrss
  after − RSS before), next to the same figure for a full decode.
* `duplicate_lookup_items_read`: DynamoDB items read per lookup with 100,000 photos indexed
  (target ≤ 50), and `duplicate_lookup_items_read_10k` at 10,000: the cost must stay flat.

Each part runs in a worker process with its own in-process moto (mock_aws). The index is
seeded through moto's backend directly (600,000 entries through HTTP would take many minutes)
and read back through the app's own repository (PynamoDB Queries), counting the items each
lookup read (bench._common.ReadCounter, the one definition every benchmark uses). moto answers a Query by walking the whole table; the worker makes it look up the
partition directly instead, which changes its speed, not its answer.

    python -m bench.evidence [--quick] [--out PATH]     (merges into bench/results.json)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict
from unittest import mock

from bench._common import (
    READS,
    Hook,
    app_env,
    clean_env,
    count_reads,
    log,
    on_every_dynamodb_client,
    publish,
    rss_mb,
    run_worker,
)

if TYPE_CHECKING:
    from botocore.awsrequest import AWSPreparedRequest, AWSResponse
    from botocore.model import OperationModel
    from moto.core.models import MockAWS
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    from chalicelib.domain.evidence import Attachment, Candidate


class Size(TypedDict):
    photos: list[int]  # photos indexed for the lookups: the smaller size, then the larger
    lookups: int  # duplicate lookups at each size
    reps: int  # timed checks and decodes


SIZES: dict[bool, Size] = {
    False: {"photos": [10_000, 100_000], "lookups": 200, "reps": 9},
    True: {"photos": [1_000, 5_000], "lookups": 50, "reps": 3},
}
TARGETS = {"photo_check_ratio": 0.6, "duplicate_lookup_items_read": 50}
TENANT = "BENCH"


def measure(quick: bool = False) -> dict[str, Any]:
    size = SIZES[bool(quick)]
    env = clean_env(**app_env("http://127.0.0.1:1", stage="bench-evidence"))
    env.pop("AWS_ENDPOINT_URL")  # mock_aws intercepts in-process
    import tempfile

    # the photo is made once, here: making it takes far more memory than checking it
    fd, photo = tempfile.mkstemp(prefix="huixiang-bench-", suffix=".jpg")
    os.close(fd)
    try:
        Path(photo).write_bytes(_photo())
        speed = run_worker(
            "bench.evidence", ["--part", "speed", "--reps", str(size["reps"]), "--photo", photo], 900, env
        )
        peak_check = run_worker("bench.evidence", ["--part", "peak-check", "--photo", photo], 300, env)
        peak_decode = run_worker("bench.evidence", ["--part", "peak-decode", "--photo", photo], 300, env)
    finally:
        os.unlink(photo)
    lookups: dict[int, dict[str, Any]] = {}
    for n in size["photos"]:
        lookups[n] = run_worker(
            "bench.evidence", ["--part", "lookup", "--photos", str(n), "--lookups", str(size["lookups"])], 1800, env
        )
    small, large = size["photos"]
    return {
        "photo_check_ratio": round(speed["full_check_ms"] / speed["full_check_decode_ms"], 3),
        "photo_check_compute_ratio": round(speed["check_ms"] / speed["decode_ms"], 3),
        "photo_check_peak_mb": peak_check["peak_mb"],
        # (info) the same check with its DynamoDB calls answered live by in-process moto, whose
        # Python emulation costs more CPU than the check itself
        "photo_check_with_moto_index_ratio": round(speed["check_with_moto_index_ms"] / speed["decode_ms"], 3),
        "duplicate_lookup_items_read": lookups[large]["items_read_mean"],
        "duplicate_lookup_items_read_10k": lookups[small]["items_read_mean"],
        "evidence_detail": {
            "photo": {**speed, "peak_check_mb": peak_check["peak_mb"], "peak_decode_mb": peak_decode["peak_mb"]},
            "lookup": {str(n): r for n, r in lookups.items()},
            "quick": bool(quick),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    }


def table(r: dict[str, Any]) -> str:
    d = r["evidence_detail"]
    small, large = (int(n) for n in d["lookup"])
    rows = [
        ("photo_check_ratio", f"{r['photo_check_ratio']:.3f}", "≤ 0.6", r["photo_check_ratio"] <= 0.6),
        ("  check, median", f"{d['photo']['full_check_ms']:.1f} ms", "", None),
        ("  Pillow full decode, median", f"{d['photo']['full_check_decode_ms']:.1f} ms", "", None),
        ("  (info) without DynamoDB calls, ratio", f"{r['photo_check_compute_ratio']:.3f}", "", None),
        ("  (info) moto answering live, ratio", f"{r['photo_check_with_moto_index_ratio']:.3f}", "", None),
        ("photo_check_peak_mb", f"{r['photo_check_peak_mb']:.1f}", "—", None),
        ("  (info) full decode peak MB", f"{d['photo']['peak_decode_mb']:.1f}", "", None),
        (
            f"duplicate_lookup_items_read @{large}",
            f"{r['duplicate_lookup_items_read']:.1f}",
            "≤ 50",
            r["duplicate_lookup_items_read"] <= 50,
        ),
        (f"  @{small}", f"{r['duplicate_lookup_items_read_10k']:.1f}", "flat", None),
        (f"  max per lookup @{large}", str(d["lookup"][str(large)]["items_read_max"]), "", None),
        ("  queries per lookup", str(d["lookup"][str(large)]["queries_per_lookup"]), "", None),
    ]
    return "\n".join(
        f"{a:<40} {b:>12}  {c:<6} {'' if ok is None else ('ok' if ok else 'FAIL')}" for a, b, c, ok in rows
    )


# -- workers ----------------------------------------------------------------------------------------
def _photo() -> bytes:
    """A 12-MP (4000×3000) JPEG with EXIF time and GPS, like a phone's."""
    from PIL import Image

    from tests import corpus as C

    img = C.scene(2024, (1000, 750)).resize((4000, 3000), Image.Resampling.BICUBIC)
    noise = Image.merge("RGB", [Image.effect_noise((4000, 3000), 64) for _ in range(3)])
    img = Image.blend(img, noise, 0.12)  # sensor-like detail, so the file has a phone's size (~4-5 MB)
    return C.jpeg(img, quality=92, exif=C.exif("2026:11:02 10:30:00", 32.0415, 118.7849))


class Answer(NamedTuple):
    """A DynamoDB response as the wire carried it."""

    status: int
    headers: dict[str, str]
    body: bytes


class Replay:
    """Answers DynamoDB calls with responses recorded from moto, without any service: what is
    left is the client's own work (PynamoDB and botocore building, signing and parsing)."""

    def __init__(self) -> None:
        self.recording: list[tuple[str, Answer]] | None = None  # (operation, its answer)
        self.script: dict[str, list[Answer]] | None = None  # per operation, answered in turn
        self.cursor: dict[str, int] = {}

    def after_call(
        self, http_response: AWSResponse | None = None, model: OperationModel | None = None, **_: Any
    ) -> None:
        """botocore's after-call event: the answer, recorded while `recording` is a list."""
        if self.recording is not None and http_response is not None and model is not None:
            answer = Answer(http_response.status_code, dict(http_response.headers), http_response.content)
            self.recording.append((model.name, answer))

    def before_send(
        self, request: AWSPreparedRequest | None = None, event_name: str = "", **_: Any
    ) -> AWSResponse | None:
        """botocore's before-send event: the recorded answer instead of a request, once `script` is set."""
        if self.script is None or request is None:
            return None
        from botocore.awsrequest import AWSResponse
        from botocore.compat import HTTPHeaders
        from moto.core.botocore_stubber import MockRawResponse

        op = event_name.rsplit(".", 1)[-1]
        answers = self.script[op]
        status, headers, body = answers[self.cursor.get(op, 0) % len(answers)]
        self.cursor[op] = self.cursor.get(op, 0) + 1
        return AWSResponse(request.url, status, HTTPHeaders.from_dict(headers), MockRawResponse(body))


REPLAY = Replay()


def _setup() -> MockAWS:
    from moto import mock_aws

    count_reads()
    on_every_dynamodb_client(
        "replay",
        [
            Hook("before-send.dynamodb", REPLAY.before_send, "bench-replay-answer", first=True),
            Hook("after-call.dynamodb", REPLAY.after_call, "bench-replay-record"),
        ],
    )
    aws = mock_aws()
    aws.start()
    from chalicelib.dal.models import create_tables

    create_tables()
    _fast_partition_queries()
    return aws


def _fast_partition_queries() -> None:
    """moto's Table.query walks every item; look up the queried partition instead (same answer)."""
    import inspect

    from moto.dynamodb.models.table import Table

    original = Table.query
    signature = inspect.signature(original)

    def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
        index_name = signature.bind(self, hash_key, *args, **kwargs).arguments.get("index_name")
        if index_name or not self.has_range_key:
            return original(self, hash_key, *args, **kwargs)
        with mock.patch.object(self, "all_items", lambda: list(self.items.get(hash_key, {}).values())):
            return original(self, hash_key, *args, **kwargs)

    Table.query = query  # type: ignore[method-assign]  # for the rest of this worker process


def _pending(data: bytes, n: int) -> Attachment:
    """The attachment the checker finds (inserted when the upload was asked for: not timed)."""
    from chalicelib.dal import repos
    from chalicelib.domain import evidence as ev

    a = ev.Attachment(
        id=f"A{n:06d}",
        campaign_id="C1",
        tenant=TENANT,
        filename="p.jpg",
        content_type="image/jpeg",
        size_bytes=len(data),
        kind="photo",
        uploaded_by="u",
        created_at="2026-11-02T00:00:00Z",
    )
    repos.evidence().insert(a)
    return a


def _check(data: bytes, n: int) -> None:
    """What the checker does once the object's bytes are in memory: read the attachment,
    inspect, look up duplicates, record the verdict with its index entries (one transaction)."""
    from dataclasses import replace

    from chalicelib.dal import repos
    from chalicelib.domain import evidence as ev
    from chalicelib.domain import filecheck

    a = repos.evidence().get("C1", f"A{n:06d}")
    if a is None:
        raise LookupError(f"attachment A{n:06d} was never made pending")
    etag = f"e{n}"
    found = filecheck.inspect(data, "image/jpeg")
    decided = replace(
        a,
        status="ready",
        checked_etag=etag,
        taken_at=found.taken_at,
        gps=found.gps,
        phash=found.phash,
        phash_crop=found.phash_crop,
    )
    candidates = repos.evidence().candidates(TENANT, decided.indexed_hashes)
    matches = ev.best_matches(a.id, decided.indexed_hashes, candidates, ev.Thresholds().duplicate_distance)
    decided.duplicate_refs = [f"{m.campaign_id}/{m.attachment_id}" for m in matches]
    decided.integrity = ev.integrity(
        found.taken_at, found.gps, "2026-11-01", "2026-11-03", {"lat": 32.0415, "lon": 118.7849}, ev.Thresholds()
    )
    repos.evidence().record_check(decided, etag)


def _check_compute(data: bytes, candidates: list[Candidate]) -> None:
    """The checker's own work on the photo, without the DynamoDB round trips: inspect (sniff,
    EXIF, orientation, draft decode, thumbnail, both hashes), the index keys, the exact Hamming
    check of the candidates a lookup returned, the flags and the index entries to write."""
    from chalicelib.dal.evidence import _index_entries, band_keys
    from chalicelib.domain import evidence as ev
    from chalicelib.domain import filecheck

    found = filecheck.inspect(data, "image/jpeg")
    hashes = [h for h in (found.phash, found.phash_crop) if h]
    {k for h in hashes for k in band_keys(TENANT, h)}
    ev.best_matches("A", hashes, candidates, ev.Thresholds().duplicate_distance)
    ev.integrity(
        found.taken_at, found.gps, "2026-11-01", "2026-11-03", {"lat": 32.0415, "lon": 118.7849}, ev.Thresholds()
    )
    a = ev.Attachment(
        id="A",
        campaign_id="C1",
        tenant=TENANT,
        filename="p.jpg",
        content_type="image/jpeg",
        size_bytes=len(data),
        kind="photo",
        uploaded_by="u",
        created_at="2026-11-02T00:00:00Z",
        status="ready",
        phash=found.phash,
        phash_crop=found.phash_crop,
    )
    [m.serialize() for m in _index_entries(a)]


def _decode(data: bytes) -> None:
    import io

    from PIL import Image

    Image.open(io.BytesIO(data)).load()


def worker_speed(reps: int, photo: str) -> dict[str, Any]:
    from chalicelib.dal import repos

    aws = _setup()
    data = Path(photo).read_bytes()
    for n in range(2 * reps + 3):
        _pending(data, n)
    _check(data, 0)  # index one copy, so the lookup below finds a match
    from chalicelib.domain import filecheck

    found = filecheck.inspect(data, "image/jpeg")
    candidates = repos.evidence().candidates(TENANT, [h for h in (found.phash, found.phash_crop) if h])
    _check_compute(data, candidates)
    _decode(data)  # warm every path (imports, caches)
    check: list[float] = []
    decode: list[float] = []
    with_moto: list[float] = []
    for n in range(1, reps + 1):
        t = time.perf_counter()
        _decode(data)
        decode.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        _check_compute(data, candidates)
        check.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        _check(data, n)
        with_moto.append((time.perf_counter() - t) * 1000)
    # record one check's DynamoDB answers, then leave moto and replay them
    REPLAY.recording = []
    _check(data, reps + 1)
    script: dict[str, list[Answer]] = {}
    for op, answer in REPLAY.recording:
        script.setdefault(op, []).append(answer)
    REPLAY.recording = None
    aws.stop()
    REPLAY.script = script
    _check(data, reps + 2)
    decode2: list[float] = []
    replayed: list[float] = []
    for n in range(reps):
        t = time.perf_counter()
        _decode(data)
        decode2.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        _check(data, reps + 3 + n)
        replayed.append((time.perf_counter() - t) * 1000)
    return {
        "file_mb": round(len(data) / 1e6, 2),
        "pixels": "4000x3000",
        "reps": reps,
        "full_check_ms": round(statistics.median(replayed), 1),
        "full_check_decode_ms": round(statistics.median(decode2), 1),
        "dynamodb_calls_per_check": {op: len(v) for op, v in script.items()},
        "measured": "alternately in one process: decode, compute-only check, check with moto; "
        "then decode, full check with DynamoDB answers replayed",
        "check_ms": round(statistics.median(check), 1),
        "decode_ms": round(statistics.median(decode), 1),
        "check_with_moto_index_ms": round(statistics.median(with_moto), 1),
        "check_ms_all": [round(x, 1) for x in check],
        "decode_ms_all": [round(x, 1) for x in decode],
    }


def worker_peak(part: str, photo: str) -> dict[str, float]:
    """Peak RSS added by one check (or one full decode) in a fresh process, imports done first."""
    import resource

    _setup()
    import PIL.Image  # noqa: F401  # imported before RSS is read: imports are not the photo's memory

    from chalicelib.domain import filecheck  # noqa: F401  # as PIL.Image

    data = Path(photo).read_bytes()
    _pending(data, 1)
    before = rss_mb()
    if part == "peak-check":
        _check(data, 1)
    else:
        _decode(data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "peak_mb": round(max(peak - before, 0.0), 1),
        "rss_before_mb": round(before, 1),
        "max_rss_mb": round(peak, 1),
    }


def worker_lookup(photos: int, lookups: int) -> dict[str, Any]:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.config import settings
    from chalicelib.dal import repos
    from chalicelib.dal.evidence import band_keys

    _setup()
    rnd = random.Random(photos)
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region].get_table(settings().evidence_table)
    started = time.perf_counter()
    for n in range(photos):
        for variant in ("full", "crop"):
            h = f"{rnd.getrandbits(64):016x}"
            for key in band_keys(TENANT, h):
                table.put_item(
                    {
                        "pk": {"S": f"h#{key}"},
                        "sk": {"S": f"P{n:07d}#{variant}"},
                        "attachment_id": {"S": f"P{n:07d}"},
                        "campaign_id": {"S": f"C{n % 5000}"},
                        "phash": {"S": h},
                    }
                )
    seeded = time.perf_counter() - started
    log(f"evidence: indexed {photos} photos ({photos * 6} entries) in {seeded:.1f} s")
    reads: list[int] = []
    queries = 0
    for _ in range(lookups):
        READS.reset()
        hashes = [f"{rnd.getrandbits(64):016x}" for _ in range(2)]
        repos.evidence().candidates(TENANT, hashes)
        reads.append(READS.items_read)
        queries = READS.calls["Query"]
    return {
        "photos": photos,
        "index_entries": photos * 6,
        "lookups": lookups,
        "items_read_mean": round(statistics.mean(reads), 2),
        "items_read_max": max(reads),
        "items_read_p50": statistics.median(reads),
        "queries_per_lookup": queries,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.evidence")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--part", help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=9, help=argparse.SUPPRESS)
    parser.add_argument("--photos", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--lookups", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--photo", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        sys.path.insert(0, os.getcwd())
        if args.part == "speed":
            result = worker_speed(args.reps, args.photo)
        elif args.part in ("peak-check", "peak-decode"):
            result = worker_peak(args.part, args.photo)
        else:
            result = worker_lookup(args.photos, args.lookups)
        Path(args.out).write_text(json.dumps(result))
        return 0
    results = measure(args.quick)
    publish(results, table(results), args.out, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
