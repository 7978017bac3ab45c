"""The audit trail: entries chained by SHA-256 exactly as API.md defines it, checkable offline."""

import hashlib
import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from chalicelib.domain.audit import (
    ACTIONS,
    ACTOR_ROLES,
    GENESIS_HASH,
    SYSTEM_ACTOR,
    Actor,
    AuditEntry,
    Person,
    actor_of,
    diff,
    next_entry,
    verify,
)

REP = actor_of("u1", "李雷", "rep")
DELEGATE = actor_of("m2", "韩梅梅", "manager", acting_for=Person("m1", "王经理"))


def chain(n: int) -> list[AuditEntry]:
    entries, prev = [], None
    for i in range(n):
        prev = next_entry(
            prev,
            f"2026-11-23T08:00:{i:02d}.000Z",
            REP if i % 2 else SYSTEM_ACTOR,
            ACTIONS[i % len(ACTIONS)],
            {"amount": [i, i + 1]} if i % 3 else None,
        )
        entries.append(prev)
    return entries


def as_api_json(entries: list[AuditEntry]) -> list[dict]:
    """What a client receives: the items through a JSON round trip."""
    return json.loads(json.dumps([e.as_dict() for e in entries], ensure_ascii=False))


def test_the_hash_of_a_fixed_entry_is_the_sha256_of_its_canonical_json_computed_independently():
    # GIVEN the first entry of a chain: a rep submits, with a change and non-ASCII text
    entry = next_entry(None, "2026-11-23T08:00:00.000Z", REP, "submitted", {"status": ["draft", "submitted"]})
    # THEN its hash is SHA-256 over exactly this text: sorted keys, no spaces, Chinese kept as UTF-8
    text = (
        '{"action":"submitted","actor":{"id":"u1","name":"李雷","role":"rep"},"at":"2026-11-23T08:00:00.000Z",'
        '"changes":{"status":["draft","submitted"]},'
        '"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","seq":1}'
    )
    assert entry.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert (
        entry.hash
        == hashlib.sha256(
            json.dumps(
                {k: v for k, v in entry.as_dict().items() if k != "hash"},
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
            ).encode("utf-8")
        ).hexdigest()
    )
    assert len(entry.hash) == 64 and entry.hash == entry.hash.lower()


def test_the_first_entry_links_to_64_zeros_and_each_next_one_to_the_hash_before_it():
    entries = chain(5)
    assert entries[0].prev_hash == GENESIS_HASH == "0" * 64
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(entries))


def test_a_whole_chain_verifies_from_the_json_the_api_returns():
    entries = chain(50)
    assert verify(entries)
    assert verify(as_api_json(entries))
    assert verify([])


@pytest.mark.parametrize(
    "tamper",
    [
        lambda items: items[3].update(action="rejected"),
        lambda items: items[3]["actor"].update(name="someone else"),
        lambda items: items[4]["changes"].update(amount=[0, 999]),
        lambda items: items[4].pop("changes"),
        lambda items: items[2].update(at="2026-11-24T00:00:00.000Z"),
        lambda items: items[5].update(hash="f" * 64),
        lambda items: items[5].update(prev_hash=GENESIS_HASH),
        lambda items: items.pop(3),  # a deleted entry leaves a gap
        lambda items: items.insert(2, items.pop(3)),  # reordered
        lambda items: items[6].update(seq=8),
        lambda items: items[0].update(seq=True),
    ],
)
def test_any_edit_deletion_or_reordering_breaks_verification(tamper):
    items = as_api_json(chain(8))
    tamper(items)
    assert not verify(items)


def test_a_rewritten_tail_is_caught_because_each_hash_covers_the_previous_one():
    entries = chain(6)
    forged = next_entry(entries[2], entries[3].at, REP, "approved")
    assert not verify(entries[:3] + [forged] + entries[4:])


def test_a_later_page_verifies_from_the_last_entry_trusted():
    entries = chain(10)
    assert verify(entries[4:], first_seq=5, prev_hash=entries[3].hash)
    assert not verify(entries[4:])


