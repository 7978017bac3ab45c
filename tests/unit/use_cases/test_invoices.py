"""The invoice use cases (logic/invoices.py, settlement and cancellation with invoices) against
the in-memory storage: claimed once company-wide, released on delete or cancel, settled for
good with the settlement, and racing claims of one invoice making exactly one."""

from __future__ import annotations

import threading

import pytest

from chalicelib.dal import repos
from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.invoices import MAX_PER_CAMPAIGN
from chalicelib.logic import campaigns, invoices, settlement
from tests import corpus as C
from tests.unit.use_cases.builders import (
    FINANCE,
    LEADER,
    REGION,
    REP,
    application,
    approved,
    feedback_in,
    unlock,
)
from tests.unit.use_cases.builders import REP_WEST as REP2

QR = "01,10,032001900111,12345678,1234.56,20261101,12345678901234567890,8A3C,"
KEY = "032001900111-12345678"
OTHER_COMPANY = Principal("rep-x", "rep", "US/WEST", name="Someone else")


def qr(number: int, amount: str = "100.00") -> str:
    return f"01,04,3200162130,{number:08d},{amount},20261102,,4FD5"


def actions(campaign_id: str) -> list[str]:
    return [e["action"] for e in repos.audit().entries(campaign_id)]


def test_a_claimed_invoice_is_listed_totalled_and_recorded():
    c = approved()
    i = invoices.claim_invoice(REP, c.id, {"qr": QR})
    assert (i.key, i.fields.amount, i.source, i.status) == (KEY, 123456, "qr", "claimed")
    assert i.flags == {"issued_before_campaign": False}
    found, total = invoices.list_invoices(LEADER, c.id)
    assert [x.id for x in found] == [i.id] and total == 123456
    assert repos.campaigns().get(c.id).invoice_total == 123456
    last = repos.audit().entries(c.id)[-1]
    assert last["action"] == "invoice_claimed"
    assert last["changes"]["invoice"] == [None, KEY] and last["changes"]["invoice_total"] == [0, 123456]


def test_an_invoice_is_claimed_once_in_the_company_and_the_409_names_only_a_visible_campaign():
    mine, mine_too, theirs = approved(), approved(), approved(owner=REP2, approver=LEADER)
    invoices.claim_invoice(REP, mine.id, {"qr": QR})
    for campaign in (mine, mine_too):  # the same campaign included
        with pytest.raises(Conflict) as err:
            invoices.claim_invoice(REP, campaign.id, {"qr": QR})
        assert err.value.code == "invoice_already_claimed" and err.value.details == {
            "claimed_on": {"campaign_id": mine.id}
        }
    with pytest.raises(Conflict) as hidden:
        invoices.claim_invoice(REP2, theirs.id, {"qr": QR})  # another rep's campaign holds it
    assert hidden.value.code == "invoice_already_claimed" and hidden.value.details == {}
    assert mine.id not in hidden.value.message


def test_another_company_claiming_the_same_invoice_is_none_of_this_ones_business():
    c = approved()
    invoices.claim_invoice(REP, c.id, {"qr": QR})
    theirs = campaigns.create_campaign(OTHER_COMPANY, application())
    theirs = campaigns.submit_campaign(OTHER_COMPANY, theirs.id)
    theirs = campaigns.approve_campaign(Principal("lead-x", "leader", "US", name="L"), theirs.id, 1000, None)
    assert invoices.claim_invoice(OTHER_COMPANY, theirs.id, {"qr": QR}).key == KEY


def test_a_typed_invoice_and_its_qr_are_one_invoice():
    a, b = approved(), approved()
    typed = {"type": "10", "code": "032001900111", "number": "12345678", "amount": 123456, "issued_on": "2026-11-01"}
    assert invoices.claim_invoice(REP, a.id, typed).source == "manual"
    with pytest.raises(Conflict):
        invoices.claim_invoice(REP, b.id, {"qr": QR})


