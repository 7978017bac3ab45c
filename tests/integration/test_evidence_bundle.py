"""The evidence bundle (GET /campaigns/{id}/evidence) over HTTP and S3 (moto), scoped like its
campaign, and `make verify-audit FILE=bundle.json`: the tool copied alone, standard library only,
downloads the files beside the bundle, verifies the chain, the hashes the trail committed to and
the bytes themselves, and fails naming the attachment when one photo's bytes are changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests import corpus as C
from tests.conftest import business_date
from tests.functional.evidence_support import Evidence
from tests.integration.test_verify_audit import offline, save

STORE = {"lat": 32.0415, "lon": 118.7849}


def _exif_soon() -> str:
    return (dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(minutes=3)).strftime("%Y:%m:%d %H:%M:%S")


@pytest.fixture
def gathered(api, lambda_client, company, flow):
    """A campaign of today with a check-in, an attested photo declared by its hash, a plain
    photo, a PDF, a rejected upload and submitted feedback."""
    today = business_date().isoformat()
    c = flow.approved(start_date=today, end_date=today)
    ev = Evidence(api, lambda_client, company)
    visit = api.post(f"/campaigns/{c['id']}/visits", company.rep, STORE).json
    attested = C.jpeg(C.scene(21, (640, 480)), exif=C.exif(taken_at=_exif_soon(), lat=32.0416, lon=118.7850))
    asked = api.post(
        f"/campaigns/{c['id']}/attachments",
        company.rep,
        {
            "filename": "门头.jpg",
            "content_type": "image/jpeg",
            "size_bytes": len(attested),
            "visit_id": visit["id"],
            "sha256": hashlib.sha256(attested).hexdigest(),
        },
    )
    assert asked.status_code == 201, asked.json
    ev.post(asked.json["upload"], attested)
    ev.deliver(ev.event_for(f"uploads/{c['id']}/{asked.json['attachment']['id']}"))
    plain = ev.upload(c["id"], C.jpeg(C.scene(22, (640, 480))), filename="shelf.jpg")
    receipt = ev.upload(c["id"], C.pdf(), content_type="application/pdf", filename="receipt.pdf")
    rejected = ev.upload(c["id"], C.pdf(), content_type="image/jpeg", filename="liar.jpg")
    assert (plain["status"], receipt["status"], rejected["status"]) == ("ready", "ready", "rejected")
    flow.submit_feedback(c["id"])
    return {"campaign": c, "visit": visit, "attested": asked.json["attachment"]["id"], "bytes": attested}


def test_the_bundle_holds_everything_an_auditor_needs(api, company, gathered):
    c = gathered["campaign"]
    r = api.get(f"/campaigns/{c['id']}/evidence", company.finance)
    assert r.status_code == 200, r.json
    b = r.json
    assert set(b) == {"campaign", "feedback", "visits", "attachments", "invoices", "audit"}
    assert b["campaign"]["id"] == c["id"] and b["invoices"] == []
    assert b["feedback"]["submitted"]["revision"] == 1 and [f["revision"] for f in b["feedback"]["revisions"]] == [1]
    assert [v["id"] for v in b["visits"]] == [gathered["visit"]["id"]]
    ready = [a for a in b["attachments"] if a["status"] == "ready"]
    assert len(ready) == 3 and all(a["sha256"] and a["download_url"] for a in ready)
    mine = next(a for a in b["attachments"] if a["id"] == gathered["attested"])
    assert mine["attested"] is True and mine["sha256"] == hashlib.sha256(gathered["bytes"]).hexdigest()
    assert b["audit"]["verified"] is True
    actions = [e["action"] for e in b["audit"]["items"]]
    assert actions.count("attachment_ready") == 3 and "visit_recorded" in actions and "feedback_submitted" in actions


@pytest.mark.parametrize("who", ["rep", "province_manager", "manager", "leader", "finance"])
def test_the_bundle_is_scoped_like_its_campaign(api, company, flow, who):
    c = flow.approved()
    assert api.get(f"/campaigns/{c['id']}/evidence", getattr(company, who)).status_code == 200


@pytest.mark.parametrize("who", ["rep2", "west_manager", "rep_west"])
def test_nobody_outside_the_campaigns_scope_gets_its_bundle(api, company, flow, who):
    c = flow.approved()
    r = api.get(f"/campaigns/{c['id']}/evidence", getattr(company, who))
    assert r.status_code == 403 and c["title"] not in json.dumps(r.json)
    assert api.get("/campaigns/NO-SUCH/evidence", company.leader).status_code == 404


def test_a_bundle_verifies_offline_and_fails_naming_the_photo_whose_bytes_were_changed(
    api, company, gathered, tmp_path: Path
):
    c = gathered["campaign"]
    bundle = api.get(f"/campaigns/{c['id']}/evidence", company.finance).json
    path = save(tmp_path, "bundle.json", bundle)
    ok = offline(tmp_path, "--file", path, "--download")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "3 ready attachment(s), 3 re-hashed" in ok.stdout and ok.stdout.strip().endswith("verified")
    photo = next(tmp_path.glob(f"{gathered['attested']}*"))
    assert photo.name == f"{gathered['attested']}.jpg" and photo.read_bytes() == gathered["bytes"]
    # one photo's bytes changed (a pixel's worth): the tool names that attachment, and only it
    changed = bytearray(photo.read_bytes())
    changed[len(changed) // 2] ^= 0x01
    photo.write_bytes(bytes(changed))
    out = offline(tmp_path, "--file", path)
    assert out.returncode == 1, out.stdout + out.stderr
    broken = [line for line in out.stdout.splitlines() if line.startswith("BROKEN")]
    assert broken == [
        f"BROKEN {path}: attachment {gathered['attested']} (门头.jpg): "
        f"the bytes of {photo.name} are not the ones the trail committed to"
    ]


def test_a_bundle_whose_hash_or_trail_was_edited_does_not_verify(api, company, gathered, tmp_path: Path):
    c = gathered["campaign"]
    bundle = api.get(f"/campaigns/{c['id']}/evidence", company.finance).json
    other = json.loads(json.dumps(bundle))
    target = next(a for a in other["attachments"] if a["id"] == gathered["attested"])
    target["sha256"] = hashlib.sha256(b"another photo").hexdigest()
    out = offline(tmp_path, "--file", save(tmp_path, "swapped.json", other))
    assert out.returncode == 1
    assert f"attachment {gathered['attested']} (门头.jpg): its sha256 is not the one" in out.stdout
    # the trail's entry rewritten to commit to the other hash: its own hash no longer recomputes
    rewritten = json.loads(json.dumps(other))
    for e in rewritten["audit"]["items"]:
        if e["action"] == "attachment_ready" and e["changes"]["attachment_id"][1] == gathered["attested"]:
            e["changes"]["sha256"][1] = target["sha256"]
            seq = e["seq"]
    out = offline(tmp_path, "--file", save(tmp_path, "rewritten.json", rewritten))
    assert out.returncode == 1 and f"seq {seq}: its hash does not recompute" in out.stdout
    # a check-in the trail never recorded
    invented = json.loads(json.dumps(bundle))
    invented["visits"].append({**bundle["visits"][0], "id": "01INVENTEDVISIT00000000000"})
    out = offline(tmp_path, "--file", save(tmp_path, "invented.json", invented))
    assert out.returncode == 1 and "visit 01INVENTEDVISIT00000000000: no visit_recorded entry" in out.stdout
