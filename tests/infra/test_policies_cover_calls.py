"""Least privilege must still be enough: every AWS call the code makes during a whole loop is
allowed by the policy of the function that makes it, on the resource it touches. Without this,
a tightened policy would only fail in AWS, as AccessDenied after deployment."""
from __future__ import annotations

import contextlib

import botocore.client
import chalice.test
import pytest

from tests.infra.conftest import of_type
from tests.infra.test_template import FUNCTIONS

ITEM_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}


class _Presigner:
    """An S3 client whose presigned links count as calls: S3 checks the signer's permissions
    when the link is used, so the API's role must allow what it signs."""
    def __init__(self, client, calls: list, current: dict) -> None:
        self._client, self._calls, self._current = client, calls, current

    def generate_presigned_post(self, Bucket, Key, **kwargs):   # noqa: N803 - boto3's names
        self._calls.append((self._current["function"], "s3:PutObject", ("object", Bucket, Key)))
        return self._client.generate_presigned_post(Bucket, Key, **kwargs)

    def generate_presigned_url(self, ClientMethod, Params=None, **kwargs):   # noqa: N803
        action = {"get_object": "s3:GetObject", "put_object": "s3:PutObject"}[ClientMethod]
        self._calls.append((self._current["function"], action, ("object", Params["Bucket"], Params["Key"])))
        return self._client.generate_presigned_url(ClientMethod, Params=Params, **kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


@pytest.fixture
def recorded(monkeypatch, streams):
    """(function logical id, IAM action, resource) of every AWS call made by the app's code."""
    calls: list[tuple[str, str, tuple]] = []
    current = {"function": "APIHandler"}
    original_call, original_invoke = botocore.client.BaseClient._make_api_call, chalice.test.TestLambdaClient.invoke

    def call(self, operation, params):
        if current["function"] is not None:
            calls.extend((current["function"], action, resource)
                         for action, resource in _actions(self.meta.service_model.service_name, operation, params))
        return original_call(self, operation, params)

    def invoke(self, function, payload=None):   # every Lambda invocation of the tests' client
        current["function"] = FUNCTIONS[function]
        try:
            return original_invoke(self, function, payload)
        finally:
            current["function"] = "APIHandler"

    def harness(fn):   # the test harness reads streams itself: not the app's calls
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

    return _Calls(calls, as_function)


class _Calls(list):
    def __init__(self, calls: list, as_function) -> None:
        super().__init__()
        self._calls, self.as_function = calls, as_function

    def __iter__(self):
        return iter(self._calls)


def _actions(service: str, operation: str, params: dict):
    if service == "dynamodb" and operation == "TransactWriteItems":
        for entry in params["TransactItems"]:
            (kind, body), = entry.items()
            yield f"dynamodb:{ITEM_ACTIONS[kind]}", ("table", body["TableName"], None)
    elif service == "dynamodb":
        yield f"dynamodb:{operation}", ("table", params.get("TableName"), params.get("IndexName"))
    elif service == "s3" and operation == "CopyObject":
        source = params["CopySource"]
        yield "s3:GetObject", ("object", source["Bucket"], source["Key"])
        yield "s3:PutObject", ("object", params["Bucket"], params["Key"])
    elif service == "s3":
        # HeadObject is authorised as s3:GetObject
        action = "GetObject" if operation == "HeadObject" else operation
        yield f"s3:{action}", ("object", params.get("Bucket"), params.get("Key"))
    elif service == "ses" and operation in ("SendRawEmail", "SendEmail"):
        yield f"ses:{operation}", ("identity", params.get("Source"), None)
    else:
        yield f"{service}:{operation}", ("other", None, None)


def _logical(resource: tuple) -> dict | str:
    from chalicelib.config import settings

    s = settings()
    kind, name, detail = resource
    if kind == "table":
        logical = {s.campaigns_table: "CampaignsTable", s.feedback_table: "FeedbackTable",
                   s.rules_table: "RulesTable", s.idempotency_table: "IdempotencyTable",
                   s.evidence_table: "EvidenceTable", s.rollups_table: "RollupsTable",
                   s.reports_table: "ReportsTable"}[name]
        return {"Fn::Sub": "${%s.Arn}/index/*" % logical} if detail else {"Fn::GetAtt": [logical, "Arn"]}
    if kind == "object":
        assert name == s.attachments_bucket
        return detail
    if kind == "identity":   # the From of every mail is the stack's SES identity (HUIXIANG_MAIL_FROM)
        assert name == s.mail_sender
        return {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SesIdentity}"}
    return "*"


def _allows(role: dict, action: str, resource) -> bool:
    for policy in role["Properties"]["Policies"]:
        for st in policy["PolicyDocument"]["Statement"]:
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            if st["Effect"] != "Allow" or action not in st["Action"]:
                continue
            for granted in resources:
                if granted == resource:
                    return True
                if isinstance(resource, str) and isinstance(granted, dict) and "Fn::Sub" in granted:
                    prefix = granted["Fn::Sub"].split(":s3:::", 1)[-1].split("/", 1)[-1]
                    if prefix.endswith("*") and resource.startswith(prefix[:-1]):
                        return True
    return False


def test_every_call_of_a_whole_loop_is_allowed_by_its_functions_policy(api, company, flow, streams, recorded,
                                                                      resources, lambda_client):
    from chalicelib.dal import repos
    from chalicelib.logic.reports import scheduled_reports, send_reminders
    from tests import corpus as C
    from tests.functional.evidence_support import Evidence
    from tests.functional.test_reports import compile_pending
    from tests.functional.test_rollups import campaign_records

    rule = flow.rule(scope="category", category="tasting")
    streams.run_rules(company.root)
    c = flow.approved()
    flow.rule(scope="campaign", campaign_id=c["id"], due_days=3)
    streams.run_rules(company.root)
    api.patch(f"/campaigns/{flow.draft()['id']}", company.rep, {"title": "edited"})
    api.post(f"/campaigns/{c['id']}/reject", company.manager, {"comment": "late"})   # a 409, still calls
    api.post("/campaigns", company.rep, {**flow.draft(), "id": None}, headers={"Idempotency-Key": "pol-1"})
    flow.submit_feedback(c["id"])
    streams.deliver_feedback(c["id"])
    assert api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {},
                    headers={"Idempotency-Key": "pol-2"}).status_code == 201
    for path in ("/campaigns", "/feedback", "/feedback-requests", "/me/feedback-requests", "/feedback-rules",
                 f"/campaigns/{c['id']}/feedback", f"/campaigns/{c['id']}/feedback/revisions"):
        api.get(path, company.leader if path != "/me/feedback-requests" else company.rep)
    assert api.delete(f"/feedback-rules/{rule['id']}", company.leader).status_code == 204
    streams.run_rules(company.root)
    # evidence: a photo (thumbnail, links), a rejected upload (quarantine), a deletion
    ev, e = Evidence(api, lambda_client, company), flow.approved()
    photo = ev.upload(e["id"], C.jpeg(C.scene(7, (640, 480))))
    assert photo["status"] == "ready" and photo.get("thumbnail_url"), photo
    liar = ev.upload(e["id"], C.pdf(), content_type="image/jpeg")
    assert liar["status"] == "rejected"
    assert api.delete(f"/campaigns/{e['id']}/attachments/{photo['id']}", company.rep).status_code == 204
    # evaluation: roll-ups from the campaigns stream, the read routes, a report compiled and mailed
    fresh = [r for r in campaign_records(streams, company.root) if r["eventID"] not in streams.delivered]
    assert streams.invoke("on_campaign_change", fresh) == {"batchItemFailures": []}
    for path in ("/reports/summary?group_by=category&from=2026-10&to=2026-11", f"/campaigns/{c['id']}/evaluation", "/reports"):
        assert api.get(path, company.leader).status_code == 200, path
    assert api.put("/me/report-subscription", company.manager, {"frequency": "monthly"}).status_code == 200
    run = api.post("/reports/runs", company.leader, {"period": "2026-11"})
    assert run.status_code in (201, 202), run.json
    compile_pending(streams, company.root)
    report = api.get(f"/reports/{run.json['report_ids'][0]}", company.leader)
    assert report.json["status"] == "ready", report.json
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

    by_function = {f for f, _, _ in recorded}
    assert by_function == set(FUNCTIONS.values()) - {"APIHandler"} | {"APIHandler"}, by_function
    functions = of_type(resources, "AWS::Serverless::Function")
    denied = set()
    for function, action, resource in recorded:
        role = resources[functions[function]["Properties"]["Role"]["Fn::GetAtt"][0]]
        if not _allows(role, action, _logical(resource)):
            denied.add((function, action, str(_logical(resource))))
    assert not denied, sorted(denied)
