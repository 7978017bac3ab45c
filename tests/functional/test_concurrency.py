"""Racing state changes are conditional writes: exactly one of two wins."""

from __future__ import annotations

import threading

from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Conflict


def race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, fn):
        barrier.wait()
        try:
            outcomes[i] = ("ok", fn())
        except Conflict as exc:
            outcomes[i] = ("conflict", exc.code)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_two_finance_users_settling_at_once_exactly_one_succeeds(flow, company):
    from chalicelib.logic.settlement import settle

    a = Principal(company.sub("finance"), "finance", company.root)
    b = Principal("fin2-" + company.root, "finance", company.root)
    for _ in range(5):
        c = flow.approved(amount=100000)
        cid = c["id"]
        outcomes = race(lambda cid=cid: settle(a, cid, None, "a"), lambda cid=cid: settle(b, cid, None, "b"))
        kinds = sorted(o[0] for o in outcomes)
        assert kinds == ["conflict", "ok"], outcomes
        assert [o[1] for o in outcomes if o[0] == "conflict"] == ["already_reimbursed"]
        assert flow.campaign(c["id"])["reimbursement"]["amount"] == 100000


def test_two_managers_approving_at_once_exactly_one_decides(flow, company):
    from chalicelib.logic.campaigns import approve_campaign

    m1 = Principal(company.sub("manager"), "manager", company.east)
    m2 = Principal(company.sub("province_manager"), "manager", company.js)
    c = flow.submitted()
    outcomes = race(
        lambda: approve_campaign(m1, c["id"], 1000, None), lambda: approve_campaign(m2, c["id"], 2000, None)
    )
    assert sorted(o[0] for o in outcomes) == ["conflict", "ok"], outcomes
    winner = next(o[1] for o in outcomes if o[0] == "ok")
    assert flow.campaign(c["id"])["approved_amount"] == winner.approved_amount


def test_two_submits_of_feedback_at_once_make_two_distinct_revisions(api, flow, company):
    from chalicelib.logic.feedback import submit_feedback

    rep = Principal(company.sub("rep"), "rep", company.js)
    c = flow.approved()
    values = {"actual_spend": 10, "actual_sales": 20}
    outcomes = race(lambda: submit_feedback(rep, c["id"], values), lambda: submit_feedback(rep, c["id"], values))
    assert [o[0] for o in outcomes] == ["ok", "ok"]
    revisions = api.get(f"/campaigns/{c['id']}/feedback/revisions", company.rep).json["items"]
    assert sorted(r["revision"] for r in revisions) == [1, 2]
    assert flow.campaign(c["id"])["feedback"]["revision"] == 2


def test_racing_claims_of_one_invoice_make_exactly_one_and_the_ledger_agrees(api, flow, company):
    """Twelve claims of one invoice on six campaigns (each twice, so a campaign's own version
    races too): one 201, every other answer invoice_already_claimed, one ledger item, and the
    campaign it names is the only one listing it."""
    from chalicelib.dal import repos
    from chalicelib.logic.invoices import claim_invoice

    rep = Principal(company.sub("rep"), "rep", company.js, name="Li Lei")
    qr = "01,04,3200162130,55001234,66.00,20261102,,4FD5"
    campaigns = [flow.approved()["id"] for _ in range(6)]
    outcomes = race(*[lambda cid=cid: claim_invoice(rep, cid, {"qr": qr}) for cid in campaigns * 2])
    assert sorted(o[0] for o in outcomes) == ["conflict"] * 11 + ["ok"], outcomes
    assert {o[1] for o in outcomes if o[0] == "conflict"} == {"invoice_already_claimed"}
    holder = repos.invoices().holder(company.root, "3200162130-55001234")
    winner = next(o[1] for o in outcomes if o[0] == "ok")
    assert holder is not None and holder.campaign_id == winner.campaign_id and holder.id == winner.id
    listing = {cid: api.get(f"/campaigns/{cid}/invoices", company.rep).json for cid in campaigns}
    assert {cid for cid, page in listing.items() if page["items"]} == {winner.campaign_id}
    assert listing[winner.campaign_id]["total"] == 6600


def test_a_claim_racing_a_cancellation_is_released_or_refused_never_stranded(api, flow, company):
    """Whichever wins, the invoice is never left claimed by a cancelled campaign: claimed first,
    the cancel (re-read after losing the version race) releases it; cancelled first, the claim
    is refused invalid_state."""
    from chalicelib.dal import repos
    from chalicelib.logic.campaigns import cancel_campaign
    from chalicelib.logic.invoices import claim_invoice

    rep = Principal(company.sub("rep"), "rep", company.js, name="Li Lei")
    for n in range(4):
        cid = flow.approved()["id"]
        qr = f"01,04,3200162130,{56001000 + n:08d},10.00,20261102,,4FD5"
        outcomes = race(
            lambda cid=cid, qr=qr: claim_invoice(rep, cid, {"qr": qr}), lambda cid=cid: cancel_campaign(rep, cid, "x")
        )
        assert outcomes[1][0] == "ok", outcomes  # the cancellation always goes through
        assert outcomes[0][0] == "ok" or outcomes[0] == ("conflict", "invalid_state"), outcomes
        assert repos.invoices().holder(company.root, f"3200162130-{56001000 + n:08d}") is None
        assert flow.campaign(cid)["reimbursement"]["invoice_total"] == 0
