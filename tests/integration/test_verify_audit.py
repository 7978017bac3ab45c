"""`python -m tools.verify_audit`: every campaign chain of a company verified as the audit route
verifies it, against DynamoDB (moto), with entries tampered with and cut off through the raw
client, as only someone going around the code could; and a trail exported from the API,
verified by the tool alone with nothing but the standard library."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_budget as budget
from tools import verify_audit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(verify_audit, "RE_READ_PAUSE_S", 0)


def trail(api, company, campaign_id: str, limit: int = 200) -> list[dict]:
    """Every page of GET /campaigns/{id}/audit, as an auditor saves them."""
    pages, cursor = [], None
    while True:
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        r = api.get(f"/campaigns/{campaign_id}/audit{query}", company.leader)
        assert r.status_code == 200, r.json
        pages.append(r.json)
        if (cursor := r.json["next_cursor"]) is None:
            return pages


def raw():
    from chalicelib.config import settings
    from chalicelib.dal.clients import dynamodb

    return dynamodb(), settings().audit_table


def stored_entry(campaign_id: str, seq: int) -> dict:
    client, table = raw()
    item = client.get_item(
        TableName=table, Key={"campaign_id": {"S": campaign_id}, "seq": {"N": str(seq)}}, ConsistentRead=True
    )["Item"]
    return json.loads(item["entry"]["S"])


def overwrite_entry(campaign_id: str, seq: int, entry: dict) -> None:
    """Change a stored entry in place, going around the code (which only ever inserts)."""
    client, table = raw()
    client.update_item(
        TableName=table,
        Key={"campaign_id": {"S": campaign_id}, "seq": {"N": str(seq)}},
        UpdateExpression="SET #e = :e",
        ExpressionAttributeNames={"#e": "entry"},
        ExpressionAttributeValues={":e": {"S": json.dumps(entry, ensure_ascii=False)}},
    )


def delete_entry(campaign_id: str, seq: int) -> None:
    client, table = raw()
    client.delete_item(TableName=table, Key={"campaign_id": {"S": campaign_id}, "seq": {"N": str(seq)}})


def run(capsys, *argv: str) -> tuple[int, list[str]]:
    capsys.readouterr()  # what the API logged before: not the tool's
    code = verify_audit.main(list(argv))
    return code, capsys.readouterr().out.strip().splitlines()


@pytest.fixture
def three(api, company, flow):
    """An approved campaign with a budget reserved (5 entries), an edited draft, a bare draft."""
    budget(api, company)
    approved = flow.approved(amount=180_000)
    edited = flow.draft()
    r = api.patch(f"/campaigns/{edited['id']}", company.rep, {"title": "周末品鉴 Suguo 新街口"})
    assert r.status_code == 200, r.json
    return approved, edited, flow.draft()


def test_every_chain_of_a_sound_company_verifies(capsys, company, three):
    code, out = run(capsys, "--tenant", company.root)
    assert code == 0, out
    assert out == ["3 campaign chain(s) of 1 company checked: 3 verified, 0 broken"]


def test_a_tampered_entry_is_found_as_the_route_finds_it(api, capsys, company, three):
    approved = three[0]
    # GIVEN somebody raises the approved amount recorded in the `approved` entry, in the table itself
    seq = next(e["seq"] for e in trail(api, company, approved["id"])[0]["items"] if e["action"] == "approved")
    entry = stored_entry(approved["id"], seq)
    assert entry["changes"]["approved_amount"] == [None, 180_000]
    entry["changes"]["approved_amount"][1] = 1_800_000
    overwrite_entry(approved["id"], seq, entry)
    # THEN the route says so, and the tool says the same, naming the entry
    assert trail(api, company, approved["id"])[0]["verified"] is False
    code, out = run(capsys, "--tenant", company.root)
    assert code == 1
    assert out == [
        f"BROKEN {company.root} {approved['id']} {company.js}: seq {seq}: its hash does not recompute "
        "(the entry was changed after it was written)",
        "3 campaign chain(s) of 1 company checked: 2 verified, 1 broken",
    ]


def test_a_chain_cut_short_is_found(api, capsys, company, three):
    approved, edited, _ = three
    # GIVEN the last entry of two chains is deleted in the table: every remaining hash still recomputes
    for c in (approved, edited):
        last = trail(api, company, c["id"])[0]["items"][-1]["seq"]
        delete_entry(c["id"], last)
        pages = trail(api, company, c["id"])
        assert pages[0]["items"][-1]["seq"] == last - 1 and pages[0]["verified"] is False
    # THEN only the campaign's head shows it, and the tool reports both
    code, out = run(capsys, "--tenant", company.root)
    assert code == 1
    assert sorted(out[:-1]) == sorted(
        f"BROKEN {company.root} {c['id']} {company.js}: the trail ends at seq {n - 1} but the chain's head is seq {n}: "
        "the last 1 entry is missing"
        for c, n in ((approved, 5), (edited, 2))
    )
    assert out[-1] == "3 campaign chain(s) of 1 company checked: 1 verified, 2 broken"


def test_a_chain_that_grows_while_it_is_read_is_read_again_not_reported(capsys, company, three, monkeypatch):
    answers = iter([False, True])
    real = verify_audit.verified_as_the_route_does
    monkeypatch.setattr(
        verify_audit,
        "verified_as_the_route_does",
        lambda tenant, cid: next(answers, None) if cid == three[2]["id"] else real(tenant, cid),
    )
    code, out = run(capsys, "--tenant", company.root)
    assert code == 0 and out[-1].endswith("3 verified, 0 broken"), out


def test_without_a_tenant_every_company_the_rollups_know_is_checked(capsys, company, flow, streams, monkeypatch):
    from tests.functional.test_evaluation import sync

    flow.approved()
    sync(streams, company)
    assert company.root in verify_audit.known_tenants()
    # (the session's other companies are other tests' business: check ours and one without campaigns)
    monkeypatch.setattr(verify_audit, "known_tenants", lambda: [company.root, "NOBODY" + company.root])
    code, out = run(capsys)
    assert code == 0 and out == ["1 campaign chain(s) of 2 companies checked: 1 verified, 0 broken"]


def test_the_command_line_exits_1_on_a_broken_chain(api, company, three):
    delete_entry(three[1]["id"], 2)
    out = subprocess.run(
        [sys.executable, "-m", "tools.verify_audit", "--tenant", company.root],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"BROKEN {company.root} {three[1]['id']}" in out.stdout and out.stdout.strip().endswith("1 broken")


# -- a trail exported from the API, verified offline --------------------------------------------------
def offline(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    """The tool copied alone and run with the standard library only (-I: no user paths, -S: no site-packages)."""
    tool = tmp_path / "verify_audit.py"
    shutil.copy(ROOT / "tools" / "verify_audit.py", tool)
    return subprocess.run(
        [sys.executable, "-I", "-S", str(tool), *argv], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


def save(tmp_path: Path, name: str, data) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return str(path)


def test_an_exported_trail_verifies_offline_and_every_kind_of_fault_in_it_is_found(api, company, flow, tmp_path):
    budget(api, company)
    c = flow.approved(amount=180_000, title="周末品鉴 Suguo")
    pages = trail(api, company, c["id"], limit=2)
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    items = [i for p in pages for i in p["items"]]
    head = items[-1]["hash"]
    # the pages as saved, a list of pages, or a bare list of entries: all verify, and the last hash is printed
    ok = offline(tmp_path, "--file", save(tmp_path, "trail.json", pages), "--head", head, "--seq", "5")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().endswith(f"5 entries in 3 page(s), seq 1..5: verified; last hash {head}")
    assert offline(tmp_path, "--file", save(tmp_path, "entries.json", items)).returncode == 0
    files = [save(tmp_path, f"page{n}.json", p) for n, p in enumerate(pages, start=1)]
    assert offline(tmp_path, "--file", *files).returncode == 0

    def broken(name: str, data, *argv: str) -> list[str]:
        out = offline(tmp_path, "--file", save(tmp_path, name, data), *argv)
        assert out.returncode == 1, out.stdout + out.stderr
        return [line.split(": ", 1)[1] for line in out.stdout.splitlines() if line.startswith("BROKEN")]

    # a field changed in an exported entry
    changed = json.loads(json.dumps(pages))
    changed[0]["items"][1]["actor"]["name"] = "Somebody Else"
    assert broken("changed.json", changed) == [
        "seq 2: its hash does not recompute (the entry was changed after it was written)"
    ]
    # an entry left out of the middle
    gap = [{"items": items[:2] + items[3:], "next_cursor": None}]
    assert broken("gap.json", gap) == [
        "seq 4: follows seq 2, 1 entry missing",
        "seq 4: prev_hash is not the hash of the entry before",
    ]
    # the last page not saved: the page before says more follows
    assert broken("short.json", pages[:2]) == [
        f"the export stops early: its last page says more follows (next_cursor '{pages[1]['next_cursor']}')"
    ]
    # entries cut off the end (the pages rebuilt to look whole): only the head known from elsewhere shows it
    cut = [{"items": items[:4], "next_cursor": None}]
    assert offline(tmp_path, "--file", save(tmp_path, "cut.json", cut)).returncode == 0
    assert broken("cut.json", cut, "--head", head) == [
        "the last entry (seq 4) is not the chain's head: its hash differs"
    ]
    assert broken("cut.json", cut, "--seq", "5") == [
        "the trail ends at seq 4 but the chain's head is seq 5: the last 1 entry is missing"
    ]
    # an entry whose hash was recomputed after the change: the next one no longer links to it
    relinked = json.loads(json.dumps(items))
    relinked[2]["at"] = "2026-01-01T00:00:00.000Z"
    relinked[2]["hash"] = verify_audit.entry_hash(relinked[2])
    assert broken("relinked.json", relinked) == ["seq 4: prev_hash is not the hash of the entry before"]


def test_an_export_the_api_itself_did_not_verify_is_broken_offline_too(api, company, flow, tmp_path):
    c = flow.submitted()
    delete_entry(c["id"], 2)  # cut in the table: what remains is a sound chain of one
    pages = trail(api, company, c["id"])
    assert pages[0]["verified"] is False
    out = offline(tmp_path, "--file", save(tmp_path, "trail.json", pages))
    assert out.returncode == 1
    assert "the API said verified: false when it was exported" in out.stdout


def test_an_unreadable_file_is_said_and_exits_2(tmp_path):
    (tmp_path / "nonsense.json").write_text('{"not": "a trail"}')
    out = offline(tmp_path, "--file", str(tmp_path / "nonsense.json"))
    assert out.returncode == 2 and "neither a page" in out.stderr
    assert offline(tmp_path, "--file", str(tmp_path / "missing.json")).returncode == 2
    (tmp_path / "empty.json").write_text("[]")
    assert offline(tmp_path, "--file", str(tmp_path / "empty.json")).returncode == 2


def test_the_offline_check_agrees_with_the_domain_on_every_fault():
    """The standard-library check and chalicelib.domain.audit.verify give the same verdict."""
    from chalicelib.domain.audit import SYSTEM_ACTOR, actor_of, next_entry, verify

    chain, prev = [], None
    for action, who, changes in (
        ("created", actor_of("u1", "李雷", "rep"), {"title": [None, "品鉴"]}),
        ("submitted", actor_of("u1", "李雷", "rep"), None),
        ("approved", actor_of("m1", "Zhao", "manager"), {"approved_amount": [None, 5]}),
        ("settlement_unlocked", SYSTEM_ACTOR, {"lat": [None, 31.2304]}),
    ):
        prev = next_entry(prev, "2026-11-01T00:00:00.000Z", who, action, changes)
        chain.append(prev.as_dict())

    def variants():
        yield chain
        yield chain[:-1]
        yield chain[1:]
        yield [chain[0], chain[2], chain[1], chain[3]]
        for i in range(len(chain)):
            for key, value in (
                ("seq", 9),
                ("seq", True),
                ("action", "rejected"),
                ("prev_hash", "1" * 64),
                ("hash", "0" * 64),
                ("at", "2027-01-01T00:00:00.000Z"),
            ):
                altered = json.loads(json.dumps(chain, ensure_ascii=False))
                altered[i][key] = value
                yield altered

    for items in variants():
        assert verify(items) == (verify_audit.chain_problems(items) == []), items


def test_the_snippet_in_docs_audit_md_verifies_an_export_and_stops_at_a_fault(api, company, flow, tmp_path):
    import re

    (snippet,) = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "audit.md").read_text(encoding="utf-8"), re.S)
    assert len(snippet.strip().splitlines()) <= 10
    (tmp_path / "check.py").write_text(snippet, encoding="utf-8")
    c = flow.approved(title="周末品鉴 Suguo")
    pages = trail(api, company, c["id"], limit=2)

    def check(data) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-I", "-S", str(tmp_path / "check.py"), save(tmp_path, "t.json", data)],
            capture_output=True,
            text=True,
            timeout=60,
        )

    ok = check(pages)
    assert ok.returncode == 0 and ok.stdout.strip() == f"4 entries verified; last hash {pages[-1]['items'][-1]['hash']}"
    pages[1]["items"][0]["action"] = "rejected"
    bad = check(pages)
    assert bad.returncode == 1 and "broken at entry 3 (seq 3)" in bad.stderr
