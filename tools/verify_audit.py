"""`make verify-audit`: verify the audit chain of every campaign of a company, as
GET /campaigns/{id}/audit does, or a trail exported from that route, offline.

Two modes (docs/audit.md says what each checks and why):

* **Against the data** (the running local stack, or whatever DynamoDB the environment points
  at): every campaign of a company, found with a Query on the campaigns table's `by_org`
  index (`--tenant T`, repeatable; without it every company the roll-ups know). Each verdict
  is the route's own (`logic.history.trail`): every hash recomputes, `seq` runs 1..n, each
  entry links to the one before, and the chain ends at the campaign's `audit_seq` and
  `audit_head`. A chain that fails is read again (it may have grown while it was read) before
  it is reported. One line per broken chain, then a summary; exit 1 if any is broken.

* **A file** (`--file trail.json`, several files in order for one trail): the pages of
  `GET /campaigns/{id}/audit` saved as JSON (one page, a list of pages, or a list of
  entries). Checked with nothing but the Python standard library, so an auditor can copy
  this one file and run it anywhere: `python3 verify_audit.py --file trail.json`. Give the
  chain's end with `--head HASH` (and `--seq N`) when you have it from elsewhere: the file
  alone cannot show that entries were cut from its end.

* **An evidence bundle** (`--file bundle.json`, the answer of `GET /campaigns/{id}/evidence`
  saved as it came): the chain as above, that every `ready` attachment's `sha256` is the one
  its `attachment_ready` entry committed to, that every check-in has its `visit_recorded`
  entry, and, for each attachment whose file lies beside the bundle (named by the attachment's
  id, with or without an extension: `01JD…Q` or `01JD…Q.jpg`; `--files DIR` to look
  elsewhere), that the file's bytes hash to that committed sha256. `--download` first fetches
  every ready attachment's `download_url` there (the links expire minutes after the bundle was
  fetched). Standard library only, like a trail.

Exit codes: 0 verified, 1 broken, 2 nothing could be checked (no endpoint, unreadable file).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

ROOT = Path(__file__).resolve().parent.parent
GENESIS_HASH = "0" * 64
RE_READS = 2  # a chain that fails is read this many more times before it counts
RE_READ_PAUSE_S = 0.5


# -- the chain, with the standard library only (API.md, Audit trail) ------------------------------
class AuditPage(TypedDict):
    """A page of `GET /campaigns/{id}/audit` as exported: its entries as the file holds them."""

    items: list[Any]
    next_cursor: NotRequired[str | int | None]
    verified: NotRequired[bool]


def entry_hash(item: dict[str, Any]) -> str:
    """Lowercase hex SHA-256 of the UTF-8 bytes of the entry without `hash`, as JSON with
    sorted keys, separators `,` and `:`, non-ASCII kept."""
    body = {k: v for k, v in item.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_problems(
    items: Sequence[object],
    head_seq: int | None = None,
    head_hash: str | None = None,
    first_seq: int = 1,
    prev_hash: str = GENESIS_HASH,
) -> list[str]:
    """Everything wrong with a trail, in order; [] when it verifies.

    Each entry must have `seq` one more than the entry before (`first_seq` for the first), a
    `prev_hash` equal to the hash of the entry before (`prev_hash` for the first: 64 zeros
    for a whole chain) and a `hash` that recomputes. With `head_seq`/`head_hash` (the chain's
    end as the campaign holds it, or as the auditor noted it earlier) the last entry must be it.
    After a fault the check goes on from the entry found, so every fault is listed.
    """
    problems: list[str] = []
    expected_seq = first_seq
    expected_prev: object = prev_hash  # then the `hash` the entry before claims, whatever the file holds
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(f"entry {n} is not a JSON object")
            continue
        seq, claimed = item.get("seq"), item.get("hash")
        name = f"seq {seq}" if isinstance(seq, int) and not isinstance(seq, bool) else f"entry {n}"
        if not isinstance(seq, int) or isinstance(seq, bool):
            problems.append(f"{name}: seq is {seq!r}, not a whole number")
        elif seq > expected_seq and n == 1:
            problems.append(f"{name}: the trail starts here, not at seq {expected_seq}")
        elif seq > expected_seq:
            missing = seq - expected_seq
            problems.append(
                f"{name}: follows seq {expected_seq - 1}, {missing} entr{'y' if missing == 1 else 'ies'} missing"
            )
        elif seq < expected_seq:
            problems.append(f"{name}: out of order or repeated (seq {expected_seq} was expected)")
        if item.get("prev_hash") != expected_prev:
            what = "the chain's start" if n == 1 else "the hash of the entry before"
            problems.append(f"{name}: prev_hash is not {what}")
        try:
            recomputed = entry_hash(item)
        except (TypeError, ValueError) as exc:
            problems.append(f"{name}: cannot be serialised ({exc})")
            recomputed = None
        if recomputed is not None and recomputed != claimed:
            problems.append(f"{name}: its hash does not recompute (the entry was changed after it was written)")
        expected_seq = (seq if isinstance(seq, int) and not isinstance(seq, bool) else expected_seq) + 1
        expected_prev = claimed
    last_seq = expected_seq - 1
    if head_seq is not None and last_seq != head_seq:
        if last_seq < head_seq:
            cut = head_seq - last_seq
            problems.append(
                f"the trail ends at seq {last_seq} but the chain's head is seq {head_seq}: "
                f"the last {cut} entr{'y is' if cut == 1 else 'ies are'} missing"
            )
        else:
            problems.append(f"the trail runs to seq {last_seq} but the chain's head is seq {head_seq}")
    elif head_hash is not None and items and isinstance(items[-1], dict) and items[-1].get("hash") != head_hash:
        problems.append(f"the last entry (seq {last_seq}) is not the chain's head: its hash differs")
    elif head_hash is not None and not items and head_hash != prev_hash:
        problems.append("the trail is empty but the chain's head is not its start")
    return problems


# -- a trail exported from the API ------------------------------------------------------------------
def pages_of(data: Any, source: str) -> list[AuditPage]:
    """The pages in one exported file: a page `{items, next_cursor, verified}`, a list of pages,
    or a list of entries (one page without a cursor)."""
    if data == []:
        raise ValueError(f"{source}: holds no page and no entry")
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return [cast(AuditPage, data)]  # its items are a list; the rest is checked with the chain
    if isinstance(data, list) and all(isinstance(p, dict) and isinstance(p.get("items"), list) for p in data) and data:
        return data
    if isinstance(data, list) and all(isinstance(e, dict) and "hash" in e for e in data):
        return [{"items": data, "next_cursor": None}]
    raise ValueError(f"{source}: neither a page of GET /campaigns/{{id}}/audit, a list of pages, nor a list of entries")


def check_export(
    pages: list[AuditPage],
    head_seq: int | None = None,
    head_hash: str | None = None,
    first_seq: int = 1,
    prev_hash: str = GENESIS_HASH,
) -> tuple[list[Any], list[str]]:
    """Every entry of the exported pages, in order, and what is wrong with the trail they make:
    the chain itself, pages that do not join up, an export that stops while the last page says
    more follows, and a page on which the API itself said `verified: false` (it checks the end
    of the chain against the campaign, which the file alone cannot)."""
    items = [item for page in pages for item in page["items"]]
    problems = chain_problems(items, head_seq, head_hash, first_seq, prev_hash)
    for i, page in enumerate(pages, start=1):
        cursor = page.get("next_cursor")
        if i < len(pages) and cursor is None:
            problems.append(f"page {i} says it is the last, yet {len(pages) - i} more page(s) follow it")
        if i == len(pages) and cursor is not None:
            problems.append(f"the export stops early: its last page says more follows (next_cursor {cursor!r})")
        if i < len(pages) and cursor is not None and page["items"] and str(page["items"][-1].get("seq")) != str(cursor):
            problems.append(f"page {i} ends at seq {page['items'][-1].get('seq')} but its next_cursor is {cursor!r}")
        if page.get("verified") is False:
            problems.append(
                f"page {i}: the API said verified: false when it was exported "
                "(its check includes the campaign's head: the trail may have been cut short)"
            )
    return items, problems


# -- an evidence bundle (GET /campaigns/{id}/evidence) ----------------------------------------------
def is_bundle(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("audit"), dict) and isinstance(data.get("attachments"), list)


def committed_hashes(items: list[Any]) -> dict[str, str | None]:
    """attachment id → the sha256 its latest `attachment_ready` entry committed to (None: the
    entry carries none, as entries written before the checker hashed bytes)."""
    found: dict[str, str | None] = {}
    for item in items:
        if not isinstance(item, dict) or item.get("action") != "attachment_ready":
            continue
        changes = item.get("changes") or {}
        attachment_id = (changes.get("attachment_id") or [None, None])[-1]
        if isinstance(attachment_id, str):
            found[attachment_id] = (changes.get("sha256") or [None, None])[-1]
    return found


def file_of(files: Path, attachment_id: str) -> Path | None:
    """The downloaded file of an attachment: named by its id, with or without an extension."""
    exact = files / attachment_id
    if exact.is_file():
        return exact
    matches = sorted(p for p in files.glob(f"{attachment_id}.*") if p.is_file())
    return matches[0] if matches else None


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def bundle_problems(bundle: dict[str, Any], files: Path | None) -> tuple[list[str], dict[str, int]]:
    """What is wrong with an evidence bundle, and counts for the summary line."""
    audit = bundle["audit"]
    items = audit.get("items") if isinstance(audit.get("items"), list) else []
    problems = chain_problems(items)
    if audit.get("verified") is not True:
        problems.append(
            "the API said verified: false when the bundle was made (its check includes the campaign's head)"
        )
    committed = committed_hashes(items)
    counts = {"ready": 0, "rehashed": 0, "not_downloaded": 0}
    for a in bundle["attachments"]:
        if not isinstance(a, dict) or a.get("status") != "ready":
            continue
        counts["ready"] += 1
        name = f"attachment {a.get('id')} ({a.get('filename')})"
        expected = committed.get(str(a.get("id")), "")
        if expected == "":
            problems.append(f"{name}: no attachment_ready entry in the trail commits to it")
        elif expected is None:
            problems.append(f"{name}: its attachment_ready entry commits to no sha256")
        elif a.get("sha256") != expected:
            problems.append(f"{name}: its sha256 is not the one its attachment_ready entry committed to")
        path = file_of(files, str(a.get("id"))) if files is not None else None
        if path is None:
            counts["not_downloaded"] += 1
            continue
        counts["rehashed"] += 1
        if expected and sha256_of_file(path) != expected:
            problems.append(f"{name}: the bytes of {path.name} are not the ones the trail committed to")
    recorded = {
        ((item.get("changes") or {}).get("visit_id") or [None, None])[-1]
        for item in items
        if isinstance(item, dict) and item.get("action") == "visit_recorded"
    }
    for v in bundle.get("visits") or []:
        if isinstance(v, dict) and v.get("id") not in recorded:
            problems.append(f"visit {v.get('id')}: no visit_recorded entry in the trail")
    return problems, counts


def download(bundle: dict[str, Any], files: Path) -> int:
    """Fetch every ready attachment's file beside the bundle, named `<id><extension>`."""
    from urllib.request import urlopen

    files.mkdir(parents=True, exist_ok=True)
    fetched = 0
    for a in bundle["attachments"]:
        url = a.get("download_url") if isinstance(a, dict) and a.get("status") == "ready" else None
        if not url:
            continue
        suffix = Path(str(a.get("filename") or "")).suffix[:10]
        with urlopen(url, timeout=60) as response:  # noqa: S310 - the bundle's own https (or local) links
            (files / f"{a['id']}{suffix}").write_bytes(response.read())
        fetched += 1
    return fetched


