"""The repositories against DynamoDB (moto) and in memory, side by side: conditions, versions,
units of work and every list access pattern must behave the same in both, because the use-case
tests run on the in-memory one."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

import pytest

from chalicelib.dal.keys import index_keys
from chalicelib.dal.memory import InMemoryStorage
from chalicelib.dal.storage import DynamoStorage
from chalicelib.domain.access import Scope
from chalicelib.domain.campaign import Campaign, RuleRef
from chalicelib.domain.errors import StaleWrite
from chalicelib.domain.feedback import FeedbackReport
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import PageRequest
from chalicelib.domain.search import CampaignFilters, FeedbackSearch, RequestSearch


def campaign(org: str, **kw) -> Campaign:
    base = dict(
        id=new_id(),
        org=org,
        owner_id="u-" + org,
        owner_name="Li",
        title="t",
        category="tasting",
        customer_id="K1",
        customer_name="k",
        start_date="2026-11-01",
        end_date="2026-11-03",
        expected_spend=100,
        expected_sales=500,
        requested_amount=100,
        created_at="2026-11-01T00:00:00.000Z",
        updated_at="2026-11-01T00:00:00.000Z",
    )
    base.update(kw)
    return Campaign(**base)


def test_a_campaign_round_trips(store, org):
    c = campaign(org, location={"address": "x", "lat": 32.5, "lon": 118.25}, rule=RuleRef("R1", "all", 7, 2))
    store.campaigns.insert(c)
    back = store.campaigns.get(c.id)
    assert replace(back, version=None) == replace(c, version=None)
    assert back.version == 1 and c.version == 1


def test_insert_never_overwrites(store, org):
    c = campaign(org)
    store.campaigns.insert(c)
    with pytest.raises(StaleWrite):
        store.campaigns.insert(replace(c, version=None, title="other"))
    assert store.campaigns.get(c.id).title == "t"


def test_a_write_based_on_a_stale_read_is_refused(store, org):
    c = store.campaigns.insert(campaign(org))
    a, b = store.campaigns.get(c.id), store.campaigns.get(c.id)
    a.title = "first"
    store.campaigns.save(a)
    b.title = "second"
    with pytest.raises(StaleWrite):
        store.campaigns.save(b)
    assert store.campaigns.get(c.id).title == "first"


def test_index_keys_put_a_campaign_in_exactly_the_worklists_it_belongs_to(org):
    c = campaign(org, status="approved", rule=RuleRef("R1", "all", 7))
    keys = index_keys(c)
    tenant = org.split("/")[0]
    assert keys["fbq_l1"] == f"awaiting|{tenant}" and keys["fbq_l3"] == f"awaiting|{org}"
    assert keys["fbq_sk"].startswith("2026-11-10#") and keys["fbd_l1"] is None
    c.feedback_revision, c.feedback_submitted_at = 1, "2026-11-05T00:00:00.000Z"
    keys = index_keys(c)
    assert keys["fbq_l2"] == f"submitted|{tenant}/EAST" and keys["fbd_l2"] == f"{tenant}/EAST"
    assert index_keys(campaign(org))["fbq_owner"] is None  # drafts are in no worklist


def test_the_org_index_selects_whole_subtrees(store, org):
    tenant = org.split("/")[0]
    inside = store.campaigns.insert(campaign(f"{tenant}/EAST/JS"))
    store.campaigns.insert(campaign(f"{tenant}/EASTERN/JS"))
    page = store.campaigns.list(Scope(tenant, f"{tenant}/EAST"), CampaignFilters(), PageRequest(10))
    assert [c.id for c in page.items] == [inside.id]


def test_a_list_reads_only_what_it_returns_from_its_index(org):
    """Read amplification 1: the subtree is a key condition, not a filter."""
    from chalicelib.dal.models import CampaignModel

    tenant = org.split("/")[0]
    store = DynamoStorage()
    for sub in ("EAST/JS", "EAST/ZJ", "WEST/SC", "WEST/CQ"):
        store.campaigns.insert(campaign(f"{tenant}/{sub}"))
    scanned = []

    def after_query(parsed=None, **_):
        scanned.append(parsed.get("ScannedCount"))

    events = CampaignModel._get_connection().connection.client.meta.events
    events.register("after-call.dynamodb.Query", after_query, unique_id="test-read-amplification")
    try:
        page = store.campaigns.list(Scope(tenant, f"{tenant}/WEST"), CampaignFilters(), PageRequest(10))
    finally:
        events.unregister("after-call.dynamodb.Query", unique_id="test-read-amplification")
    assert len(page.items) == 2 and scanned == [2]


def test_a_unit_of_work_is_all_or_nothing(store, org):
    c = store.campaigns.insert(campaign(org, status="approved", approved_amount=100))
    report = FeedbackReport(
        campaign_id=c.id,
        author_id="u",
        author_name="",
        status="submitted",
        created_at="x",
        updated_at="x",
        revision=1,
        actual_spend=5,
        actual_sales=9,
    )
    c.feedback_revision = 1
    with store.unit_of_work() as uow:
        uow.feedback.insert_revision(report)
        uow.campaigns.save(c)
    assert c.version == 2
    # GIVEN someone else already wrote revision 1, WHEN a stale submit tries again
    stale = store.campaigns.get(c.id)
    stale.version -= 1
    stale.title = "should not stick"
    with pytest.raises(StaleWrite):
        with store.unit_of_work() as uow:
            uow.feedback.insert_revision(replace(report, actual_spend=999))
            uow.campaigns.save(stale)
    # THEN neither the revision nor the campaign changed
    assert store.feedback.latest_submitted(c.id).actual_spend == 5
    assert store.campaigns.get(c.id).title == "t"


def test_a_unit_of_work_with_one_losing_write_changes_nothing(store, org):
    c = store.campaigns.insert(campaign(org, status="approved", approved_amount=100))
    first = FeedbackReport(
        campaign_id=c.id,
        author_id="u",
        author_name="",
        status="submitted",
        created_at="x",
        updated_at="x",
        revision=1,
        actual_spend=5,
        actual_sales=9,
    )
    store.feedback.insert_revision(first)
    fresh = store.campaigns.get(c.id)
    fresh.title = "changed"
    with pytest.raises(StaleWrite):
        with store.unit_of_work() as uow:
            uow.campaigns.save(fresh)  # would succeed alone
            uow.feedback.insert_revision(replace(first, actual_spend=7))  # loses: revision 1 exists
    assert store.campaigns.get(c.id).title == "t"


def _seed(store, tenant: str) -> dict[str, Campaign]:
    """Campaigns in every state the worklists tell apart."""
    rule = RuleRef("R1", "all", 7)
    specs = {
        "draft": dict(org=f"{tenant}/EAST/JS"),
        "submitted": dict(org=f"{tenant}/EAST/ZJ", status="submitted", category="display"),
        "awaiting": dict(
            org=f"{tenant}/EAST/JS",
            status="approved",
            rule=rule,
            end_date="2026-11-02",
            reimbursement_status="locked",
            owner_id="rep-a",
        ),
        "overdue": dict(
            org=f"{tenant}/WEST/SC",
            status="approved",
            rule=rule,
            end_date="2026-10-01",
            reimbursement_status="locked",
            customer_id="K2",
        ),
        "fed_back": dict(
            org=f"{tenant}/EAST/JS",
            status="approved",
            rule=rule,
            feedback_revision=1,
            feedback_kind="passive",
            feedback_submitted_at="2026-11-05T02:00:00.000Z",
            reimbursement_status="unlocked",
            owner_id="rep-a",
        ),
        "active": dict(
            org=f"{tenant}/WEST/SC",
            status="approved",
            feedback_revision=2,
            feedback_kind="active",
            feedback_submitted_at="2026-11-06T02:00:00.000Z",
            reimbursement_status="reimbursed",
        ),
    }
    out = {}
    for n, (name, kw) in enumerate(specs.items()):
        kw.setdefault("owner_id", f"rep-{name}")
        out[name] = store.campaigns.insert(
            campaign(id=f"{tenant}-{n:02d}", created_at=f"2026-11-0{n + 1}T00:00:00.000Z", **kw)
        )
    return out


def test_every_access_pattern_finds_the_same_campaigns_in_the_same_order_in_both_stores():
    """The in-memory store runs the same plans over the same keys: same members, same order,
    same paging, for every list of the contract."""
    results = {}
    for name, store in (("dynamodb", DynamoStorage()), ("memory", InMemoryStorage())):
        tenant = "P" + uuid.uuid4().hex[:8].upper()
        seeded = _seed(store, tenant)
        ids = {c.id: label for label, c in seeded.items()}
        company, east = Scope(tenant, tenant), Scope(tenant, f"{tenant}/EAST")

        def names(page, ids=ids):
            return [ids[c.id] for c in page.items]

        cases = {
            "all": store.campaigns.list(company, CampaignFilters(), PageRequest(50)),
            "east": store.campaigns.list(east, CampaignFilters(), PageRequest(50)),
            "approved": store.campaigns.list(company, CampaignFilters(status="approved"), PageRequest(50)),
            "display": store.campaigns.list(company, CampaignFilters(category="display"), PageRequest(50)),
            "customer": store.campaigns.list(
                company, CampaignFilters(customer_id="K1", date_from="2026-11-01"), PageRequest(50)
            ),
            "rep-a": store.campaigns.list(Scope(tenant, tenant, "rep-a"), CampaignFilters(), PageRequest(50)),
            "B": store.campaigns.awaiting_feedback("rep-a", PageRequest(50)),
            "D": store.campaigns.submitted_feedback(company, FeedbackSearch(), PageRequest(50)),
            "D-passive": store.campaigns.submitted_feedback(company, FeedbackSearch(kind="passive"), PageRequest(50)),
            "E": store.campaigns.feedback_requests(company, RequestSearch(), PageRequest(50), today="2026-11-20"),
            "E-overdue-west": store.campaigns.feedback_requests(
                Scope(tenant, f"{tenant}/WEST"), RequestSearch(status="overdue"), PageRequest(50), today="2026-11-20"
            ),
            "sweep": store.campaigns.covered_by_rule(tenant, None, PageRequest(50)),
        }
        pages = []
        page = store.campaigns.list(company, CampaignFilters(), PageRequest(2))
        while True:
            pages.append(names(page))
            if page.next_cursor is None:
                break
            page = store.campaigns.list(company, CampaignFilters(), PageRequest(2, page.next_cursor))
        results[name] = ({k: names(v) for k, v in cases.items()}, [n for p in pages for n in p])
    assert results["dynamodb"][0] == results["memory"][0]
    assert results["dynamodb"][1] == results["memory"][1]
    lists, paged = results["dynamodb"]
    by_org = ["active", "overdue", "submitted", "fed_back", "awaiting", "draft"]  # org index: WEST, EAST/ZJ, EAST/JS
    assert lists == {
        "all": by_org,
        "east": by_org[2:],
        "approved": ["active", "overdue", "fed_back", "awaiting"],
        "display": ["submitted"],
        "customer": ["active", "fed_back", "awaiting", "submitted", "draft"],  # K1 only: not "overdue"
        "rep-a": ["fed_back", "awaiting"],
        "B": ["awaiting"],  # required, not yet fed back, the rep's own
        "D": ["active", "fed_back"],
        "D-passive": ["fed_back"],  # submitted feedback, newest first
        "E": ["overdue", "awaiting"],
        "E-overdue-west": ["overdue"],
        "sweep": ["overdue", "submitted", "fed_back", "awaiting", "draft"],  # not the reimbursed one
    }
    assert paged == by_org  # two at a time, the same order, nothing twice


def test_a_cursor_of_one_list_is_refused_by_another(store, org):
    from chalicelib.domain.errors import InvalidInput

    tenant = org.split("/")[0]
    for _ in range(3):
        store.campaigns.insert(campaign(org))
    page = store.campaigns.list(Scope(tenant, tenant), CampaignFilters(), PageRequest(1))
    with pytest.raises(InvalidInput) as err:
        store.campaigns.list(
            Scope(tenant, tenant), CampaignFilters(category="display"), PageRequest(1, page.next_cursor)
        )
    assert err.value.errors[0]["field"] == "cursor"


def test_a_finished_sweep_expires_a_week_later_and_a_rule_never(org):
    """The rules table's TTL (`expiration`, as the template sets it) drops finished sweep items;
    a week is well past the stream's 24-hour retention, so a redelivered rule record still
    finds its sweep. Rules themselves carry no expiration."""
    import time

    from chalicelib.dal.models import RuleModel
    from chalicelib.domain.feedback import FeedbackRule, Sweep

    store = DynamoStorage()
    tenant = org.split("/")[0]
    rule = FeedbackRule(
        id=new_id(),
        tenant=tenant,
        scope="category",
        due_days=7,
        min_photos=0,
        created_by="lead-1",
        created_at="2026-11-01T00:00:00.000Z",
        category="tasting",
    )
    store.rules.insert(rule)
    assert store.rules.start_sweep(rule, "created")
    sweep = Sweep(rule.id, "created", tenant, "category", "tasting", None, cursor=None, done=False)

    def stored() -> RuleModel:
        return RuleModel.get(f"sweep|{rule.id}", "created", consistent_read=True)

    assert store.rules.advance_sweep(sweep, "page-2", 3)
    assert stored().expiration is None  # still running: kept
    assert store.rules.advance_sweep(replace(sweep, cursor="page-2"), None, 1)
    finished = stored()
    assert finished.sweep_done and finished.sweep_updated == 4
    assert abs(finished.expiration - (time.time() + 7 * 24 * 3600)) < 120
    assert RuleModel.get(rule.target, rule.id, consistent_read=True).expiration is None


def test_a_ledger_books_each_fact_once_even_under_a_fresh_entry_id(store, org):
    """A reservation decided twice from stale reads carries two entry ids but one business key
    (`reserve#<campaign>`): the store books the second as stale, and neither the ledger nor the
    budget's figures move twice."""
    from chalicelib.domain.audit import Person
    from chalicelib.domain.budget import creation_effect, new_budget, reservation_effect

    tenant, at, by = org.split("/")[0], "2026-11-02T08:00:00.000Z", Person("fin-1", "Zhou")
    budget = new_budget(new_id(), tenant, tenant, "2026-11", None, 100_000, at)
    store.budgets.apply(creation_effect(budget, None, by, at))
    read_once, approved = store.budgets.get(budget.id), "2026-11-03T09:00:00.000Z"
    first = reservation_effect(read_once, "C1", 30_000, by, approved)
    again = reservation_effect(read_once, "C1", 30_000, by, approved)
    assert first.entries[0].id != again.entries[0].id and first.entries[0].key == again.entries[0].key

    store.budgets.apply(first)
    with pytest.raises(StaleWrite):
        store.budgets.apply(again)

    after = store.budgets.get(budget.id)
    assert (after.reserved, after.available) == (30_000, 70_000)
    ledger = store.budgets.entries(budget.id, PageRequest(limit=10)).items
    assert [(e.kind, e.amount) for e in ledger] == [("allocate", 100_000), ("reserve", 30_000)]
    # another campaign's reservation is another fact
    store.budgets.apply(reservation_effect(after, "C2", 20_000, by, approved))
    assert store.budgets.get(budget.id).available == 50_000


