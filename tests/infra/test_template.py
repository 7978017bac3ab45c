"""The production template (`make package`) has every property the deployment relies on.

Each test names what would break in production if someone removed the setting: a poison stream
record holding back settlements, a bucket readable by the internet, a function able to touch
every table. The tables are compared with the PynamoDB models, which stay their one definition.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.conftest import of_type

FUNCTION = "AWS::Serverless::Function"
TABLES = {
    "CampaignsTable": "CampaignModel",
    "FeedbackTable": "FeedbackModel",
    "RulesTable": "RuleModel",
    "EvidenceTable": "EvidenceModel",
    "RollupsTable": "RollupModel",
    "ReportsTable": "ReportModel",
    "ControlTable": "ControlModel",
    "AuditTable": "AuditModel",
    "WebhooksTable": "WebhookModel",
    "ChangesTable": "ChangeModel",
    "InvoicesTable": "InvoiceModel",
    "VouchersTable": "VoucherModel",
}
STREAM_TRIGGERS = {
    "OnFeedbackChange": "FeedbackTable",
    "OnRuleChange": "RulesTable",
    "OnCampaignChange": "CampaignsTable",
    "OnEvidenceChange": "EvidenceTable",
    "OnReportRequested": "ReportsTable",
    "OnVoucherChange": "VouchersTable",
}
STREAMED_TABLES = set(STREAM_TRIGGERS.values())
# Every function of app.py, by the logical id Chalice gives it.
FUNCTIONS = {
    "api_handler": "APIHandler",
    "on_feedback_change": "OnFeedbackChange",
    "on_rule_change": "OnRuleChange",
    "on_upload": "OnUpload",
    "on_campaign_change": "OnCampaignChange",
    "on_evidence_change": "OnEvidenceChange",
    "on_report_requested": "OnReportRequested",
    "on_voucher_change": "OnVoucherChange",
    "compile_scheduled_reports": "CompileScheduledReports",
    "send_overdue_reminders": "SendOverdueReminders",
    "deliver_webhooks": "DeliverWebhooks",
}
# Actions that IAM cannot scope to a resource and that read or write no data.
UNSCOPED_ALLOWED = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"}


def test_cfn_lint_finds_no_errors(template_path):
    done = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(template_path)], capture_output=True, text=True
    )
    # exit code bits: 2 errors, 4 warnings, 8 informational; only errors fail
    assert not done.returncode & 2 and done.returncode in (0, 4, 8, 12), done.stdout + done.stderr


def test_the_merge_template_names_no_key_twice():
    """YAML keeps the last of two equal keys without a word: a second `RestAPI:` (a merge of two
    branches) once dropped the gateway responses of the first. Every mapping's keys are unique."""
    import yaml

    from infra.package import MERGE_TEMPLATE

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node):
        keys = [loader.construct_object(k, deep=True) for k, _ in node.value]
        twice = {k for k in keys if keys.count(k) > 1}
        assert not twice, f"the mapping at line {node.start_mark.line + 1} has {sorted(twice)} more than once"
        return loader.construct_mapping(node, deep=True)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Strict.add_multi_constructor("!", lambda loader, suffix, node: None)  # intrinsics: their keys do not matter here
    yaml.load(MERGE_TEMPLATE.read_text(encoding="utf-8"), Loader=Strict)


# -- tables ------------------------------------------------------------------------------------
def _keys(schema: list[dict]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in schema}


@pytest.mark.parametrize("logical,model_name", TABLES.items())
def test_tables_match_the_models_keys_and_every_index(resources, logical, model_name):
    from chalicelib.dal import models

    schema = getattr(models, model_name)._get_schema()
    props = resources[logical]["Properties"]
    assert _keys(props["KeySchema"]) == _keys(schema["key_schema"])
    assert {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]} == {
        (a["AttributeName"], a["AttributeType"]) for a in schema["attribute_definitions"]
    }
    expected = {
        g["index_name"]: (_keys(g["key_schema"]), g["projection"]["ProjectionType"])
        for g in schema["global_secondary_indexes"]
    }
    actual = {
        g["IndexName"]: (_keys(g["KeySchema"]), g["Projection"]["ProjectionType"])
        for g in props.get("GlobalSecondaryIndexes", [])
    }
    assert actual == expected


@pytest.mark.parametrize("logical", ["RollupsTable", "ReportsTable", "ChangesTable", "WebhooksTable"])
def test_marker_tables_expire_markers_on_the_attribute_the_code_writes(resources, logical):
    """Roll-up markers, reminder markers and webhook deliveries carry `expires_at`
    (models.create_tables turns TTL on for it locally); without TTL they would pile up forever."""
    from chalicelib.dal import models

    model = getattr(models, TABLES[logical])
    assert "expires_at" in model.get_attributes()
    assert resources[logical]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }


def test_the_rules_table_expires_finished_sweeps_on_the_attribute_the_code_writes(resources):
    from chalicelib.dal import models

    assert "expiration" in models.RuleModel.get_attributes()
    assert resources["RulesTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expiration",
        "Enabled": True,
    }


def test_idempotency_table_matches_the_local_one_and_expires_records(resources):
    props = resources["IdempotencyTable"]["Properties"]
    assert _keys(props["KeySchema"]) == {"HASH": "id"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


@pytest.mark.parametrize("logical", [*TABLES, "IdempotencyTable"])
def test_every_table_is_on_demand_recoverable_and_encrypted(resources, logical):
    props = resources[logical]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True


@pytest.mark.parametrize("logical", ["ControlTable", "AuditTable", "InvoicesTable", "VouchersTable"])
def test_the_ledger_and_the_audit_trail_cannot_be_deleted_with_the_table(resources, logical):
    """Retain keeps them when the stack goes; deletion protection also refuses a DeleteTable
    by hand. The settings name the tables the stack creates (the models read them)."""
    from chalicelib.dal import models

    table = resources[logical]
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert table["Properties"]["TableName"] == {"Fn::Sub": "${AWS::StackName}-" + logical[:-5].lower()}
    model = {
        "ControlTable": models.ControlModel,
        "AuditTable": models.AuditModel,
        "InvoicesTable": models.InvoiceModel,
        "VouchersTable": models.VoucherModel,
    }[logical]
    assert model.Meta.table_name.endswith("-" + logical[:-5].lower())


@pytest.mark.parametrize("logical", TABLES)
def test_data_tables_stream_both_images_where_a_trigger_reads_and_survive_stack_deletion(resources, logical):
    table = resources[logical]
    if logical in STREAMED_TABLES:
        assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    else:  # a stream nobody reads is cost and a second copy of the data
        assert "StreamSpecification" not in table["Properties"]
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"


def test_every_function_of_the_app_is_packaged(resources):
    import app

    views = {entry.view_name for methods in app.app.routes.values() for entry in methods.values()}
    assert set(app.app.handler_map) - views | {"api_handler"} == set(FUNCTIONS)
    assert set(of_type(resources, FUNCTION)) == set(FUNCTIONS.values())


# -- stream triggers ---------------------------------------------------------------------------
def _dynamodb_events(resources):
    for fname, fn in of_type(resources, FUNCTION).items():
        for ename, event in fn["Properties"].get("Events", {}).items():
            if event["Type"] == "DynamoDB":
                yield fname, ename, event["Properties"]


def test_every_stream_trigger_reads_its_tables_stream(resources):
    wired = {f: p["Stream"] for f, _, p in _dynamodb_events(resources)}
    assert wired == {f: {"Fn::GetAtt": [t, "StreamArn"]} for f, t in STREAM_TRIGGERS.items()}


def test_every_stream_mapping_reports_partial_failures_bisects_and_gives_up_to_a_queue(resources):
    from devstack.streams import MAX_RETRY_ATTEMPTS

    events = list(_dynamodb_events(resources))
    assert events
    for fname, _, props in events:
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"], fname
        assert props["BisectBatchOnFunctionError"] is True, fname
        # the local runner (devstack/streams.py) behaves the same, so tests exercise this policy
        assert props["MaximumRetryAttempts"] == MAX_RETRY_ATTEMPTS, fname
        on_failure = props["DestinationConfig"]["OnFailure"]
        assert on_failure["Type"] == "SQS"
        queue = on_failure["Destination"]["Fn::GetAtt"][0]
        assert resources[queue]["Type"] == "AWS::SQS::Queue"


def test_the_vouchers_stream_wakes_its_function_only_for_a_voucher_number_just_recorded(resources):
    """Every settlement writes an export item to the vouchers table; without the filter each would
    invoke the posting function (batch size 1) for nothing."""
    [props] = [p for fname, _, p in _dynamodb_events(resources) if fname == "OnVoucherChange"]
    [f] = props["FilterCriteria"]["Filters"]
    pattern = json.loads(f["Pattern"])
    assert pattern == {
        "dynamodb": {
            "NewImage": {"kind": {"S": ["batch"]}, "voucher_no": {"S": [{"exists": True}]}},
            "OldImage": {"voucher_no": {"S": [{"exists": False}]}},
        }
    }
    from chalicelib.dal.models import VoucherModel

    assert {"kind", "voucher_no"} <= set(VoucherModel.get_attributes())  # the attributes the pattern names


def test_functions_get_real_resource_names_and_stream_arns(template, resources):
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    for variable, logical in (
        ("CAMPAIGNS_TABLE", "CampaignsTable"),
        ("FEEDBACK_TABLE", "FeedbackTable"),
        ("RULES_TABLE", "RulesTable"),
        ("IDEMPOTENCY_TABLE", "IdempotencyTable"),
        ("EVIDENCE_TABLE", "EvidenceTable"),
        ("ROLLUPS_TABLE", "RollupsTable"),
        ("REPORTS_TABLE", "ReportsTable"),
        ("CONTROL_TABLE", "ControlTable"),
        ("AUDIT_TABLE", "AuditTable"),
        ("WEBHOOKS_TABLE", "WebhooksTable"),
        ("WEBHOOK_QUEUE_URL", "WebhookDeliveryQueue"),
        ("CHANGES_TABLE", "ChangesTable"),
        ("INVOICES_TABLE", "InvoicesTable"),
        ("VOUCHERS_TABLE", "VouchersTable"),
    ):
        assert env[variable] == {"Ref": logical}, variable
    assert env["WEBHOOK_QUEUE"] == {"Fn::GetAtt": ["WebhookDeliveryQueue", "QueueName"]}
    assert env["WEBHOOK_KEY_ID"] == {"Fn::GetAtt": ["WebhookSecretsKey", "Arn"]}
    assert env["ATTACHMENTS_BUCKET"] == resources["AttachmentsBucket"]["Properties"]["BucketName"]
    for variable, logical in (
        ("FEEDBACK_STREAM_ARN", "FeedbackTable"),
        ("RULES_STREAM_ARN", "RulesTable"),
        ("CAMPAIGNS_STREAM_ARN", "CampaignsTable"),
        ("REPORTS_STREAM_ARN", "ReportsTable"),
        ("EVIDENCE_STREAM_ARN", "EvidenceTable"),
        ("VOUCHERS_STREAM_ARN", "VouchersTable"),
    ):
        assert env[variable] == {"Fn::GetAtt": [logical, "StreamArn"]}, variable
    # the From of reports and reminders is the SES parameter; thresholds are optional
    assert env["HUIXIANG_MAIL_FROM"] == {"Ref": "SesFromAddress"}
    assert env["EVIDENCE_THRESHOLDS"] == {
        "Fn::If": ["HasEvidenceThresholds", {"Ref": "EvidenceThresholds"}, {"Ref": "AWS::NoValue"}]
    }
    for name, fn in of_type(resources, FUNCTION).items():
        own = fn["Properties"].get("Environment", {}).get("Variables", {})
        # a function-level value would shadow the Global one (e.g. a placeholder from config.json)
        assert not set(own) & set(env), (name, set(own) & set(env))
        assert own.get("HUIXIANG_STAGE") == "prod"


def test_every_variable_the_settings_read_is_set_by_the_stack_or_has_a_safe_default(template):
    """A variable chalicelib/config.py reads but the stack never sets silently falls back to the
    dev name (huixiang-dev-...): the function would talk to a table that does not exist."""
    import inspect
    import re

    from chalicelib import config

    read = set(re.findall(r'env\.get\("([A-Z_]+)"', inspect.getsource(config.settings)))
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    # local-only or with a default that is right in prod (documented in README/devstack)
    local_or_defaulted = {
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "HUIXIANG_CATEGORIES",
        "HUIXIANG_STAGE",
        "JWKS_PATH",
        "HUIXIANG_READY_FILE",
        "HUIXIANG_MAX_BODY_BYTES",
        "HUIXIANG_IDEMPOTENCY_TTL",
        "REPORTS_BUCKET",
        "HUIXIANG_OUTBOX_DIR",
        # webhooks: the production schedule and timeout are the defaults; loopback http is local only
        "HUIXIANG_WEBHOOK_RETRY_DELAYS",
        "HUIXIANG_WEBHOOK_TIMEOUT",
        "HUIXIANG_WEBHOOK_LOCAL_HTTP",
        "HUIXIANG_WEBHOOK_DELIVERY_DAYS",
    }
    assert read - local_or_defaulted <= set(env), read - local_or_defaulted - set(env)


def test_the_upload_checker_is_triggered_where_the_evidence_code_uploads(resources):
    """on_upload is a plain Lambda function (Chalice cannot package on_s3_event): its S3 event is
    in infra/template.yaml and must match the local registration (devstack/uploads.py) and the
    prefix presigned uploads go to."""
    from chalicelib.dal import objects
    from devstack.uploads import explicit_triggers

    [trigger] = explicit_triggers()
    events = resources["OnUpload"]["Properties"]["Events"]
    [(name, event)] = events.items()
    assert event["Type"] == "S3" and event["Properties"]["Bucket"] == {"Ref": "AttachmentsBucket"}
    assert event["Properties"]["Events"] in ("s3:ObjectCreated:*", ["s3:ObjectCreated:*"])
    assert event["Properties"]["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": objects.UPLOAD_PREFIX}]
    assert trigger.prefix == objects.UPLOAD_PREFIX and trigger.name == "on_upload"
    assert objects.upload_key("c", "a").startswith(objects.UPLOAD_PREFIX)
    # failed checks are not dropped after S3's async retries: they go to the failure queue
    on_failure = resources["OnUpload"]["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
    assert on_failure == {"Type": "SQS", "Destination": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}}


