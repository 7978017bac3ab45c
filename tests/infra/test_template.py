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
TABLES = {"CampaignsTable": "CampaignModel", "FeedbackTable": "FeedbackModel", "RulesTable": "RuleModel"}
STREAM_TRIGGERS = {"OnFeedbackChange": "FeedbackTable", "OnRuleChange": "RulesTable"}
# Actions that IAM cannot scope to a resource and that read or write no data.
UNSCOPED_ALLOWED = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"}


def test_cfn_lint_finds_no_errors(template_path):
    done = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), str(template_path)],
                          capture_output=True, text=True)
    # exit code bits: 2 errors, 4 warnings, 8 informational; only errors fail
    assert not done.returncode & 2 and done.returncode in (0, 4, 8, 12), done.stdout + done.stderr


# -- tables ------------------------------------------------------------------------------------
def _keys(schema: list[dict]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in schema}


@pytest.mark.parametrize("logical,model_name", TABLES.items())
def test_tables_match_the_models_keys_and_every_index(resources, logical, model_name):
    from chalicelib.dal import models

    schema = getattr(models, model_name)._get_schema()
    props = resources[logical]["Properties"]
    assert _keys(props["KeySchema"]) == _keys(schema["key_schema"])
    assert {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]} == \
        {(a["AttributeName"], a["AttributeType"]) for a in schema["attribute_definitions"]}
    expected = {g["index_name"]: (_keys(g["key_schema"]), g["projection"]["ProjectionType"])
                for g in schema["global_secondary_indexes"]}
    actual = {g["IndexName"]: (_keys(g["KeySchema"]), g["Projection"]["ProjectionType"])
              for g in props.get("GlobalSecondaryIndexes", [])}
    assert actual == expected


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


@pytest.mark.parametrize("logical", TABLES)
def test_data_tables_stream_both_images_and_survive_stack_deletion(resources, logical):
    table = resources[logical]
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"


# -- stream triggers ---------------------------------------------------------------------------
def _dynamodb_events(resources):
    for fname, fn in of_type(resources, FUNCTION).items():
        for ename, event in fn["Properties"].get("Events", {}).items():
            if event["Type"] == "DynamoDB":
                yield fname, ename, event["Properties"]


def test_both_stream_triggers_read_their_tables_stream(resources):
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


def test_functions_get_real_resource_names_and_stream_arns(template, resources):
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["CAMPAIGNS_TABLE"] == {"Ref": "CampaignsTable"}
    assert env["FEEDBACK_TABLE"] == {"Ref": "FeedbackTable"}
    assert env["RULES_TABLE"] == {"Ref": "RulesTable"}
    assert env["IDEMPOTENCY_TABLE"] == {"Ref": "IdempotencyTable"}
    assert env["ATTACHMENTS_BUCKET"] == resources["AttachmentsBucket"]["Properties"]["BucketName"]
    assert env["FEEDBACK_STREAM_ARN"] == {"Fn::GetAtt": ["FeedbackTable", "StreamArn"]}
    assert env["RULES_STREAM_ARN"] == {"Fn::GetAtt": ["RulesTable", "StreamArn"]}
    for name, fn in of_type(resources, FUNCTION).items():
        own = fn["Properties"].get("Environment", {}).get("Variables", {})
        # a function-level value would shadow the Global one (e.g. a placeholder from config.json)
        assert not set(own) & set(env), (name, set(own) & set(env))
        assert own.get("HUIXIANG_STAGE") == "prod"