def test_of_several_failing_conditions_both_stores_report_the_one_dynamodb_is_sent_first(store, org):
    """A reservation decided again from a stale read, on a budget the first one used up, fails
    two conditions: its fact is booked already (a put) and the money is short (an update).
    DynamoDB reports the put's (stale: re-read and decide again), so the caller learns what
    happened to the campaign rather than that the budget is short; memory must say the same."""
    from chalicelib.domain.audit import Person
    from chalicelib.domain.budget import creation_effect, new_budget, reservation_effect

    tenant, at, by = org.split("/")[0], "2026-11-02T08:00:00.000Z", Person("fin-1", "Zhou")
    budget = new_budget(new_id(), tenant, tenant, "2026-11", None, 30_000, at)
    store.budgets.apply(creation_effect(budget, None, by, at))
    read_once = store.budgets.get(budget.id)
    store.budgets.apply(reservation_effect(read_once, "C1", 30_000, by, at))
    with pytest.raises(StaleWrite):
        store.budgets.apply(reservation_effect(read_once, "C1", 30_000, by, at))
    assert store.budgets.get(budget.id).available == 0


def test_rows_written_by_a_backfill_make_their_company_known_to_the_schedules(store, org):
    """The 07:00 reports and 09:00 reminders run for the companies the roll-ups know: a company
    whose rows were backfilled (put_rows) is one, as is one whose stream record was applied."""
    from chalicelib.domain.rollups import RowKey

    tenant = org.split("/")[0]
    row = RowKey(tenant, "org", tenant, "2026-11", tenant, "tasting")
    assert tenant not in store.rollups.tenants()
    assert store.rollups.put_rows({row: {"campaigns": 3, "approved_amount": 900}}) == 1
    assert tenant in store.rollups.tenants()
    assert store.rollups.entity_rows(tenant, "org", tenant, "2026-11", "2026-11")[0][1]["campaigns"] == 3


