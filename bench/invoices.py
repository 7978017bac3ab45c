"""Invoices' figures: what a claim costs, how the company-wide ledger holds under racing claims,
and how well (and how cheaply) the upload checker reads invoice QR codes.

On one local stack (`python -m devstack run` on a free port), over HTTP only:

* `invoice_claim_ms_p50` (and p90): `POST /campaigns/{id}/invoices` with a fresh invoice's QR
  text on an approved campaign, one request at a time, after a warm-up.
* `invoice_race`: 40 approved campaigns of one company and 20 invoices; 200 claims (each
  invoice 10 times, on 10 different campaigns), 20 in flight at a time, each thread on its own
  connection. `{invoices, claims, claimed, refused, errors}` (refused: 409
  invoice_already_claimed; errors: any other answer) and `consistent`: every claimed key is
  listed by exactly one campaign, that campaign is the one the ledger names, and each
  campaign's `total` is the sum of what it lists.

In a worker process (the app in-process against its own moto, as bench.money):

* `invoice_claim_wru`: the write request units of one claim (the ledger item, the campaign
  and its audit entry in one transaction), priced by infra.capacity like the cost model.

In this process, no stack (the upload checker is plain Python over the bytes):

* `invoice_qr_found_rate`: of a corpus made here (tests/corpus.py's invoice photos: a paper
  invoice with its QR code on a shop counter), 50 JPEG photos with the QR at different sizes
  (frames 2,400–4,000 px wide, the invoice filling 55–95 % of it), turned up to 30°, JPEG
  quality 60–95 and a phone-like blur, plus 10 PDFs: the share whose QR text the checker
  returns exactly (target ≥ 0.95). `invoice_qr_false_reads`: invoice QR texts returned for 50
  photos without one (shop scenes and invoices without their code; target 0).
* `invoice_qr_overhead_ratio`: `filecheck.inspect` of a 12-megapixel phone photo with the QR
  search ÷ without it (which decodes the JPEG at 1/8 as the checker did before), median of
  alternating runs (target ≤ 1.5); in the detail, the same for that photo without its code.
* `invoice_qr_checker_overhead_ratio`: the same for the whole checker (`check_upload`: hash,
  inspect, thumbnail, integrity, duplicates, the verdict and its audit entry) against the
  in-memory storage, so that no I/O is counted on either side.

    python -m bench.invoices [--quick] [--out PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypedDict

from bench._common import Http, clean_env, log, median, percentile, publish, run_worker

TARGET_FOUND_RATE = 0.95
TARGET_OVERHEAD = 1.5


class Size(TypedDict):
    claims: int  # timed sequential claims
    race_campaigns: int
    race_invoices: int
    race_claims: int
    race_parallel: int
    qr_photos: int
    qr_pdfs: int
    plain_photos: int
    overhead_runs: int
    wru_claims: int


SIZES: dict[bool, Size] = {
    False: {
        "claims": 40,
        "race_campaigns": 40,
        "race_invoices": 20,
        "race_claims": 200,
        "race_parallel": 20,
        "qr_photos": 50,
        "qr_pdfs": 10,
        "plain_photos": 50,
        "overhead_runs": 21,
        "wru_claims": 5,
    },
    True: {
        "claims": 6,
        "race_campaigns": 6,
        "race_invoices": 4,
        "race_claims": 24,
        "race_parallel": 8,
        "qr_photos": 4,
        "qr_pdfs": 2,
        "plain_photos": 4,
        "overhead_runs": 1,
        "wru_claims": 1,
    },
}


def _issued() -> str:
    """Yesterday in Asia/Shanghai as an invoice prints it (never in the future)."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8) - dt.timedelta(days=1)).strftime("%Y%m%d")


def qr_text(n: int, amount_fen: int = 12_345) -> str:
    """The QR text of invoice `n` of a legacy general VAT invoice (04) of one invoice code."""
    return f"01,04,3200162130,{n % 10**8:08d},{amount_fen // 100}.{amount_fen % 100:02d},{_issued()},,4FD5,"