def test_a_deleted_invoice_may_be_claimed_again():
    a, b = approved(), approved()
    i = invoices.claim_invoice(REP, a.id, {"qr": QR})
    invoices.delete_invoice(REP, a.id, i.id)
    assert invoices.list_invoices(REP, a.id) == ([], 0)
    assert actions(a.id)[-1] == "invoice_released"
    assert invoices.claim_invoice(REP, b.id, {"qr": QR}).campaign_id == b.id
    with pytest.raises(NotFound):
        invoices.delete_invoice(REP, a.id, i.id)


def test_cancelling_a_campaign_releases_every_invoice_it_held_in_one_entry():
    a, b = approved(), approved()
    for n in range(3):
        invoices.claim_invoice(REP, a.id, {"qr": qr(n)})
    campaigns.cancel_campaign(REP, a.id, "not needed")
    assert repos.campaigns().get(a.id).invoices == []
    assert actions(a.id)[-2:] == ["cancelled", "invoice_released"]  # unbudgeted: nothing else to release
    released = repos.audit().entries(a.id)[-1]["changes"]
    assert len(released["invoices"][0]) == 3 and released["invoice_total"] == [30000, 0]
    assert invoices.claim_invoice(REP, b.id, {"qr": qr(0)}).campaign_id == b.id


def test_settlement_settles_the_invoices_for_good():
    c, other = approved(), approved()
    i = invoices.claim_invoice(REP, c.id, {"qr": QR})
    settlement.settle(FINANCE, c.id, None, None)
    assert repos.invoices().holder("CN", KEY).status == "settled"
    assert invoices.list_invoices(FINANCE, c.id)[0][0].status == "settled"
    assert actions(c.id)[-1] == "invoices_settled"
    with pytest.raises(Conflict) as err:
        invoices.delete_invoice(REP, c.id, i.id)
    assert err.value.code == "invoice_settled"
    with pytest.raises(Conflict) as again:
        invoices.claim_invoice(REP, other.id, {"qr": QR})
    assert again.value.code == "invoice_already_claimed"
    with pytest.raises(Conflict) as late:
        invoices.claim_invoice(REP, c.id, {"qr": qr(7)})
    assert late.value.code == "invalid_state"


def test_where_invoices_are_required_settlement_pays_no_more_than_they_prove():
    settlement.set_settlement_policy(LEADER, True)
    assert settlement.get_settlement_policy(REGION).invoices_required is True
    c = approved(180000)
    feedback_in(c.id, spend=150000)
    unlock(c.id)
    with pytest.raises(Conflict) as none:
        settlement.settle(FINANCE, c.id, None, None)
    assert none.value.code == "invoices_short" and none.value.details == {"invoice_total": 0}
    invoices.claim_invoice(REP, c.id, {"qr": qr(1, "800.00")})
    invoices.claim_invoice(REP, c.id, {"qr": qr(2, "400.00")})
    with pytest.raises(Conflict) as short:
        settlement.settle(FINANCE, c.id, 120001, None)
    assert short.value.details == {"invoice_total": 120000}
    assert settlement.settle(FINANCE, c.id, None, None).reimbursed_amount == 120000  # min(180000, 150000, 120000)


def test_only_the_settlement_policys_roles_set_and_read_it():
    with pytest.raises(Forbidden):
        settlement.set_settlement_policy(REGION, True)
    with pytest.raises(Forbidden):
        settlement.get_settlement_policy(REP)
    assert settlement.get_settlement_policy(FINANCE).invoices_required is False  # the default
    assert settlement.set_settlement_policy(FINANCE, True).by.id == FINANCE.sub