def verify_bundle(path: str, bundle: dict[str, Any], files: Path | None, fetch: bool) -> int:
    folder = files if files is not None else Path(path).resolve().parent
    if fetch:
        try:
            download(bundle, folder)
        except OSError as exc:
            print(f"cannot download the attachments: {exc}", file=sys.stderr)
            return 2
    problems, counts = bundle_problems(bundle, folder)
    for problem in problems:
        print(f"BROKEN {path}: {problem}")
    campaign = (bundle.get("campaign") or {}).get("id")
    entries = len(bundle["audit"].get("items") or [])
    verdict = f"{len(problems)} problem(s)" if problems else "verified"
    print(
        f"{path}: campaign {campaign}, {entries} audit entries, {counts['ready']} ready attachment(s), "
        f"{counts['rehashed']} re-hashed from {folder}, {counts['not_downloaded']} not downloaded: {verdict}"
    )
    return 1 if problems else 0


def verify_files(
    paths: list[str],
    head_seq: int | None,
    head_hash: str | None,
    first_seq: int,
    prev_hash: str,
    files: Path | None = None,
    fetch: bool = False,
) -> int:
    pages: list[AuditPage] = []
    for path in paths:
        try:
            with open(path, encoding="utf-8-sig") as f:
                data = json.load(f)
            if is_bundle(data) and len(paths) == 1:
                return verify_bundle(path, data, files, fetch)
            pages += pages_of(data, path)
        except (OSError, ValueError) as exc:
            print(f"cannot read {path}: {exc}", file=sys.stderr)
            return 2
    items, problems = check_export(pages, head_seq, head_hash, first_seq, prev_hash)
    name = " + ".join(paths)
    for problem in problems:
        print(f"BROKEN {name}: {problem}")
    seqs = [i.get("seq") for i in items if isinstance(i, dict)]
    span = f"seq {seqs[0]}..{seqs[-1]}" if seqs else "no entries"
    last = items[-1].get("hash") if items and isinstance(items[-1], dict) else prev_hash
    verdict = f"{len(problems)} problem(s)" if problems else "verified"
    print(f"{name}: {len(items)} entries in {len(pages)} page(s), {span}: {verdict}; last hash {last}")
    return 1 if problems else 0