# ---------------------------------------------------------------------------------------------
# over HTTP
# ---------------------------------------------------------------------------------------------
def approved_campaigns(http: Http, co: Any, n: int) -> list[str]:
    from bench.money import submitted

    ids = [submitted(http, co, i) for i in range(n)]
    for cid in ids:
        http.ok("POST", f"/campaigns/{cid}/approve", co.manager, {"approved_amount": 100_000})
    return ids


def measure_claims(url: str, claims: int, warmup: int = 3) -> dict[str, Any]:
    from bench.money import Company

    http, co = Http(url), Company("IC")
    campaigns = approved_campaigns(http, co, claims // 40 + 1)
    samples: list[float] = []
    for n in range(claims + warmup):
        status, answer, ms = http("POST", f"/campaigns/{campaigns[n // 40]}/invoices", co.rep, {"qr": qr_text(n)})
        if status != 201:
            raise RuntimeError(f"claim {n}: {status} {answer}")
        if n >= warmup:
            samples.append(ms)
    return {
        "invoice_claim_ms_p50": round(median(samples), 1),
        "invoice_claim_ms_p90": round(percentile(samples, 90), 1),
    }


def measure_race(url: str, campaigns: int, invoices: int, claims: int, parallel: int) -> dict[str, Any]:
    """`claims` claims of `invoices` invoices across `campaigns` campaigns, `parallel` at a time."""
    from bench.money import Company

    http, co = Http(url), Company("IR")
    ids = approved_campaigns(http, co, campaigns)
    per_invoice = claims // invoices
    # claim i: invoice i % invoices, on a campaign no other claim of that invoice uses
    plan = [
        (i % invoices, ids[(i % invoices + (i // invoices) * (campaigns // per_invoice or 1)) % campaigns])
        for i in range(claims)
    ]
    base = random.Random(7).randrange(10**7)
    local = threading.local()
    answers: list[tuple[int, Any]] = [(0, None)] * claims

    def claim(i: int) -> None:
        if not hasattr(local, "http"):
            local.http = Http(url)  # one connection per thread
        invoice, cid = plan[i]
        status, body, _ = local.http("POST", f"/campaigns/{cid}/invoices", co.rep, {"qr": qr_text(base + invoice)})
        answers[i] = (status, body)

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(claim, range(claims)))
    wall_ms = (time.perf_counter() - started) * 1000
    claimed = [i for i, (status, _) in enumerate(answers) if status == 201]
    refused = [i for i, (s, b) in enumerate(answers) if s == 409 and (b or {}).get("code") == "invoice_already_claimed"]
    errors: dict[str, int] = {}
    for i, (status, body) in enumerate(answers):
        if i not in claimed and i not in refused:
            key = f"{status} {(body or {}).get('code')}"
            errors[key] = errors.get(key, 0) + 1
    # the ledger as the campaigns list it: each claimed key on exactly one campaign, the winner's
    listed: dict[str, list[str]] = {}
    totals_match = True
    for cid in ids:
        page = http.ok("GET", f"/campaigns/{cid}/invoices", co.rep)
        totals_match &= page["total"] == sum(i["amount"] for i in page["items"])
        campaign = http.ok("GET", f"/campaigns/{cid}", co.rep)
        totals_match &= campaign["reimbursement"]["invoice_total"] == page["total"]
        for item in page["items"]:
            listed.setdefault(item["key"], []).append(cid)
    winners = {answers[i][1]["key"]: answers[i][1]["campaign_id"] for i in claimed}
    consistent = (
        totals_match
        and len(winners) == len(claimed) == invoices
        and all(listed.get(key) == [cid] for key, cid in winners.items())
        and set(listed) == set(winners)
    )
    return {
        "invoices": invoices,
        "claims": claims,
        "claimed": len(claimed),
        "refused": len(refused),
        "errors": sum(errors.values()),
        "error_answers": errors,
        "consistent": consistent,
        "campaigns": campaigns,
        "in_flight": parallel,
        "wall_ms": round(wall_ms),
    }


# ---------------------------------------------------------------------------------------------
# the upload checker, in this process
# ---------------------------------------------------------------------------------------------
def qr_corpus(
    photos: int, pdfs: int, plain: int, seed: int = 20261206
) -> dict[str, list[tuple[str, bytes, str | None]]]:
    """(kind, bytes, the QR text it holds or None) for each file, made here."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import corpus as C

    rnd = random.Random(seed)
    with_qr: list[tuple[str, bytes, str | None]] = []
    for n in range(photos):
        text = qr_text(rnd.randrange(10**8), rnd.randrange(100, 10**7))
        width = rnd.choice((2400, 3200, 4000))
        data = C.invoice_photo(
            text,
            width=width,
            fill=rnd.uniform(0.55, 0.95),
            angle=rnd.uniform(-30, 30),
            quality=rnd.randint(60, 95),
            blur=rnd.uniform(0.5, 1.6) * width / 4000,
            seed=n,
            noise=rnd.choice((0.0, 0.06, 0.12)),
        )
        with_qr.append(("image/jpeg", data, text.strip().rstrip(",")))
    for _ in range(pdfs):
        text = qr_text(rnd.randrange(10**8), rnd.randrange(100, 10**7))
        with_qr.append(("application/pdf", C.invoice_pdf(text), text.strip().rstrip(",")))
    without: list[tuple[str, bytes, str | None]] = []
    for n in range(plain):
        if n % 2:
            data = C.jpeg(C.scene(n, (rnd.choice((1600, 3200, 4000)), 3000)), quality=rnd.randint(60, 95))
        else:
            data = C.invoice_photo(None, width=rnd.choice((2400, 3200, 4000)), angle=rnd.uniform(-30, 30), seed=n)
        without.append(("image/jpeg", data, None))
    return {"with_qr": with_qr, "without_qr": without}


def measure_qr(photos: int, pdfs: int, plain: int) -> dict[str, Any]:
    from chalicelib.domain import filecheck

    corpus = qr_corpus(photos, pdfs, plain)
    found, missed = 0, []
    for i, (content_type, data, text) in enumerate(corpus["with_qr"]):
        read = filecheck.inspect(data, content_type).invoice_qr
        read = read.rstrip(",") if read else read
        if read == text:
            found += 1
        else:
            missed.append({"file": i, "type": content_type, "read": read})
    false_reads = sum(1 for ct, data, _ in corpus["without_qr"] if filecheck.inspect(data, ct).invoice_qr is not None)
    total = len(corpus["with_qr"])
    return {
        "invoice_qr_found_rate": round(found / total, 3) if total else None,
        "invoice_qr_false_reads": false_reads,
        "detail": {
            "files_with_qr": total,
            "photos": photos,
            "pdfs": pdfs,
            "found": found,
            "missed": missed,
            "files_without_qr": len(corpus["without_qr"]),
        },
    }


def phone_photo(text: str | None) -> bytes:
    """A 12-MP phone photo (3 MB) of an invoice on a counter, holding the QR code `text` (None:
    the invoice without its code), with a phone's blur and sensor noise."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import corpus as C

    return C.invoice_photo(text, width=4000, fill=0.7, angle=8, quality=90, blur=1.2, noise=0.12)


def measure_overhead(runs: int) -> dict[str, Any]:
    """The inspection's time (`filecheck.inspect`) per 12-MP phone photo of an invoice with the
    QR search ÷ without, alternating, median; and, in the detail, the same for that photo without
    its QR code (the common case: no code found, both passes of the search tried)."""
    from chalicelib.domain import filecheck

    def ratio(data: bytes) -> tuple[float, float]:
        filecheck.inspect(data, "image/jpeg")  # imports and first-use costs out of the way
        filecheck.inspect(data, "image/jpeg", find_qr=False)
        samples: dict[bool, list[float]] = {True: [], False: []}
        for n in range(runs):
            for find_qr in (True, False) if n % 2 == 0 else (False, True):
                started = time.perf_counter()
                filecheck.inspect(data, "image/jpeg", find_qr=find_qr)
                samples[find_qr].append((time.perf_counter() - started) * 1000)
        return median(samples[True]), median(samples[False])

    invoice = phone_photo(qr_text(1))
    w, wo = ratio(invoice)
    plain_w, plain_wo = ratio(phone_photo(None))
    return {
        "invoice_qr_overhead_ratio": round(w / wo, 3),
        "detail": {
            "with_qr_ms": round(w, 1),
            "without_qr_ms": round(wo, 1),
            "photo_without_a_code": {
                "ratio": round(plain_w / plain_wo, 3),
                "with_qr_ms": round(plain_w, 1),
                "without_qr_ms": round(plain_wo, 1),
            },
            "runs": runs,
            "photo_bytes": len(invoice),
            "photo_pixels": "4000 x 3000",
        },
    }


def measure_checker_overhead(runs: int) -> dict[str, Any]:
    """The whole upload checker (logic.uploads.check_upload: read the bytes, hash them, inspect
    them, store the thumbnail, weigh integrity and duplicates, record the verdict and its audit
    entry) per 12-MP invoice photo, with the QR search ÷ without, alternating, median. It runs
    against the in-memory storage, so no I/O is counted: in Lambda, reading 3 MB from S3 and
    writing the records would only add to both sides. Each run checks a fresh upload of the photo
    on a fresh campaign in a fresh storage (no duplicate of an earlier run to weigh)."""
    import functools

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from chalicelib import clock as service_clock
    from chalicelib.dal import repos
    from chalicelib.dal.memory import InMemoryStorage
    from chalicelib.domain import filecheck
    from chalicelib.logic.uploads import check_upload
    from tests.unit.use_cases import builders as B
    from tests.unit.use_cases.conftest import Clock

    photo = phone_photo(qr_text(1))
    inspect = filecheck.inspect
    previous_clock, previous_storage = service_clock.use_clock(Clock(B.TODAY)), repos.install(InMemoryStorage())

    def once(find_qr: bool) -> float:
        repos.install(InMemoryStorage())
        _, event = B.upload(B.approved().id, photo)
        filecheck.inspect = functools.partial(inspect, find_qr=find_qr)  # the one switch
        try:
            started = time.perf_counter()
            verdict = check_upload(event)
            elapsed = (time.perf_counter() - started) * 1000
        finally:
            filecheck.inspect = inspect  # put back
        if verdict != "ready":
            raise RuntimeError(f"the checker said {verdict!r} of the benchmark's photo")
        return elapsed

    try:
        once(True), once(False)  # first-use costs out of the way
        samples: dict[bool, list[float]] = {True: [], False: []}
        for n in range(runs):
            for find_qr in (True, False) if n % 2 == 0 else (False, True):
                samples[find_qr].append(once(find_qr))
    finally:
        service_clock.use_clock(previous_clock)
        repos.install(previous_storage)
    w, wo = median(samples[True]), median(samples[False])
    return {
        "invoice_qr_checker_overhead_ratio": round(w / wo, 3),
        "detail": {"with_qr_ms": round(w, 1), "without_qr_ms": round(wo, 1), "runs": runs},
    }


# ---------------------------------------------------------------------------------------------
# write units, in a worker with the app in-process
# ---------------------------------------------------------------------------------------------
def worker(claims: int, out: str) -> None:
    key_dir = tempfile.mkdtemp(prefix="huixiang-bench-keys-")
    sys.path.insert(0, os.getcwd())
    import json

    from bench._common import WRITES, app_in_process, count_writes
    from bench.money import Company, _api, campaign_body

    snaps = []
    with app_in_process(key_dir, lambda: setattr(count_writes(), "enabled", False)) as client:
        co = Company("IW", key_dir)
        c = _api(client, "POST", "/campaigns", co.rep, campaign_body(0), expect=201)
        _api(client, "POST", f"/campaigns/{c['id']}/submit", co.rep)
        _api(client, "POST", f"/campaigns/{c['id']}/approve", co.manager, {"approved_amount": 100_000})
        for n in range(claims):
            WRITES.reset()
            WRITES.enabled = True
            try:
                _api(client, "POST", f"/campaigns/{c['id']}/invoices", co.rep, {"qr": qr_text(n)}, expect=201)
            finally:
                WRITES.enabled = False
            snaps.append(WRITES.snapshot())
    wru = round(sum(s["wru"] for s in snaps) / len(snaps), 2)
    with open(out, "w") as fh:
        json.dump({"invoice_claim_wru": wru, "first_claim": snaps[0]}, fh, default=str)


# ---------------------------------------------------------------------------------------------
# the parent side
# ---------------------------------------------------------------------------------------------
def measure(quick: bool = False, url: str | None = None, sizes: Size | None = None, qr: bool = True) -> dict[str, Any]:
    """Every figure: the stack's (on a stack started here, or the one at `url`), the worker's
    write units, then the QR corpus and the overhead in this process (`qr=False`: not those)."""
    from bench.stream_unlock import stack_at

    size = sizes or SIZES[bool(quick)]
    results: dict[str, Any] = {}
    detail: dict[str, Any] = {"sizes": size}
    with stack_at(url, detail, "invoices") as url:
        results.update(measure_claims(url, size["claims"]))
        log(f"invoices: a claim {results['invoice_claim_ms_p50']} ms (p50)")
        race = measure_race(
            url, size["race_campaigns"], size["race_invoices"], size["race_claims"], size["race_parallel"]
        )
        results["invoice_race"] = race
        log(f"invoices: race {race}")
    wru = run_worker("bench.invoices", ["--claims", str(size["wru_claims"])], timeout=900, env=clean_env())
    results["invoice_claim_wru"] = wru["invoice_claim_wru"]
    detail["first_claim_writes"] = wru["first_claim"]
    if qr:
        found = measure_qr(size["qr_photos"], size["qr_pdfs"], size["plain_photos"])
        detail["qr"] = found.pop("detail")
        results.update(found)
        overhead = measure_overhead(size["overhead_runs"])
        detail["overhead"] = overhead.pop("detail")
        results.update(overhead)
        checker = measure_checker_overhead(size["overhead_runs"])
        detail["checker_overhead"] = checker.pop("detail")
        results.update(checker)
        log(f"invoices: QR found {results['invoice_qr_found_rate']}, overhead {results['invoice_qr_overhead_ratio']}")
    results["invoices_detail"] = {
        **detail,
        "command": "python -m bench.invoices" + (" --quick" if quick else ""),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return results


def table(r: dict[str, Any]) -> str:
    race = r["invoice_race"]
    rows = [
        ("invoice_claim_ms_p50", f"{r['invoice_claim_ms_p50']} ms", "—", "(info)"),
        ("invoice_claim_wru", f"{r['invoice_claim_wru']}", "—", "(info)"),
        (
            "invoice_race: claimed / refused / errors",
            f"{race['claimed']} / {race['refused']} / {race['errors']} of {race['claims']}",
            f"{race['invoices']} / {race['claims'] - race['invoices']} / 0",
            "ok" if (race["claimed"], race["errors"], race["consistent"]) == (race["invoices"], 0, True) else "FAIL",
        ),
    ]
    if "invoice_qr_found_rate" in r:
        rows += [
            (
                "invoice_qr_found_rate",
                f"{r['invoice_qr_found_rate']}",
                f"≥ {TARGET_FOUND_RATE}",
                "ok" if r["invoice_qr_found_rate"] >= TARGET_FOUND_RATE else "FAIL",
            ),
            (
                "invoice_qr_false_reads",
                f"{r['invoice_qr_false_reads']}",
                "0",
                "ok" if not r["invoice_qr_false_reads"] else "FAIL",
            ),
            (
                "invoice_qr_overhead_ratio",
                f"{r['invoice_qr_overhead_ratio']}",
                f"≤ {TARGET_OVERHEAD}",
                "ok" if r["invoice_qr_overhead_ratio"] <= TARGET_OVERHEAD else "FAIL",
            ),
            (
                "invoice_qr_checker_overhead_ratio",
                f"{r['invoice_qr_checker_overhead_ratio']}",
                f"≤ {TARGET_OVERHEAD}",
                "ok" if r["invoice_qr_checker_overhead_ratio"] <= TARGET_OVERHEAD else "FAIL",
            ),
        ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.invoices")
    parser.add_argument("--quick", action="store_true", help="small sizes; writes nothing unless --out")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--claims", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.claims, args.out)
        return 0
    results = measure(quick=args.quick)
    publish(results, table(results), args.out, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