def test_a_roll_up_row_keeps_exact_values_up_to_its_cap_and_then_only_its_sketch(store, org):
    """Exact medians need a row's values; an item must stay far below DynamoDB's 400 KB, so a row
    past ROW_EXACT_CAP campaigns gives them up (and says so), in both stores alike."""
    from chalicelib.domain import rollups as r

    tenant = org.split("/")[0]
    key = r.RowKey(tenant, "org", tenant, "2026-11", tenant, "tasting")

    def one(i: int) -> dict:
        return {"fed_back": 1, f"rs#{400 + i % 3}": 1, f"rv#{70000 + i}": 1}

    for i in range(r.ROW_EXACT_CAP):
        assert store.rollups.apply(f"{tenant}-ev-{i}", {key: one(i)})
    assert store.rollups.apply(f"{tenant}-ev-0", {key: one(0)}) is False  # a redelivery: nothing twice
    [(_, metrics, _)] = store.rollups.entity_rows(tenant, "org", tenant, "2026-11", "2026-11")
    assert (
        metrics["fed_back"] == r.ROW_EXACT_CAP and sum(r.histogram(metrics, r.ROI_VALUES).values()) == r.ROW_EXACT_CAP
    )
    assert not metrics.get(r.OVERFLOW)
    # the change that would take it past the cap marks it instead, and no value is added again
    for i in range(r.ROW_EXACT_CAP, r.ROW_EXACT_CAP + 3):
        assert store.rollups.apply(f"{tenant}-ev-{i}", {key: one(i)})
    [(_, metrics, _)] = store.rollups.entity_rows(tenant, "org", tenant, "2026-11", "2026-11")
    assert metrics["fed_back"] == r.ROW_EXACT_CAP + 3 and metrics[r.OVERFLOW] == 1
    assert sum(r.histogram(metrics, r.ROI_VALUES).values()) == r.ROW_EXACT_CAP
    assert sum(r.histogram(metrics, r.ROI).values()) == r.ROW_EXACT_CAP + 3