# -- the chains in DynamoDB ------------------------------------------------------------------------
def campaigns_of(tenant: str) -> Iterator[dict[str, str]]:
    """Every campaign of a company: the by_org index (hash key `org_root` = the company)."""
    from chalicelib.config import settings
    from chalicelib.dal.clients import dynamodb

    paginator = dynamodb().get_paginator("query")
    for page in paginator.paginate(
        TableName=settings().campaigns_table,
        IndexName="by_org",
        KeyConditionExpression="#root = :t",
        ExpressionAttributeValues={":t": {"S": tenant}},
        ExpressionAttributeNames={"#root": "org_root", "#id": "id", "#org": "org"},
        ProjectionExpression="#id, #org",
    ):
        for item in page["Items"]:
            yield {"id": item["id"]["S"], "org": item["org"]["S"]}


def verified_as_the_route_does(tenant: str, campaign_id: str) -> bool:
    """The `verified` GET /campaigns/{id}/audit answers, computed by the route's own code."""
    from chalicelib.domain.access import Principal
    from chalicelib.domain.pages import PageRequest
    from chalicelib.logic.history import trail

    auditor = Principal(sub="audit-verifier", role="leader", org=tenant, name="verify_audit")
    return trail(auditor, campaign_id, PageRequest(limit=1))[2]


