"""Least privilege must still be enough: every AWS call the code makes during a whole loop is
allowed by the policy of the function that makes it, on the resource it touches. Without this,
a tightened policy would only fail in AWS, as AccessDenied after deployment."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re

import botocore.client
import chalice.test
import pytest

from tests.conftest import business_date, mint
from tests.infra.conftest import of_type
from tests.infra.test_template import FUNCTIONS

ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


class _Presigner:
    """An S3 client whose presigned links count as calls: S3 checks the signer's permissions
    when the link is used, so the API's role must allow what it signs."""

    def __init__(self, client, calls: list, current: dict) -> None:
        self._client, self._calls, self._current = client, calls, current

    def generate_presigned_post(self, Bucket, Key, **kwargs):  # boto3's parameter names
        self._calls.append((self._current["function"], "s3:PutObject", ("object", Bucket, Key), None))
        return self._client.generate_presigned_post(Bucket, Key, **kwargs)

    def generate_presigned_url(self, ClientMethod, Params=None, **kwargs):  # boto3's parameter names
        action = {"get_object": "s3:GetObject", "put_object": "s3:PutObject"}[ClientMethod]
        self._calls.append((self._current["function"], action, ("object", Params["Bucket"], Params["Key"]), None))
        return self._client.generate_presigned_url(ClientMethod, Params=Params, **kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


@pytest.fixture
def recorded(monkeypatch, streams):
    """(function logical id, IAM action, resource, partition keys) of every AWS call made by the
    app's code (the partition key values of the items an item call names, for dynamodb:LeadingKeys)."""
    calls: list[tuple[str, str, tuple, tuple | None]] = []
    audit_puts: list[tuple[str, str | None]] = []
    current = {"function": "APIHandler"}
    original_call, original_invoke = botocore.client.BaseClient._make_api_call, chalice.test.TestLambdaClient.invoke

    def call(self, operation, params):
        if current["function"] is not None:
            service = self.meta.service_model.service_name
            calls.extend(
                (current["function"], action, resource, leading)
                for action, resource, leading in _actions(service, operation, params)
            )
            if service == "dynamodb":
                audit_puts.extend((current["function"], condition) for condition in _audit_puts(operation, params))
        return original_call(self, operation, params)

    def invoke(self, function, payload=None):  # every Lambda invocation of the tests' client
        saved, current["function"] = current["function"], FUNCTIONS[function]
        try:
            return original_invoke(self, function, payload)
        finally:
            current["function"] = saved

    def harness(fn):  # the test harness reads streams itself: not the app's calls
        def wrapped(*args, **kwargs):
            saved, current["function"] = current["function"], None
            try:
                return fn(*args, **kwargs)
            finally:
                current["function"] = saved

        return wrapped

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
    monkeypatch.setattr(chalice.test.TestLambdaClient, "invoke", invoke)
    monkeypatch.setattr(type(streams), "records", harness(type(streams).records))
    from tests.conftest import DeliveryQueue

    monkeypatch.setattr(DeliveryQueue, "pump", harness(DeliveryQueue.pump))  # SQS's event source mapping
    from chalicelib.dal import clients

    factory = clients.s3
    monkeypatch.setattr(clients, "s3", lambda: _Presigner(factory(), calls, current))

    @contextlib.contextmanager
    def as_function(logical: str):
        """A scheduled function's work, run directly (for this company only, not every tenant)."""
        saved, current["function"] = current["function"], logical
        try:
            yield
        finally:
            current["function"] = saved

    return _Calls(calls, as_function, audit_puts)


class _Calls(list):
    def __init__(self, calls: list, as_function, audit_puts: list) -> None:
        super().__init__()
        self._calls, self.as_function, self.audit_puts = calls, as_function, audit_puts

    def __iter__(self):
        return iter(self._calls)


def _actions(service: str, operation: str, params: dict):
    """(IAM action, resource, partition key values or None) of one call."""
    if service == "dynamodb" and operation == "TransactWriteItems":
        # IAM authorises each item by its own action (PutItem, UpdateItem, ...), not the call
        for entry in params["TransactItems"]:
            ((kind, body),) = entry.items()
            yield (
                f"dynamodb:{ITEM_ACTIONS[kind]}",
                ("table", body["TableName"], None),
                _leading(body["TableName"], [body.get("Key") or body.get("Item")]),
            )
    elif service == "dynamodb" and operation in ("BatchGetItem", "BatchWriteItem"):
        for table, request in params["RequestItems"].items():  # one call, authorised on every table it names
            keys = request.get("Keys") or [
                next(iter(w.values())).get("Key") or next(iter(w.values())).get("Item") for w in request
            ]
            yield f"dynamodb:{operation}", ("table", table, None), _leading(table, keys)
    elif service == "dynamodb":
        table = params.get("TableName")
        item = params.get("Key") or params.get("Item")
        yield (
            f"dynamodb:{operation}",
            ("table", table, params.get("IndexName")),
            _leading(table, [item]) if item else None,
        )
    elif service == "s3" and operation == "CopyObject":
        source = params["CopySource"]
        yield "s3:GetObject", ("object", source["Bucket"], source["Key"]), None
        yield "s3:PutObject", ("object", params["Bucket"], params["Key"]), None
    elif service == "s3":
        # HeadObject is authorised as s3:GetObject
        action = "GetObject" if operation == "HeadObject" else operation
        yield f"s3:{action}", ("object", params.get("Bucket"), params.get("Key")), None
    elif service == "ses" and operation in ("SendRawEmail", "SendEmail"):
        yield f"ses:{operation}", ("identity", params.get("Source"), None), None
    elif service == "sqs":
        yield f"sqs:{operation}", ("queue", params.get("QueueUrl") or params.get("QueueName"), None), None
    elif service == "kms":
        yield f"kms:{operation}", ("key", params.get("KeyId"), None), None
    else:
        yield f"{service}:{operation}", ("other", None, None), None


def _leading(table: str, items: list[dict]) -> tuple | None:
    """The partition key values of the items a call names (what dynamodb:LeadingKeys holds)."""
    from chalicelib.dal import models

    hash_keys = {
        m.Meta.table_name: m._hash_keyname
        for m in (
            models.CampaignModel,
            models.FeedbackModel,
            models.RuleModel,
            models.EvidenceModel,
            models.RollupModel,
            models.ReportModel,
            models.VoucherModel,
            *models.CONTROL_MODELS,
            models.WebhookModel,
            models.ChangeModel,
            models.InvoiceModel,
        )
    }
    name = hash_keys.get(table)
    if name is None:
        return None
    return tuple(next(iter(item[name].values())) for item in items)


def _audit_puts(operation: str, params: dict):
    """The condition of every put on the audit table (None: an unconditional put)."""
    from chalicelib.config import settings

    audit = settings().audit_table
    if operation == "PutItem" and params.get("TableName") == audit:
        yield params.get("ConditionExpression")
    elif operation == "TransactWriteItems":
        for entry in params["TransactItems"]:
            if "Put" in entry and entry["Put"]["TableName"] == audit:
                yield entry["Put"].get("ConditionExpression")


def _logical(resource: tuple) -> dict | str:
    from chalicelib.config import settings

    s = settings()
    kind, name, detail = resource
    if kind == "table":
        logical = {
            s.campaigns_table: "CampaignsTable",
            s.feedback_table: "FeedbackTable",
            s.rules_table: "RulesTable",
            s.idempotency_table: "IdempotencyTable",
            s.evidence_table: "EvidenceTable",
            s.rollups_table: "RollupsTable",
            s.reports_table: "ReportsTable",
            s.control_table: "ControlTable",
            s.audit_table: "AuditTable",
            s.webhooks_table: "WebhooksTable",
            s.changes_table: "ChangesTable",
            s.invoices_table: "InvoicesTable",
            s.vouchers_table: "VouchersTable",
        }[name]
        return {"Fn::Sub": f"${{{logical}.Arn}}/index/{detail}"} if detail else {"Fn::GetAtt": [logical, "Arn"]}
    if kind == "object":
        assert name == s.attachments_bucket
        return detail
    if kind == "queue":  # the webhook delivery queue, by its URL (or its name)
        assert name.rsplit("/", 1)[-1] == s.webhook_queue, name
        return {"Fn::GetAtt": ["WebhookDeliveryQueue", "Arn"]}
    if kind == "key":  # the key sealing webhook secrets (the stack gives its ARN)
        assert name == s.webhook_key_id, name
        return {"Fn::GetAtt": ["WebhookSecretsKey", "Arn"]}
    if kind == "identity":  # the From of every mail is the stack's SES identity (HUIXIANG_MAIL_FROM)
        assert name == s.mail_sender
        return {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SesIdentity}"}
    return "*"


def _allows(role: dict, action: str, resource, leading: tuple | None = None) -> bool:
    for policy in role["Properties"]["Policies"]:
        for st in policy["PolicyDocument"]["Statement"]:
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            if st["Effect"] != "Allow" or action not in st["Action"] or not _conditions_hold(st, leading):
                continue
            for granted in resources:
                if granted == resource:
                    return True
                if (
                    isinstance(resource, dict)
                    and isinstance(granted, dict)
                    and "Fn::Sub" in resource
                    and "Fn::Sub" in granted
                    and "/index/" in resource["Fn::Sub"]
                ):
                    # one index (`${T.Arn}/index/by_group`), or every index of the table (`/index/*`)
                    if granted["Fn::Sub"] == resource["Fn::Sub"].rsplit("/", 1)[0] + "/*":
                        return True
                if isinstance(resource, str) and isinstance(granted, dict) and "Fn::Sub" in granted:
                    prefix = granted["Fn::Sub"].split(":s3:::", 1)[-1].split("/", 1)[-1]
                    if prefix.endswith("*") and resource.startswith(prefix[:-1]):
                        return True
    return False


def _conditions_hold(statement: dict, leading: tuple | None) -> bool:
    """A statement's dynamodb:LeadingKeys condition on the partition keys the call names (IAM's
    StringLike: `*` and `?` wildcards). Other condition keys (ses:FromAddress) are not evaluated
    here: the resource check above pins the mail sender."""
    for operator, keys in statement.get("Condition", {}).items():
        for key, patterns in keys.items():
            if key != "dynamodb:LeadingKeys":
                continue
            assert operator == "ForAllValues:StringLike", operator  # the only form the policies use
            patterns = patterns if isinstance(patterns, list) else [patterns]
            regexes = [re.compile(re.escape(p).replace(r"\*", ".*").replace(r"\?", ".") + r"\Z") for p in patterns]
            if not leading or not all(any(r.match(value) for r in regexes) for value in leading):
                return False
    return True


def test_every_call_of_a_whole_loop_is_allowed_by_its_functions_policy(
    api, company, flow, streams, delivery_queue, recorded, resources, lambda_client
):
    from chalicelib.dal import repos
    from chalicelib.dal.queue import queue_url
    from devstack.receiver import Behaviour, Receiver

    with recorded.as_function(None):  # production gives the queue's URL (WEBHOOK_QUEUE_URL): no lookup
        queue_url()
    # events out: a webhook hearing everything, at a receiver that fails until told otherwise
    receiver = Receiver().start()
    receiver.behave(Behaviour.status(500))
    hook = api.post(
        "/webhooks",
        company.leader,
        {
            "url": receiver.url,
            "events": [
                "campaign.submitted",
                "campaign.approved",
                "feedback.submitted",
                "settlement.unlocked",
                "campaign.reimbursed",
                "report.ready",
            ],
        },
    )
    assert hook.status_code == 201, hook.json
    from chalicelib.logic.reports import scheduled_reports, send_reminders
    from tests import corpus as C
    from tests.functional.evidence_support import Evidence
    from tests.functional.test_reports import compile_pending
    from tests.functional.test_rollups import campaign_records

    rule = flow.rule(scope="category", category="tasting")
    streams.run_rules(company.root)
    # money control: budgets that every approval below reserves from (the final approval
    # reserves, settlement consumes and releases, cancel releases), carved and resized
    top = api.post("/budgets", company.leader, {"org": company.root, "period": "2026", "amount": 50_000_000})
    assert top.status_code == 201, top.json
    east = api.post(
        "/budgets",
        company.leader,
        {"org": company.east, "period": "2026-Q4", "amount": 10_000_000, "parent_id": top.json["id"]},
    )
    assert east.status_code == 201, east.json
    assert api.patch(f"/budgets/{east.json['id']}", company.finance, {"amount": 12_000_000}).status_code == 200
    c = flow.approved()
    assert c["budget"]["id"] == east.json["id"], c.get("budget")
    flow.rule(scope="campaign", campaign_id=c["id"], due_days=3)
    streams.run_rules(company.root)
    api.patch(f"/campaigns/{flow.draft()['id']}", company.rep, {"title": "edited"})
    api.post(f"/campaigns/{c['id']}/reject", company.manager, {"comment": "late"})  # a 409, still calls
    api.post("/campaigns", company.rep, {**flow.draft(), "id": None}, headers={"Idempotency-Key": "pol-1"})
    flow.submit_feedback(c["id"])
    streams.deliver_feedback(c["id"])
    # invoices: claimed, listed, released, settled with the campaign under the settlement policy;
    # below, a claim of a settled one is refused (which reads its holder) and a cancellation releases
    qr = "01,10,032001900111,{:08d},100.00,20261101,,8A3C"
    assert api.put("/settlement-policy", company.finance, {"invoices_required": True}).status_code == 200
    assert api.get("/settlement-policy", company.manager).status_code == 200
    assert api.post(f"/campaigns/{c['id']}/invoices", company.rep, {"qr": qr.format(1)}).status_code == 201
    assert api.post(f"/campaigns/{c['id']}/invoices", company.rep, {"qr": qr.format(1)}).status_code == 409
    spare = api.post(f"/campaigns/{c['id']}/invoices", company.rep, {"qr": qr.format(2)}).json
    assert api.delete(f"/campaigns/{c['id']}/invoices/{spare['id']}", company.rep).status_code == 204
    assert api.get(f"/campaigns/{c['id']}/invoices", company.leader).json["total"] == 10_000
    assert (
        api.post(
            f"/campaigns/{c['id']}/reimbursement", company.finance, {}, headers={"Idempotency-Key": "pol-2"}
        ).status_code
        == 201
    )
    assert api.put("/settlement-policy", company.leader, {"invoices_required": False}).status_code == 200
    for path in (
        "/campaigns",
        "/feedback",
        "/feedback-requests",
        "/me/feedback-requests",
        "/feedback-rules",
        f"/campaigns/{c['id']}/feedback",
        f"/campaigns/{c['id']}/feedback/revisions",
    ):
        api.get(path, company.leader if path != "/me/feedback-requests" else company.rep)
    assert api.delete(f"/feedback-rules/{rule['id']}", company.leader).status_code == 204
    streams.run_rules(company.root)
    # the budgets and their ledger, the policy (none yet), a cancellation, the card, the trail
    for path in ("/budgets", f"/budgets/{east.json['id']}", f"/budgets/{east.json['id']}/entries", "/approval-policy"):
        assert api.get(path, company.leader).status_code == 200, path
    assert api.get("/budgets", company.manager).status_code == 200  # their subtree and its ancestors
    doomed = flow.approved(amount=100_000)
    assert api.post(f"/campaigns/{doomed['id']}/invoices", company.rep, {"qr": qr.format(3)}).status_code == 201
    assert api.post(f"/campaigns/{doomed['id']}/invoices", company.rep, {"qr": qr.format(1)}).status_code == 409
    cancelled = api.post(f"/campaigns/{doomed['id']}/cancel", company.rep, {"reason": "the store closed"})
    assert cancelled.status_code == 200 and cancelled.json["budget"]["released"] == 100_000, cancelled.json
    waiting = flow.submitted()
    assert api.get(f"/campaigns/{waiting['id']}/approval-card", company.manager).status_code == 200
    assert api.get(f"/campaigns/{c['id']}/audit", company.leader).json["verified"] is True
    # evidence: a photo (thumbnail, links), a rejected upload (quarantine), a deletion
    ev, e = Evidence(api, lambda_client, company), flow.approved()
    photo = ev.upload(e["id"], C.jpeg(C.scene(7, (640, 480))))
    assert photo["status"] == "ready" and photo.get("thumbnail_url"), photo
    liar = ev.upload(e["id"], C.pdf(), content_type="image/jpeg")
    assert liar["status"] == "rejected"
    assert api.delete(f"/campaigns/{e['id']}/attachments/{photo['id']}", company.rep).status_code == 204
    # in the field: a check-in, a photo asked for during it and declared by its hash, the bundle
    visit = api.post(f"/campaigns/{e['id']}/visits", company.rep, {"lat": 32.0415, "lon": 118.7849})
    assert visit.status_code == 201, visit.json
    attested = C.jpeg(C.scene(8, (640, 480)))
    asked = api.post(
        f"/campaigns/{e['id']}/attachments",
        company.rep,
        {
            "filename": "a.jpg",
            "content_type": "image/jpeg",
            "size_bytes": len(attested),
            "visit_id": visit.json["id"],
            "sha256": hashlib.sha256(attested).hexdigest(),
        },
    )
    assert asked.status_code == 201, asked.json
    ev.post(asked.json["upload"], attested)
    ev.deliver(ev.event_for(f"uploads/{e['id']}/{asked.json['attachment']['id']}"))
    assert api.get(f"/campaigns/{e['id']}/visits", company.manager).status_code == 200
    assert api.get(f"/campaigns/{e['id']}/evidence", company.finance).status_code == 200
    evidence_records = streams.records("evidence", lambda r: e["id"] in json.dumps(r))
    assert streams.invoke("on_evidence_change", evidence_records) == {"batchItemFailures": []}
    # evaluation: roll-ups from the campaigns stream, the read routes, a report compiled and mailed
    fresh = [r for r in campaign_records(streams, company.root) if r["eventID"] not in streams.delivered]
    assert streams.invoke("on_campaign_change", fresh) == {"batchItemFailures": []}
    # the changes feed the stream functions wrote, read by the caller's partition
    feed = api.get("/me/changes?limit=200", company.manager)
    assert feed.status_code == 200 and feed.json["items"], feed.json
    assert api.get(f"/me/changes?cursor={feed.json['next_cursor']}", company.manager).status_code == 200
    for path in (
        "/reports/summary?group_by=category&from=2026-10&to=2026-11",
        f"/campaigns/{c['id']}/evaluation",
        "/reports",
    ):
        assert api.get(path, company.leader).status_code == 200, path
    assert api.put("/me/report-subscription", company.manager, {"frequency": "monthly"}).status_code == 200
    run = api.post("/reports/runs", company.leader, {"period": "2026-11"})
    assert run.status_code in (201, 202), run.json
    compile_pending(streams, company.root)
    report = api.get(f"/reports/{run.json['report_ids'][0]}", company.leader)
    assert report.json["status"] == "ready", report.json
    # events out: the reports' and campaigns' records, the deliveries (failing), a retry by hand,
    # the webhook read, listed, rotated, deleted
    ready = [
        r
        for r in streams.records("reports", lambda r: r["eventName"] == "MODIFY")
        if r["dynamodb"]["NewImage"].get("tenant", {}).get("S") == company.root
        and r["eventID"] not in streams.delivered
    ]
    for record in ready:
        assert streams.invoke("on_report_requested", [record]) == {"batchItemFailures": []}
    fresh = [r for r in campaign_records(streams, company.root) if r["eventID"] not in streams.delivered]
    if fresh:
        assert streams.invoke("on_campaign_change", fresh) == {"batchItemFailures": []}
    delivery_queue.pump()
    failed = api.get(f"/webhooks/{hook.json['id']}/deliveries?status=failed", company.leader).json["items"]
    assert {d["event_type"] for d in failed} >= {"campaign.approved", "report.ready", "feedback.submitted"}, failed
    receiver.behave(Behaviour.status(204))
    retried = api.post(f"/webhooks/{hook.json['id']}/deliveries/{failed[0]['id']}/retry", company.finance)
    assert retried.status_code == 202, retried.json
    delivery_queue.pump()
    assert api.get(f"/webhooks/{hook.json['id']}", company.leader).status_code == 200
    assert api.get("/webhooks", company.finance).status_code == 200
    assert api.post(f"/webhooks/{hook.json['id']}/rotate-secret", company.leader).status_code == 200
    assert api.delete(f"/webhooks/{hook.json['id']}", company.leader).status_code == 204
    receiver.stop()
    # the schedules (their tenant listing, then this company's work): one overdue campaign
    flow.rule(scope="all", due_days=1)
    streams.run_rules(company.root)
    flow.approved(start_date="2026-10-01", end_date="2026-10-02", title="Overdue")
    # the schedules (their tenant listing, then this company's work)
    with recorded.as_function("CompileScheduledReports"):
        repos.rollups().tenants()
        scheduled_reports("2026-11-23", tenants=[company.root])
    with recorded.as_function("SendOverdueReminders"):
        repos.rollups().tenants()
        assert send_reminders("2026-11-23", tenants=[company.root])["sent"] >= 1
    # vouchers: the accounts, a batch of what was settled above (its files written and linked),
    # its voucher number, and the vouchers stream posting it to the campaigns
    accounts = {"expense_account": "6601", "payable_account": "2202"}
    assert api.put("/accounting", company.finance, accounts).status_code == 200
    assert api.get("/accounting", company.leader).status_code == 200
    batch = api.post("/voucher-batches", company.finance, {})
    assert batch.status_code == 201 and batch.json["artifacts"]["csv_url"], batch.json
    assert api.get("/voucher-batches", company.leader).status_code == 200
    assert api.get(f"/voucher-batches/{batch.json['id']}", company.finance).status_code == 200
    posted = api.post(f"/voucher-batches/{batch.json['id']}/posted", company.finance, {"voucher_no": "V-1"})
    assert posted.status_code == 200, posted.json
    assert streams.deliver_vouchers(company.root) == {"batchItemFailures": []}
    assert api.get(f"/campaigns/{c['id']}", company.rep).json["reimbursement"]["voucher_no"] == "V-1"
    # approval chains and delegation (last: a policy changes who approves the campaigns above)
    policy = {"levels": [{"up_to": 500_000, "approver": "province"}, {"up_to": None, "approver": "region"}]}
    assert api.put("/approval-policy", company.leader, policy).status_code == 200
    chained = flow.submitted(requested_amount=100_000)
    deputy = mint("deputy-" + company.root, "manager", company.west, name="Deputy")
    today = business_date()
    assert api.get("/me/delegation", company.province_manager).status_code == 404
    delegated = api.put(
        "/me/delegation",
        company.province_manager,
        {
            "to": {"id": "deputy-" + company.root, "name": "Deputy"},
            "from": today.isoformat(),
            "until": (today + dt.timedelta(days=2)).isoformat(),
        },
    )
    assert delegated.status_code == 200, delegated.json
    assert api.get("/me/delegation", company.province_manager).status_code == 200
    assert chained["id"] in [x["id"] for x in api.get("/me/approvals", company.province_manager).json["items"]]
    assert chained["id"] in [x["id"] for x in api.get("/me/approvals", deputy).json["items"]]
    approved = api.post(f"/campaigns/{chained['id']}/approve", deputy, {"approved_amount": 90_000})
    assert approved.status_code == 200 and approved.json["budget"]["reserved"] == 90_000, approved.json
    assert api.delete("/me/delegation", company.province_manager).status_code == 204

    by_function = {f for f, _, _, _ in recorded}
    assert by_function == set(FUNCTIONS.values()) - {"APIHandler"} | {"APIHandler"}, by_function
    # every function that changes campaigns wrote audit entries here, each conditional on its
    # absence: IAM cannot require the condition, so this is what keeps a put from overwriting
    assert {f for f, _ in recorded.audit_puts} >= {
        "APIHandler",
        "OnFeedbackChange",
        "OnRuleChange",
        "OnUpload",
        "OnVoucherChange",
    }, {f for f, _ in recorded.audit_puts}
    unconditional = {(f, cond) for f, cond in recorded.audit_puts if "attribute_not_exists" not in (cond or "")}
    assert not unconditional, unconditional
    functions = of_type(resources, "AWS::Serverless::Function")
    denied: dict[tuple, str] = {}  # (function, action, resource): the partition keys of one denied call
    for function, action, resource, leading in recorded:
        role = resources[functions[function]["Properties"]["Role"]["Fn::GetAtt"][0]]
        if not _allows(role, action, _logical(resource), leading):
            denied.setdefault((function, action, str(_logical(resource))), str(leading or ""))
    assert not denied, "denied:\n" + "\n".join(" ".join((*d, keys)) for d, keys in sorted(denied.items()))
    # and no more than that on money control's tables and the invoice ledger: every action granted there is one this
    # loop made, by that function, on that resource
    used = {
        (function, action, json.dumps(_logical(resource), sort_keys=True)) for function, action, resource, _ in recorded
    }
    unused = set()
    for function, fn in functions.items():
        role = resources[fn["Properties"]["Role"]["Fn::GetAtt"][0]]
        for policy in role["Properties"]["Policies"]:
            for st in policy["PolicyDocument"]["Statement"]:
                for granted in st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]:
                    if not any(t in json.dumps(granted) for t in ("ControlTable", "AuditTable", "InvoicesTable")):
                        continue
                    unused |= {
                        (function, a, json.dumps(granted))
                        for a in st["Action"]
                        if (function, a, json.dumps(granted, sort_keys=True)) not in used
                    }
    assert not unused, "granted but never used:\n" + "\n".join(" ".join(u) for u in sorted(unused))