def test_a_roll_up_decision_made_on_a_stale_read_is_refused_and_taken_again(org, monkeypatch):
    """Two records racing on a row at its cap: the one that read the row before the other wrote
    must not add its values past the cap; its transaction fails on the condition and is decided
    again from a fresh read."""
    from chalicelib.dal import rollups as dal
    from chalicelib.domain import rollups as r

    store, tenant = DynamoStorage(), org.split("/")[0]
    key = r.RowKey(tenant, "org", tenant, "2026-11", tenant, "tasting")
    store.rollups.put_rows({key: {"fed_back": r.ROW_EXACT_CAP, "rv#70000": r.ROW_EXACT_CAP, "rs#400": r.ROW_EXACT_CAP}})
    real, reads = dal.RollupRepository._exact_state, []

    def stale_first(self, table, keys):
        reads.append(keys)
        return {k: (0, False) for k in keys} if len(reads) == 1 else real(self, table, keys)

    monkeypatch.setattr(dal.RollupRepository, "_exact_state", stale_first)
    assert store.rollups.apply(f"{tenant}-late", {key: {"fed_back": 1, "rs#400": 1, "rv#1": 1}})
    assert len(reads) == 2
    [(_, metrics, _)] = store.rollups.entity_rows(tenant, "org", tenant, "2026-11", "2026-11")
    assert metrics[r.OVERFLOW] == 1 and "rv#1" not in metrics and metrics["fed_back"] == r.ROW_EXACT_CAP + 1