def why_broken(campaign_id: str) -> list[str]:
    """What is wrong with a stored chain, said in words (the verdict is the route's)."""
    from chalicelib.dal import repos

    campaign = repos.campaigns().get(campaign_id)
    if campaign is None:
        return ["the campaign is gone"]
    items = repos.audit().entries(campaign_id)
    return chain_problems(items, campaign.audit_seq, campaign.audit_head or GENESIS_HASH)


def verify_tenants(tenants: Iterable[str]) -> tuple[list[str], int, int]:
    """(one line per broken chain, campaigns checked, companies checked)."""
    lines, checked, companies = [], 0, 0
    for tenant in tenants:
        companies += 1
        for c in campaigns_of(tenant):
            checked += 1
            ok = verified_as_the_route_does(tenant, c["id"])
            for _ in range(RE_READS if not ok else 0):  # it may have grown while it was read
                time.sleep(RE_READ_PAUSE_S)
                if ok := verified_as_the_route_does(tenant, c["id"]):
                    break
            if not ok:
                reasons = why_broken(c["id"]) or ["does not verify as GET /campaigns/{id}/audit computes it"]
                more = f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
                lines.append(f"BROKEN {tenant} {c['id']} {c['org']}: {reasons[0]}{more}")
    return lines, checked, companies