def test_only_the_owner_claims_and_only_on_an_approved_unsettled_campaign():
    c = approved()
    with pytest.raises(Forbidden):
        invoices.claim_invoice(REGION, c.id, {"qr": QR})
    with pytest.raises(Forbidden):
        invoices.claim_invoice(FINANCE, c.id, {"qr": QR})
    draft = campaigns.create_campaign(REP, application())
    with pytest.raises(Conflict) as err:
        invoices.claim_invoice(REP, draft.id, {"qr": QR})
    assert err.value.code == "invalid_state"


def test_a_campaign_holds_at_most_fifty_invoices():
    c = approved()
    for n in range(MAX_PER_CAMPAIGN):
        invoices.claim_invoice(REP, c.id, {"qr": qr(n)})
    with pytest.raises(InvalidInput) as err:
        invoices.claim_invoice(REP, c.id, {"qr": qr(99)})
    assert err.value.errors[0]["field"] == "qr" and err.value.errors[0]["code"] == "too_many_invoices"
    assert repos.invoices().holder("CN", f"3200162130-{99:08d}") is None  # nothing half-written
    settled = settlement.settle(FINANCE, c.id, None, None)  # fifty invoices settle in one unit of work
    assert all(i.status == "settled" for i in invoices.list_invoices(FINANCE, settled.id)[0])


# -- claims from the upload checker's reading ------------------------------------------------------
def upload(campaign_id: str, data: bytes, filename: str, content_type: str):
    from chalicelib.logic import evidence
    from chalicelib.logic.uploads import UploadEvent, check_upload

    a, form = evidence.request_upload(REP, campaign_id, filename, content_type, len(data))
    stored = repos.objects().upload(form, data)
    check_upload(UploadEvent(stored["bucket"], stored["key"], stored["size"], stored["etag"]))
    return repos.evidence().get(campaign_id, a.id)


def test_an_invoice_is_claimed_from_the_qr_the_checker_read_in_a_photo():
    c = approved()
    a = upload(c.id, C.invoice_photo(C.INVOICE_QR, 2400), "invoice.jpg", "image/jpeg")
    assert a.status == "ready" and a.invoice_qr == C.INVOICE_QR.strip()
    i = invoices.claim_invoice(REP, c.id, {"attachment_id": a.id})
    assert (i.source, i.attachment_id, i.key) == ("attachment", a.id, KEY)


def test_an_attachment_without_a_qr_not_ready_or_of_another_campaign_is_refused_naming_it():
    from chalicelib.logic import evidence

    c, other = approved(), approved()
    plain = upload(c.id, C.jpeg(C.scene(1, (800, 600))), "shelf.jpg", "image/jpeg")
    pending, _ = evidence.request_upload(REP, c.id, "later.jpg", "image/jpeg", 1000)
    elsewhere = upload(other.id, C.invoice_pdf(C.INVOICE_QR), "invoice.pdf", "application/pdf")
    for attachment_id, code in (
        (plain.id, "no_invoice_qr"),
        (pending.id, "attachment_not_ready"),
        (elsewhere.id, "unknown_attachment"),
    ):
        with pytest.raises(InvalidInput) as err:
            invoices.claim_invoice(REP, c.id, {"attachment_id": attachment_id})
        assert [(e["field"], e["code"]) for e in err.value.errors] == [("attachment_id", code)]
    assert repos.campaigns().get(c.id).invoices == []


# -- races -------------------------------------------------------------------------------------------
def test_racing_claims_of_one_invoice_make_exactly_one():
    targets = [approved() for _ in range(8)]
    results: list[str] = []
    barrier = threading.Barrier(16)

    def claim(campaign_id: str) -> None:
        barrier.wait()
        try:
            invoices.claim_invoice(REP, campaign_id, {"qr": QR})
            results.append("claimed")
        except Conflict as err:
            results.append(err.code)

    threads = [threading.Thread(target=claim, args=(t.id,)) for t in targets * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("claimed") == 1 and results.count("invoice_already_claimed") == 15
    holders = [t.id for t in targets if repos.campaigns().get(t.id).invoices]
    assert holders == [repos.invoices().holder("CN", KEY).campaign_id]