def test_standings_rank_a_nodes_month_by_roi_and_read_only_what_they_return(store, org):
    """The index a report's best and worst campaigns come from: one Query each way, in both stores."""
    from chalicelib.dal.clients import dynamodb
    from chalicelib.domain.rollups import placement

    tenant, region = org.split("/")[0], org.rsplit("/", 1)[0]
    fed_back = dict(status="approved", approved_amount=100, feedback_revision=1, actual_spend=100)
    # ROI 4, −1, 1.5, −0.1, 9 and 0 in November, one more in October
    made = [campaign(org, actual_sales=s, **fed_back) for s in (500, 0, 250, 90, 1000, 100)]
    made.append(campaign(org, start_date="2026-10-01", actual_sales=2000, **fed_back))
    for c in made:
        assert store.rollups.apply(f"e-{c.id}", {}, None, placement(None, replace(c, version=1)))
    rois = {c.id: s for c, s in zip(made, (4, -1, 1.5, -0.1, 9, 0, 19), strict=True)}
    scanned: list[int] = []

    def after_query(parsed=None, **_):
        scanned.append(parsed.get("ScannedCount"))

    events = dynamodb().meta.events
    events.register("after-call.dynamodb.Query", after_query, unique_id="test-standings")
    try:
        best = store.rollups.standings(tenant, tenant, "2026-11", 3, best=True)
        worst = store.rollups.standings(tenant, region, "2026-11", 3, best=False)
    finally:
        events.unregister("after-call.dynamodb.Query", unique_id="test-standings")
    assert [rois[s.campaign_id] for s in best] == [9, 4, 1.5] and [s.roi for s in best] == [9, 4, 1.5]
    assert [rois[s.campaign_id] for s in worst] == [-1, -0.1, 0]
    if isinstance(store, DynamoStorage):
        assert scanned == [3, 3]  # however many campaigns the month has
    # a change moves a campaign's standing in the same record: the ROI-9 campaign is cancelled
    gone = replace(made[4], version=1)
    cancelled = replace(gone, status="cancelled", version=2)
    # applied out of order (a failed record retried after the next one): the older change moves nothing back
    revised = replace(gone, actual_sales=800, version=3)
    assert store.rollups.apply("e-late" + gone.id, {}, None, placement(cancelled, revised))
    assert store.rollups.apply("e-cancel" + gone.id, {}, None, placement(gone, cancelled))
    assert [s.roi for s in store.rollups.standings(tenant, org, "2026-11", 2, best=True)] == [7, 4]
    assert store.rollups.apply(
        "e-gone" + gone.id, {}, None, placement(revised, replace(revised, status="cancelled", version=4))
    )
    assert [s.roi for s in store.rollups.standings(tenant, org, "2026-11", 2, best=True)] == [4, 1.5]
    assert store.rollups.standings(tenant, f"{tenant}/WEST", "2026-11", 3, best=True) == []