def test_the_system_actor_is_exactly_id_system_role_system():
    entry = next_entry(None, "2026-11-23T08:00:00.000Z", SYSTEM_ACTOR, "settlement_unlocked")
    assert entry.as_dict()["actor"] == {"id": "system", "role": "system"}


def test_optional_keys_are_left_out_of_the_hashed_json_when_absent():
    plain = next_entry(None, "2026-11-23T08:00:00.000Z", REP, "submitted").as_dict()
    assert "changes" not in plain and "acting_for" not in plain["actor"]
    assert "changes" not in next_entry(None, "2026-11-23T08:00:00.000Z", REP, "submitted", {}).as_dict()
    acting = next_entry(None, "2026-11-23T08:00:00.000Z", DELEGATE, "approval_step").as_dict()
    assert acting["actor"] == {
        "id": "m2",
        "name": "韩梅梅",
        "role": "manager",
        "acting_for": {"id": "m1", "name": "王经理"},
    }
    assert set(acting) == {"seq", "at", "actor", "action", "prev_hash", "hash"}


def test_an_entry_survives_a_round_trip_through_its_dict():
    for entry in chain(6) + [next_entry(None, "2026-11-23T08:00:00.000Z", DELEGATE, "approved")]:
        again = AuditEntry.from_dict(json.loads(json.dumps(entry.as_dict())))
        assert again == entry and verify([again]) == (entry.seq == 1)


def test_every_action_of_the_contract_is_known_and_nothing_else():
    """The trail writes exactly the actions openapi.yaml promises a client (AuditAction), so a new
    action cannot reach a generated client's strict enum unannounced."""
    contract = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text(encoding="utf-8"))
    assert list(ACTIONS) == contract["components"]["schemas"]["AuditAction"]["enum"]
    assert list(ACTOR_ROLES) == contract["components"]["schemas"]["AuditActorRole"]["enum"]
    with pytest.raises(ValueError):
        next_entry(None, "2026-11-23T08:00:00.000Z", REP, "deleted")
    with pytest.raises(ValueError):
        next_entry(None, "2026-11-23T08:00:00.000Z", Actor("x", "admin"), "created")


def test_diff_lists_only_the_fields_that_changed_as_old_new_pairs():
    old = {"title": "春节试饮", "requested_amount": 100_000, "location": {"lat": 31.2, "lon": 121.5}, "note": "x"}
    new = {"title": "春节试饮", "requested_amount": 80_000, "location": {"lat": 31.2, "lon": 121.6}, "end_date": "d"}
    assert diff(old, new) == {
        "end_date": [None, "d"],
        "location": [old["location"], new["location"]],
        "note": ["x", None],
        "requested_amount": [100_000, 80_000],
    }
    assert diff(old, dict(old)) == {}


def test_floats_are_recorded_as_their_decimal_text_so_every_verifier_hashes_the_same_bytes():
    entry = next_entry(
        None,
        "2026-11-23T08:00:00.000Z",
        REP,
        "edited",
        diff({"location": {"lat": 31.0}}, {"location": {"lat": 31.2304}}),
    )
    assert entry.changes == {"location": [{"lat": "31.0"}, {"lat": "31.2304"}]}
    assert verify(as_api_json([entry]))
    from_store = next_entry(
        None,
        "2026-11-23T08:00:00.000Z",
        REP,
        "edited",
        {"amount": [Decimal("100"), Decimal("80")], "lat": [Decimal("31.23040"), None]},
    )
    assert from_store.changes == {"amount": [100, 80], "lat": ["31.2304", None]}
    with pytest.raises(ValueError):
        next_entry(None, "2026-11-23T08:00:00.000Z", REP, "edited", {"x": [float("nan"), 1]})
    with pytest.raises(ValueError):
        next_entry(None, "2026-11-23T08:00:00.000Z", REP, "edited", {"x": [object(), 1]})
