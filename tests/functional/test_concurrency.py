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