# -- the invoice ledger (dal/invoices.py and its in-memory twin) ------------------------------------
def _invoice(c: Campaign, number: str, amount: int = 1000):
    from chalicelib.domain.audit import Person
    from chalicelib.domain.invoices import Invoice, InvoiceFields

    fields = InvoiceFields("04", "3200162130", number, amount, "2026-11-02")
    tenant = c.org.split("/")[0]
    return Invoice(new_id(), c.id, tenant, fields, "qr", Person("u", "Li"), "2026-11-02T00:00:00.000Z")


def test_an_invoice_is_claimed_once_per_company_listed_in_claim_order_and_round_trips(store, org):
    from chalicelib.dal.errors import InvoiceTaken

    c = store.campaigns.insert(campaign(org, status="approved", approved_amount=100))
    first, second = _invoice(c, "00000001", 1234), _invoice(c, "00000002", 66)
    for invoice in (first, second):
        with store.unit_of_work() as uow:
            uow.invoices.claim(invoice)
            c.invoices = [*c.invoices, invoice.ref]
            uow.campaigns.save(c)
    back = store.campaigns.get(c.id)
    assert back.invoices == [first.ref, second.ref] and back.invoice_total == 1300
    assert [i.as_dict() for i in store.invoices.of_campaign(back)] == [first.as_dict(), second.as_dict()]
    assert store.invoices.holder(first.tenant, first.key).as_dict() == first.as_dict()
    with pytest.raises(InvoiceTaken):  # the same key, another claim (another campaign, another id)
        store.invoices.claim(replace(_invoice(c, "00000001"), campaign_id="elsewhere"))
    assert store.invoices.holder(first.tenant, first.key).campaign_id == c.id
    other_company = replace(_invoice(c, "00000001"), tenant="Z" + first.tenant)
    store.invoices.claim(other_company)  # another company's ledger
    assert store.invoices.holder(other_company.tenant, first.key).id == other_company.id