# -- attachments bucket ------------------------------------------------------------------------
def test_bucket_blocks_public_access_encrypts_and_keeps_versions(resources):
    props = resources["AttachmentsBucket"]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert rule["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_nothing_a_function_needs_depends_on_the_bucket(template, resources):
    """An S3 notification makes the bucket depend on a function: if that function (its role, its
    environment) referred to the bucket resource, CloudFormation would refuse the cycle."""
    def refers(value) -> bool:
        text = json.dumps(value)
        return '"Ref": "AttachmentsBucket"' in text or '["AttachmentsBucket"' in text or \
            "${AttachmentsBucket" in text
    assert not refers(template["Globals"])
    for name, fn in of_type(resources, FUNCTION).items():
        assert not refers(fn), name
        assert not refers(resources[fn["Properties"]["Role"]["Fn::GetAtt"][0]]), name


def test_bucket_refuses_plain_http(resources):
    policy = resources["AttachmentsBucketPolicy"]["Properties"]["PolicyDocument"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in policy["Statement"])
    assert not any(s["Effect"] == "Allow" for s in policy["Statement"])


def test_bucket_cors_comes_from_the_origins_parameter(template, resources):
    rules = resources["AttachmentsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert [r["AllowedOrigins"] for r in rules] == [{"Ref": "AllowedOrigins"}]
    assert "POST" in rules[0]["AllowedMethods"]
    assert template["Parameters"]["AllowedOrigins"]["Type"] == "CommaDelimitedList"


def test_bucket_lifecycle_expires_what_must_not_pile_up(resources):
    rules = {r["Id"]: r for r in resources["AttachmentsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert all(r["Status"] == "Enabled" for r in rules.values())
    by_prefix = {r.get("Prefix"): r for r in rules.values() if "ExpirationInDays" in r}
    # parked stream records (chalicelib/handlers/streams.py writes dead-letters/<source>/...)
    assert by_prefix["dead-letters/"]["ExpirationInDays"] == {"Ref": "DeadLetterDays"}
    assert by_prefix["incoming/"]["ExpirationInDays"] == {"Ref": "AbandonedUploadDays"}
    assert by_prefix["quarantine/"]["ExpirationInDays"] == {"Ref": "QuarantineDays"}
    assert by_prefix["reports/"]["ExpirationInDays"] == {"Ref": "ReportDays"}
    assert rules["abort-incomplete-multipart"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1
    assert "NoncurrentVersionExpiration" in rules["expire-old-versions"]


def test_dead_letter_prefix_is_the_one_the_stream_handlers_write(resources):
    import inspect

    from chalicelib.handlers import streams

    assert 'f"dead-letters/{source}/' in inspect.getsource(streams.park_failed_record)


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
    assert env["TOKEN_AUDIENCE"] == {"Fn::If": ["CreateUserPool", {"Ref": "UserPoolClient"},
                                                {"Ref": "ExistingUserPoolClientId"}]}


def test_ses_identity_is_a_parameter(template, resources):
    assert {"SesIdentity", "SesFromAddress"} <= set(template["Parameters"])
    assert resources["SesEmailIdentity"]["Properties"]["EmailIdentity"] == {"Ref": "SesIdentity"}


# -- alarms ------------------------------------------------------------------------------------
def _alarms(resources) -> list[dict]:
    return [a["Properties"] for a in of_type(resources, "AWS::CloudWatch::Alarm").values()]


def _alarm_on(resources, namespace: str, metric: str, dimension_value) -> dict | None:
    for a in _alarms(resources):
        if a["Namespace"] == namespace and a["MetricName"] == metric and \
                any(d["Value"] == dimension_value for d in a["Dimensions"]):
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


def test_dead_letter_depth_alarm(resources):
    alarm = _alarm_on(resources, "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                      {"Fn::GetAtt": ["StreamFailureQueue", "QueueName"]})
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
                else:
                    assert "${AWS::StackName}" in json.dumps(resource) or "Fn::GetAtt" in json.dumps(resource) \
                        or "Arn}" in json.dumps(resource), (name, resource)


def _allowed(resources, role_name: str, action: str) -> list:
    return [r for st in _statements(resources[role_name]) if st["Effect"] == "Allow" and action in st["Action"]
            for r in _as_list(st["Resource"])]


def test_stream_functions_read_only_their_own_stream_and_may_reach_their_queue(resources):
    for fname, table in STREAM_TRIGGERS.items():
        role = resources[fname]["Properties"]["Role"]["Fn::GetAtt"][0]
        assert _allowed(resources, role, "dynamodb:GetRecords") == [{"Fn::GetAtt": [table, "StreamArn"]}]
        assert _allowed(resources, role, "sqs:SendMessage") == [{"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}]
        bucket = resources["AttachmentsBucket"]["Properties"]["BucketName"]["Fn::Sub"]
        assert _allowed(resources, role, "s3:PutObject") == [
            {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket}/dead-letters/*"}]


def test_api_cannot_read_streams_or_touch_the_bucket_beyond_its_grants(resources):
    role = resources["APIHandler"]["Properties"]["Role"]["Fn::GetAtt"][0]
    assert _allowed(resources, role, "dynamodb:GetRecords") == []
    assert _allowed(resources, role, "dynamodb:Scan") == []  # no Scan anywhere in chalicelib/
    assert _allowed(resources, role, "s3:DeleteObject") == []
