"""Least privilege must still be enough: every AWS call the code makes during a whole loop is
allowed by the policy of the function that makes it, on the resource it touches. Without this,
a tightened policy would only fail in AWS, as AccessDenied after deployment."""
from __future__ import annotations

import botocore.client
import pytest

from tests.infra.conftest import of_type

ITEM_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
FUNCTIONS = {"on_feedback_change": "OnFeedbackChange", "on_rule_change": "OnRuleChange"}


@pytest.fixture
def recorded(monkeypatch, streams):
    """(function logical id, IAM action, resource) of every AWS call made by the app's code."""
    calls: list[tuple[str, str, tuple]] = []
    current = {"function": "APIHandler"}
    original_call, original_invoke = botocore.client.BaseClient._make_api_call, type(streams).invoke

    def call(self, operation, params):
        if current["function"] is not None:
            calls.extend((current["function"], action, resource)
                         for action, resource in _actions(self.meta.service_model.service_name, operation, params))
        return original_call(self, operation, params)

    def invoke(self, function, records):
        current["function"] = FUNCTIONS[function]
        try:
            return original_invoke(self, function, records)
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
    monkeypatch.setattr(type(streams), "invoke", invoke)
    monkeypatch.setattr(type(streams), "records", harness(type(streams).records))
    return calls


def _actions(service: str, operation: str, params: dict):
    if service == "dynamodb" and operation == "TransactWriteItems":
        for entry in params["TransactItems"]:
            (kind, body), = entry.items()
            yield f"dynamodb:{ITEM_ACTIONS[kind]}", ("table", body["TableName"], None)
    elif service == "dynamodb":
        yield f"dynamodb:{operation}", ("table", params.get("TableName"), params.get("IndexName"))
    elif service == "s3":
        yield f"s3:{operation}", ("object", params.get("Bucket"), params.get("Key"))
    else:
        yield f"{service}:{operation}", ("other", None, None)


def _logical(resource: tuple) -> dict | str:
    from chalicelib.config import settings

    s = settings()
    kind, name, detail = resource
    if kind == "table":
        logical = {s.campaigns_table: "CampaignsTable", s.feedback_table: "FeedbackTable",
                   s.rules_table: "RulesTable", s.idempotency_table: "IdempotencyTable"}[name]
        return {"Fn::Sub": "${%s.Arn}/index/*" % logical} if detail else {"Fn::GetAtt": [logical, "Arn"]}
    if kind == "object":
        assert name == s.attachments_bucket
        return detail
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
                                                                      resources):
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

    by_function = {f for f, _, _ in recorded}
    assert by_function == {"APIHandler", "OnFeedbackChange", "OnRuleChange"}, by_function
    functions = of_type(resources, "AWS::Serverless::Function")
    denied = set()
    for function, action, resource in recorded:
        role = resources[functions[function]["Properties"]["Role"]["Fn::GetAtt"][0]]
        if not _allows(role, action, _logical(resource)):
            denied.add((function, action, str(_logical(resource))))
    assert not denied, sorted(denied)