@pytest.mark.parametrize(
    "function,cron", [("CompileScheduledReports", "cron(0 23 * * ? *)"), ("SendOverdueReminders", "cron(0 1 * * ? *)")]
)
def test_schedules_fire_at_their_hours(resources, function, cron):
    [event] = resources[function]["Properties"]["Events"].values()
    assert event["Type"] == "Schedule" and event["Properties"]["Schedule"] == cron


# -- attachments bucket ------------------------------------------------------------------------
def test_bucket_blocks_public_access_encrypts_and_keeps_versions(resources):
    props = resources["AttachmentsBucket"]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert rule["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_nothing_a_function_needs_depends_on_the_bucket(template, resources):
    """An S3 notification makes the bucket depend on a function: if that function (its role, its
    environment) referred to the bucket resource, CloudFormation would refuse the cycle."""

    def refers(value) -> bool:
        text = json.dumps(value)
        return '"Ref": "AttachmentsBucket"' in text or '["AttachmentsBucket"' in text or "${AttachmentsBucket" in text

    assert not refers(template["Globals"])
    for name, fn in of_type(resources, FUNCTION).items():
        # a SAM S3 event names the bucket, but becomes the bucket's notification + a permission
        events = {k: e for k, e in fn["Properties"].get("Events", {}).items() if e["Type"] != "S3"}
        assert not refers({**fn, "Properties": {**fn["Properties"], "Events": events}}), name
        assert not refers(resources[fn["Properties"]["Role"]["Fn::GetAtt"][0]]), name


def test_bucket_refuses_plain_http(resources):
    policy = resources["AttachmentsBucketPolicy"]["Properties"]["PolicyDocument"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Statement"]
    )
    assert not any(s["Effect"] == "Allow" for s in policy["Statement"])


def test_bucket_cors_comes_from_the_origins_parameter(template, resources):
    rules = resources["AttachmentsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rules[0]["AllowedOrigins"] == {"Ref": "AllowedOrigins"}  # (rules[1]: the console, test_console_hosting)
    assert "POST" in rules[0]["AllowedMethods"]
    assert template["Parameters"]["AllowedOrigins"]["Type"] == "CommaDelimitedList"


def test_bucket_lifecycle_expires_what_must_not_pile_up(resources):
    rules = {r["Id"]: r for r in resources["AttachmentsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert all(r["Status"] == "Enabled" for r in rules.values())
    by_prefix = {r.get("Prefix"): r for r in rules.values() if "ExpirationInDays" in r}
    # parked stream records (chalicelib/handlers/streams.py writes dead-letters/<source>/...)
    assert by_prefix["dead-letters/"]["ExpirationInDays"] == {"Ref": "DeadLetterDays"}
    assert by_prefix["quarantine/"]["ExpirationInDays"] == {"Ref": "QuarantineDays"}
    assert by_prefix["reports/"]["ExpirationInDays"] == {"Ref": "ReportDays"}
    # accepted evidence and its thumbnails live under these: an expiry rule would delete proof
    assert not any(p is None or p.startswith(("uploads", "thumbnails")) or "uploads/".startswith(p) for p in by_prefix)
    assert rules["abort-incomplete-multipart"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == {
        "Ref": "AbandonedUploadDays"
    }
    assert "NoncurrentVersionExpiration" in rules["expire-old-versions"]


def test_expiring_prefixes_are_the_ones_the_object_store_writes(resources):
    """Every object key is made in dal/objects.py; the lifecycle rules must name its prefixes."""
    from chalicelib.dal import objects

    rules = {
        r.get("Prefix") or (r.get("Filter") or {}).get("Prefix"): r
        for r in resources["AttachmentsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    }
    written = {
        "dead-letters/": objects.dead_letter_key("feedback-stream", "E1"),
        "quarantine/": objects.quarantine_key(objects.upload_key("c", "a")),
        "reports/": objects.report_prefix("T", "2026-11", "R1"),
    }
    for prefix, key in written.items():
        assert key.startswith(prefix) and prefix in rules, (prefix, key)
    assert (
        objects.thumbnail_key("c", "a").startswith(objects.THUMBNAIL_PREFIX) and objects.THUMBNAIL_PREFIX not in rules
    )
    assert objects.UPLOAD_PREFIX not in rules


# -- identity and email ------------------------------------------------------------------------
def test_user_pool_carries_role_and_org_that_only_admins_can_set(template, resources):
    pool = resources["UserPool"]["Properties"]
    custom = {a["Name"] for a in pool["Schema"] if a.get("AttributeDataType") == "String"}
    assert {"role", "org"} <= custom
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    client = resources["UserPoolClient"]["Properties"]
    assert {"custom:role", "custom:org"} <= set(client["ReadAttributes"])
    assert not {"custom:role", "custom:org"} & set(client["WriteAttributes"])
    assert client["GenerateSecret"] is False
    # or trust an existing pool
    assert resources["UserPool"]["Condition"] == "CreateUserPool"
    assert "ExistingUserPoolId" in template["Parameters"] and "ExistingUserPoolClientId" in template["Parameters"]


def test_token_settings_derive_from_the_pool(template):
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    jwks = json.dumps(env["JWKS_URL"])
    assert "cognito-idp" in jwks and ".well-known/jwks.json" in jwks and "UserPool" in jwks
    assert "cognito-idp" in json.dumps(env["TOKEN_ISSUER"])
    assert env["TOKEN_AUDIENCE"] == {
        "Fn::If": ["CreateUserPool", {"Ref": "UserPoolClient"}, {"Ref": "ExistingUserPoolClientId"}]
    }


def test_ses_identity_is_a_parameter(template, resources):
    assert {"SesIdentity", "SesFromAddress"} <= set(template["Parameters"])
    assert resources["SesEmailIdentity"]["Properties"]["EmailIdentity"] == {"Ref": "SesIdentity"}


# -- alarms ------------------------------------------------------------------------------------
def _alarms(resources) -> list[dict]:
    return [a["Properties"] for a in of_type(resources, "AWS::CloudWatch::Alarm").values()]


def _alarm_on(resources, namespace: str, metric: str, dimension_value) -> dict | None:
    for a in _alarms(resources):
        if (
            a["Namespace"] == namespace
            and a["MetricName"] == metric
            and any(d["Value"] == dimension_value for d in a["Dimensions"])
        ):
            return a
    return None


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_error_and_throttle_alarms(resources, metric):
    functions = of_type(resources, FUNCTION)
    assert len(functions) >= 3
    for name in functions:
        alarm = _alarm_on(resources, "AWS/Lambda", metric, {"Ref": name})
        assert alarm is not None, f"{name} has no {metric} alarm"
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_throttled_writes_to_the_invoice_ledger_raise_an_alarm(resources):
    """A throttled claim, release or settlement is refused: someone must hear of it."""
    alarm = _alarm_on(resources, "AWS/DynamoDB", "WriteThrottleEvents", {"Ref": "InvoicesTable"})
    assert alarm is not None and alarm["Threshold"] == 0 and alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_dead_letter_depth_alarm(resources):
    alarm = _alarm_on(
        resources, "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": ["StreamFailureQueue", "QueueName"]}
    )
    assert alarm is not None and alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_api_5xx_alarm_watches_the_api_chalice_generates(resources):
    api = resources["RestAPI"]["Properties"]
    alarm = _alarm_on(resources, "AWS/ApiGateway", "5XXError", api["DefinitionBody"]["info"]["title"])
    assert alarm is not None
    assert {"Name": "Stage", "Value": api["StageName"]} in alarm["Dimensions"]


# -- IAM ---------------------------------------------------------------------------------------
def _statements(role: dict):
    for policy in role["Properties"].get("Policies", []):
        statements = policy["PolicyDocument"]["Statement"]
        yield from (statements if isinstance(statements, list) else [statements])


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_each_function_has_its_own_role(resources):
    roles = [fn["Properties"]["Role"] for fn in of_type(resources, FUNCTION).values()]
    assert all("Fn::GetAtt" in r for r in roles)
    assert len({r["Fn::GetAtt"][0] for r in roles}) == len(roles)


def test_no_wildcard_action_and_no_wildcard_resource_on_data(resources):
    roles = of_type(resources, "AWS::IAM::Role")
    assert roles
    for name, role in roles.items():
        assert not role["Properties"].get("ManagedPolicyArns"), name
        for st in _statements(role):
            actions = _as_list(st["Action"])
            assert "NotAction" not in st and "NotResource" not in st, name
            for action in actions:
                assert "*" not in action, (name, action)
            for resource in _as_list(st["Resource"]):
                # a literal string ARN with a wildcard ("*", "arn:aws:dynamodb:*:*:table/*") is unscoped;
                # scoped ones are built from the resources of this template (GetAtt / Sub on them)
                if isinstance(resource, str) and "*" in resource:
                    assert set(actions) <= UNSCOPED_ALLOWED, (name, actions, resource)
                elif json.dumps(resource).startswith('{"Fn::Sub": "arn:${AWS::Partition}:ses:'):
                    # the SES identity is a stack parameter, and the From address is pinned
                    assert resource["Fn::Sub"].endswith(":identity/${SesIdentity}"), (name, resource)
                    assert st["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "SesFromAddress"}}}
                else:
                    assert (
                        "${AWS::StackName}" in json.dumps(resource)
                        or "Fn::GetAtt" in json.dumps(resource)
                        or "Arn}" in json.dumps(resource)
                    ), (name, resource)


def _allowed(resources, role_name: str, action: str) -> list:
    return [
        r
        for st in _statements(resources[role_name])
        if st["Effect"] == "Allow" and action in st["Action"]
        for r in _as_list(st["Resource"])
    ]


EMITTERS = {"OnFeedbackChange", "OnCampaignChange", "OnReportRequested"}  # their facts are webhook events


def test_stream_functions_read_only_their_own_stream_and_may_reach_their_queue(resources):
    for fname, table in STREAM_TRIGGERS.items():
        role = resources[fname]["Properties"]["Role"]["Fn::GetAtt"][0]
        assert _allowed(resources, role, "dynamodb:GetRecords") == [{"Fn::GetAtt": [table, "StreamArn"]}]
        queues = [{"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}]
        if fname in EMITTERS:
            queues.append({"Fn::GetAtt": ["WebhookDeliveryQueue", "Arn"]})
        assert _allowed(resources, role, "sqs:SendMessage") == queues
        bucket = resources["AttachmentsBucket"]["Properties"]["BucketName"]["Fn::Sub"]
        assert {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket}/dead-letters/*"} in _allowed(
            resources, role, "s3:PutObject"
        )


def _bucket_prefixes(resources, role_name: str, action: str) -> set[str]:
    bucket = resources["AttachmentsBucket"]["Properties"]["BucketName"]["Fn::Sub"]
    out = set()
    for r in _allowed(resources, role_name, action):
        arn = r["Fn::Sub"]
        assert arn.startswith(f"arn:${{AWS::Partition}}:s3:::{bucket}/"), arn
        out.add(arn.split(f"{bucket}/", 1)[1])
    return out


def test_api_cannot_read_streams_or_touch_the_bucket_beyond_its_grants(resources):
    role = resources["APIHandler"]["Properties"]["Role"]["Fn::GetAtt"][0]
    assert _allowed(resources, role, "dynamodb:GetRecords") == []
    assert _allowed(resources, role, "dynamodb:Scan") == []  # no Scan anywhere in chalicelib/
    # presigned POST for uploads, presigned GETs for downloads/thumbnails/reports, and deleting
    # an attachment's objects; never dead-letters/ and never the whole bucket
    # and a voucher batch's two files, written by the request that makes the batch
    assert _bucket_prefixes(resources, role, "s3:PutObject") == {"uploads/*", "vouchers/*"}
    assert _bucket_prefixes(resources, role, "s3:GetObject") == {"uploads/*", "thumbnails/*", "reports/*", "vouchers/*"}
    assert _bucket_prefixes(resources, role, "s3:DeleteObject") == {"uploads/*", "thumbnails/*", "quarantine/*"}
    assert _allowed(resources, role, "ses:SendRawEmail") == []


@pytest.mark.parametrize(
    "function,puts,gets,deletes,mails",
    [
        ("OnUpload", {"quarantine/*", "thumbnails/*"}, {"uploads/*"}, {"uploads/*"}, False),
        ("OnCampaignChange", {"dead-letters/*"}, set(), set(), False),
        ("OnReportRequested", {"reports/*", "dead-letters/*"}, {"thumbnails/*"}, set(), True),  # a standout's photo
        ("OnVoucherChange", {"dead-letters/*"}, set(), set(), False),
        ("CompileScheduledReports", set(), set(), set(), False),
        ("SendOverdueReminders", set(), set(), set(), True),
    ],
)
def test_new_functions_reach_exactly_their_prefixes_and_only_mail_senders_mail(
    resources, function, puts, gets, deletes, mails
):
    role = resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    assert _bucket_prefixes(resources, role, "s3:PutObject") == puts
    assert _bucket_prefixes(resources, role, "s3:GetObject") == gets
    assert _bucket_prefixes(resources, role, "s3:DeleteObject") == deletes
    assert bool(_allowed(resources, role, "ses:SendRawEmail")) is mails


# Whatever a role may do on the audit table. Entries are never changed or deleted through the
# code (dal/audit.py: one put per entry, conditional on its absence, in the transaction of the
# change it records), so no role needs more than PutItem (the API also reads a trail: Query), and
# without UpdateItem/DeleteItem/BatchWriteItem (nor their PartiQL forms) a function's
# credentials cannot rewrite or drop an entry either. IAM cannot require the put's condition;
# tests/infra/test_policies_cover_calls.py checks that every put the code sends carries it.
AUDIT_ACTIONS = {"dynamodb:PutItem", "dynamodb:Query"}
NEVER_ON_AUDIT = {
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:PartiQLInsert",
}


def test_no_role_can_change_or_delete_an_audit_entry(resources):
    roles = of_type(resources, "AWS::IAM::Role")
    granted: dict[str, set[str]] = {}
    for name, role in roles.items():
        for st in _statements(role):
            if any("AuditTable" in json.dumps(r) for r in _as_list(st["Resource"])):
                assert st["Effect"] == "Allow", (name, st)
                granted.setdefault(name, set()).update(_as_list(st["Action"]))
    for name, actions in granted.items():
        assert not actions & NEVER_ON_AUDIT, (name, actions & NEVER_ON_AUDIT)
        assert actions <= AUDIT_ACTIONS, (name, actions - AUDIT_ACTIONS)
    # the functions that change campaigns write entries; only the API reads a trail
    writers = {"APIHandler", "OnFeedbackChange", "OnRuleChange", "OnUpload", "OnVoucherChange"}
    role_of = {fn: resources[fn]["Properties"]["Role"]["Fn::GetAtt"][0] for fn in of_type(resources, FUNCTION)}
    assert {fn for fn, role in role_of.items() if "dynamodb:PutItem" in granted.get(role, ())} == writers
    assert {fn for fn, role in role_of.items() if "dynamodb:Query" in granted.get(role, ())} == {"APIHandler"}


def test_the_api_deletes_only_delegations_and_rule_claims_and_updates_only_budget_figures_in_the_control_table(
    resources,
):
    """Ledger entries, scope items and policies are never deleted (a deleted rule releases its
    target's claim, `rule#…`), and only a budget's item (`budget#…`: its figures, and the
    entries beside it) is ever updated: the grants say so by partition key. Besides the API,
    only the report compiler reads it (the budgets section: one Query on by_group), and
    nothing else touches it."""
    role = resources["APIHandler"]["Properties"]["Role"]["Fn::GetAtt"][0]
    table = {"Fn::GetAtt": ["ControlTable", "Arn"]}
    for action, prefixes in (
        ("dynamodb:DeleteItem", ["delegation#*", "rule#*"]),
        ("dynamodb:UpdateItem", ["budget#*"]),
    ):
        [st] = [
            st
            for st in _statements(resources[role])
            if action in _as_list(st["Action"]) and table in _as_list(st["Resource"])
        ]
        assert st["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": prefixes}}, action
    others = {
        name: [st for st in _statements(r) if "ControlTable" in json.dumps(st["Resource"])]
        for name, r in of_type(resources, "AWS::IAM::Role").items()
        if name != role
    }
    others = {name: sts for name, sts in others.items() if sts}
    assert set(others) == {"OnReportRequestedRole"}, set(others)
    assert [_as_list(st["Action"]) for st in others["OnReportRequestedRole"]] == [["dynamodb:Query"]]
    assert [st["Resource"] for st in others["OnReportRequestedRole"]] == [
        {"Fn::Sub": "${ControlTable.Arn}/index/by_group"}
    ]


def test_an_upgrade_can_hold_back_indexes_dynamodb_adds_one_per_update():
    """DynamoDB creates one GSI per table update, so a deployed stack gains wait_l1..3 in three
    updates (docs/deploying.md); `--hold-back-index` leaves the later ones out, and with them
    the attribute definitions no other key uses, and nothing else."""
    from infra.package import hold_back, merge_template_json

    full = merge_template_json()
    held = hold_back(merge_template_json(), ["CampaignsTable.wait_l2", "CampaignsTable.wait_l3"])
    props, whole = held["Resources"]["CampaignsTable"]["Properties"], full["Resources"]["CampaignsTable"]["Properties"]
    assert {g["IndexName"] for g in whole["GlobalSecondaryIndexes"]} - {
        g["IndexName"] for g in props["GlobalSecondaryIndexes"]
    } == {"wait_l2", "wait_l3"}
    assert {a["AttributeName"] for a in whole["AttributeDefinitions"]} - {
        a["AttributeName"] for a in props["AttributeDefinitions"]
    } == {"wait_l2", "wait_l3"}  # wait_sk: wait_l1's
    everything_else = {k: v for k, v in held["Resources"].items() if k != "CampaignsTable"}
    assert everything_else == {k: v for k, v in full["Resources"].items() if k != "CampaignsTable"}
    with pytest.raises(SystemExit):
        hold_back(merge_template_json(), ["CampaignsTable.no_such_index"])


# -- events out ----------------------------------------------------------------------------------
def test_the_delivery_function_reads_its_queue_reporting_each_failed_message(resources):
    """A poison ticket fails alone (ReportBatchItemFailures) and is parked whole in the
    dead-letter queue after as many receives as the local stack allows (devstack/webhooks.py)."""
    from devstack.webhooks import MAX_RECEIVES

    [event] = resources["DeliverWebhooks"]["Properties"]["Events"].values()
    props = event["Properties"]
    assert event["Type"] == "SQS" and props["Queue"] == {"Fn::GetAtt": ["WebhookDeliveryQueue", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = resources["WebhookDeliveryQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["WebhookDeliveryDeadLetterQueue", "Arn"]},
        "maxReceiveCount": MAX_RECEIVES,
    }
    # Lambda asks for a visibility of six times the function's timeout; tickets outlive the longest wait
    timeout = resources["DeliverWebhooks"]["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert resources["WebhookDeliveryDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert all(q["Properties"]["SqsManagedSseEnabled"] for q in (resources["WebhookDeliveryQueue"],))


def test_parked_tickets_and_failed_deliveries_raise_alarms(resources):
    depth = _alarm_on(
        resources,
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"Fn::GetAtt": ["WebhookDeliveryDeadLetterQueue", "QueueName"]},
    )
    assert depth is not None and depth["Threshold"] == 0 and depth["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    failed = _alarm_on(resources, "Huixiang", "WebhookDeliveriesFailed", "huixiang")
    assert failed is not None and failed["Statistic"] == "Sum" and failed["Threshold"] == 0


def test_only_the_api_and_the_delivery_function_may_use_the_secrets_key(resources):
    """The API seals a new secret (and opens it to show it once); the delivery function opens it
    to sign. Both only under an encryption context naming company and webhook."""
    key = resources["WebhookSecretsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    users = {}
    for name, role in of_type(resources, "AWS::IAM::Role").items():
        for st in _statements(role):
            kms = [a for a in _as_list(st["Action"]) if a.startswith("kms:")]
            if kms:
                assert _as_list(st["Resource"]) == [{"Fn::GetAtt": ["WebhookSecretsKey", "Arn"]}], (name, st)
                assert st["Condition"] == {
                    "Null": {"kms:EncryptionContext:company": "false", "kms:EncryptionContext:webhook": "false"}
                }
                users.setdefault(name, set()).update(kms)
    role_of = {fn: resources[fn]["Properties"]["Role"]["Fn::GetAtt"][0] for fn in ("APIHandler", "DeliverWebhooks")}
    assert users == {role_of["APIHandler"]: {"kms:Encrypt", "kms:Decrypt"}, role_of["DeliverWebhooks"]: {"kms:Decrypt"}}


def test_the_api_deletes_only_webhooks_never_their_delivery_records(resources):
    role = resources["APIHandler"]["Properties"]["Role"]["Fn::GetAtt"][0]
    [st] = [
        st
        for st in _statements(resources[role])
        if "dynamodb:DeleteItem" in _as_list(st["Action"]) and "WebhooksTable" in json.dumps(st["Resource"])
    ]
    assert st["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["hook#*"]}}