def known_tenants() -> list[str]:
    from chalicelib.dal import repos

    tenants: list[str] = repos.rollups().tenants()
    return tenants


def _has_target() -> bool:
    """The environment points at some DynamoDB: the local stack's moto, an endpoint, a Lambda
    runtime, or a stage named on purpose (with AWS credentials)."""
    from tools.verify_rollups import _point_at_local_stack

    _point_at_local_stack()
    return any(
        os.environ.get(v)
        for v in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_EXECUTION_ENV", "HUIXIANG_STAGE")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.verify_audit", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tenant",
        action="append",
        default=None,
        help="check this company (org root) only; repeatable (default: every company the roll-ups know)",
    )
    parser.add_argument(
        "--file",
        nargs="+",
        metavar="TRAIL.json",
        help="verify a trail exported from GET /campaigns/{id}/audit, or an evidence bundle from "
        "GET /campaigns/{id}/evidence, instead (standard library only)",
    )
    parser.add_argument("--head", default=None, metavar="HASH", help="with --file: the hash the chain must end at")
    parser.add_argument("--seq", type=int, default=None, help="with --file: the seq the chain must end at")
    parser.add_argument("--first-seq", type=int, default=1, help="with --file: the export starts at this seq")
    parser.add_argument(
        "--prev-hash",
        default=GENESIS_HASH,
        metavar="HASH",
        help="with --file: the hash of the entry before the first one exported (default: 64 zeros)",
    )
    parser.add_argument(
        "--files",
        type=Path,
        default=None,
        metavar="DIR",
        help="with an evidence bundle: where its attachments' files are (default: beside the bundle)",
    )
    parser.add_argument(
        "--download",
        action="store_true",
        help="with an evidence bundle: first fetch every ready attachment's download_url into that folder",
    )
    args = parser.parse_args(argv)
    if args.file:
        return verify_files(args.file, args.seq, args.head, args.first_seq, args.prev_hash, args.files, args.download)
    if not _has_target():
        print(
            "no DynamoDB to check: start `make run` (it writes var/run/endpoint), set AWS_ENDPOINT_URL, or set "
            "HUIXIANG_STAGE with AWS credentials for a deployed stage",
            file=sys.stderr,
        )
        return 2
    tenants = args.tenant or known_tenants()
    lines, checked, companies = verify_tenants(tenants)
    for line in lines:
        print(line)
    print(
        f"{checked} campaign chain(s) of {companies} compan{'y' if companies == 1 else 'ies'} checked: "
        f"{checked - len(lines)} verified, {len(lines)} broken"
    )
    return 1 if lines else 0


if __name__ == "__main__":
    if __package__ in (None, "") and (ROOT / "chalicelib").is_dir():
        sys.path.insert(0, str(ROOT))
    sys.exit(main())