def test_a_claim_with_a_stale_campaign_writes_no_ledger_item(store, org):
    c = store.campaigns.insert(campaign(org, status="approved", approved_amount=100))
    stale = store.campaigns.get(c.id)
    c.title = "moved on"
    store.campaigns.save(c)
    invoice = _invoice(stale, "00000003")
    with pytest.raises(StaleWrite):
        with store.unit_of_work() as uow:
            uow.invoices.claim(invoice)
            stale.invoices = [invoice.ref]
            uow.campaigns.save(stale)
    assert store.invoices.holder(invoice.tenant, invoice.key) is None
    assert store.campaigns.get(c.id).invoices == []


def test_only_the_holding_campaign_releases_or_settles_and_a_settled_invoice_is_never_released(store, org):
    c = store.campaigns.insert(campaign(org, status="approved", approved_amount=100))
    invoice = _invoice(c, "00000004")
    store.invoices.claim(invoice)
    with pytest.raises(StaleWrite):
        store.invoices.release(invoice.tenant, invoice.ref, "another-campaign")
    store.invoices.settle(invoice.tenant, invoice.ref, c.id)
    assert store.invoices.holder(invoice.tenant, invoice.key).status == "settled"
    with pytest.raises(StaleWrite):
        store.invoices.release(invoice.tenant, invoice.ref, c.id)
    with pytest.raises(StaleWrite):
        store.invoices.settle(invoice.tenant, invoice.ref, c.id)  # settled once
    released = _invoice(c, "00000005")
    store.invoices.claim(released)
    store.invoices.release(released.tenant, released.ref, c.id)
    assert store.invoices.holder(released.tenant, released.key) is None


def test_a_settlement_policy_round_trips_and_defaults_to_invoices_not_required(store, org):
    from chalicelib.domain.audit import Person
    from chalicelib.domain.invoices import SettlementPolicy

    tenant = org.split("/")[0]
    assert store.policies.settlement(tenant) == SettlementPolicy()
    policy = SettlementPolicy(True, Person("f", "Zhou"), "2026-11-02T00:00:00.000Z")
    store.policies.put_settlement(tenant, policy)
    assert store.policies.settlement(tenant) == policy
    assert store.policies.settlement("Z" + tenant) == SettlementPolicy()


# -- vouchers ---------------------------------------------------------------------------------------
def _export(tenant: str, at: str, n: int = 1):
    from chalicelib.domain.vouchers import ExportItem

    return ExportItem(
        f"C{n:03d}", at, 1000 * n, "tasting", "品鉴", "苏果", "李雷", "rep-1", f"{tenant}/EAST/JS", ("1",)
    )


def _batch(tenant: str, since: str, until: str):
    from chalicelib.domain.audit import Person
    from chalicelib.domain.vouchers import Accounting, VoucherBatch

    accounts = Accounting("6601", "2202", {"tasting": "6601.01"})
    return VoucherBatch(new_id(), tenant, until, Person("fin", "周八"), until[:10], since, until, accounts)


def test_a_batch_cuts_the_export_queue_once_and_a_later_settlement_below_the_cut_is_refused(store, org):
    tenant = org.split("/")[0]
    for n, at in enumerate(("2026-11-01T01:00:00.000Z", "2026-11-01T02:00:00.000Z", "2026-11-01T03:00:00.000Z"), 1):
        store.vouchers.queue(tenant, _export(tenant, at, n))
    with pytest.raises(StaleWrite):  # the same campaign queued twice
        store.vouchers.queue(tenant, _export(tenant, "2026-11-01T01:00:00.000Z", 1))
    read = store.vouchers.state(tenant)
    batch = _batch(tenant, read.watermark, "2026-11-01T02:30:00.000Z")
    store.vouchers.claim(batch, read, "holder-1", "2026-11-01T02:31:00.000Z")
    with pytest.raises(StaleWrite):  # another creator that read the same state
        store.vouchers.claim(
            _batch(tenant, "", "2026-11-01T02:40:00.000Z"), read, "holder-2", "2026-11-01T02:41:00.000Z"
        )
    with pytest.raises(StaleWrite):  # a settlement whose time is below the cut
        store.vouchers.queue(tenant, _export(tenant, "2026-11-01T02:00:00.500Z", 9))
    assert [i.campaign_id for i in store.vouchers.exported(tenant, batch.since, batch.until)] == ["C001", "C002"]
    assert [
        i.campaign_id
        for i in store.vouchers.exported(
            tenant, batch.since, batch.until, after=_export(tenant, "2026-11-01T01:00:00.000Z", 1).key
        )
    ] == ["C002"]
    assert store.vouchers.any_exported(tenant, batch.until, "2026-11-02T00:00:00.000Z")
    state = store.vouchers.state(tenant)
    assert (state.watermark, state.exporting, state.holder) == (batch.until, batch.id, "holder-1")
    with pytest.raises(StaleWrite):  # only the holder finishes it
        store.vouchers.finish(batch.ready(2, 3000, {"csv": "k.csv"}), "holder-2")
    store.vouchers.finish(batch.ready(2, 3000, {"csv": "k.csv"}), "holder-1")
    done = store.vouchers.batch(tenant, batch.id)
    assert (done.export, done.campaigns, done.total, done.artifacts) == ("ready", 2, 3000, {"csv": "k.csv"})
    assert done.accounting.account_for("tasting") == "6601.01"
    assert store.vouchers.state(tenant).exporting is None


def test_a_crashed_creation_is_taken_over_once_and_a_batch_is_posted_once(store, org):
    from chalicelib.domain.audit import Person

    tenant = org.split("/")[0]
    store.vouchers.queue(tenant, _export(tenant, "2026-11-01T01:00:00.000Z"))
    read = store.vouchers.state(tenant)
    batch = _batch(tenant, "", "2026-11-01T02:00:00.000Z")
    store.vouchers.claim(batch, read, "crashed", "2026-11-01T02:01:00.000Z")
    stuck = store.vouchers.state(tenant)
    store.vouchers.take_over(tenant, stuck, "second", "2026-11-01T03:00:00.000Z")
    with pytest.raises(StaleWrite):  # a third that read the crashed lease too
        store.vouchers.take_over(tenant, stuck, "third", "2026-11-01T03:00:00.000Z")
    with pytest.raises(StaleWrite):  # not posted before its files are ready
        store.vouchers.post(tenant, batch.id, "V-1", Person("fin", "周八"), "2026-11-01T04:00:00.000Z")
    store.vouchers.finish(batch.ready(1, 1000, {}), "second")
    store.vouchers.post(tenant, batch.id, "V-1", Person("fin", "周八"), "2026-11-01T04:00:00.000Z")
    with pytest.raises(StaleWrite):
        store.vouchers.post(tenant, batch.id, "V-2", Person("fin", "周八"), "2026-11-01T04:01:00.000Z")
    store.vouchers.record_posting(tenant, batch.id, "cursor-1", 1, done=False)
    store.vouchers.record_posting(tenant, batch.id, None, 1, done=True)
    posted = store.vouchers.batch(tenant, batch.id)
    assert (posted.voucher_no, posted.posting, posted.campaigns_posted, posted.posting_cursor) == (
        "V-1",
        "done",
        1,
        None,
    )


def test_voucher_batches_page_newest_first_within_their_company(store, org):
    tenant = org.split("/")[0]
    made = []
    for hour in range(1, 4):
        time.sleep(0.002)  # ids sort by their millisecond: one batch per millisecond at most, here
        read = store.vouchers.state(tenant)
        b = _batch(tenant, read.watermark, f"2026-11-01T0{hour}:00:00.000Z")
        store.vouchers.claim(b, read, "h", "2026-11-01T09:00:00.000Z")
        store.vouchers.finish(b.ready(0, 0, {}), "h")
        made.append(b.id)
    first = store.vouchers.batches(tenant, PageRequest(limit=2))
    assert [b.id for b in first.items] == made[::-1][:2] and first.next_cursor
    rest = store.vouchers.batches(tenant, PageRequest(limit=2, cursor=first.next_cursor))
    assert [b.id for b in rest.items] == made[:1]
    assert store.vouchers.batches("OTHER" + tenant, PageRequest(limit=2)).items == []
