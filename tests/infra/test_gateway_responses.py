"""API Gateway's own answers in production: a path no route serves, or a method a path does not
take, gets the contract's 404 not_found (not API Gateway's 403 that quotes the bearer token), and
none of its error bodies can repeat a request header. The local stack answers the same requests
as tested in tests/e2e/test_unknown_routes.py."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def gateway_responses(resources) -> dict:
    body = resources["RestAPI"]["Properties"]["DefinitionBody"]
    return body["x-amazon-apigateway-gateway-responses"]


@pytest.mark.parametrize("response_type", ["MISSING_AUTHENTICATION_TOKEN", "INVALID_SIGNATURE"])
def test_an_unknown_route_or_method_is_404_not_found_in_the_error_shape(gateway_responses, response_type):
    response = gateway_responses[response_type]
    assert response["statusCode"] == "404"
    body = json.loads(response["responseTemplates"]["application/json"])
    assert body["code"] == "not_found" and body["message"]


def test_every_gateway_answer_has_the_error_shape_and_quotes_nothing_of_the_request(gateway_responses):
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= set(gateway_responses)
    for name, response in gateway_responses.items():
        template = response["responseTemplates"]["application/json"]
        assert "$" not in template, f"{name} substitutes request or error data: {template}"
        assert set(json.loads(template)) == {"code", "message"}, name
        assert not any("method.request" in json.dumps(v) for v in (response.get("responseParameters") or {}).values())


def test_the_routes_chalice_generates_are_still_there(resources):
    paths = resources["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    assert "/health" in paths and "/campaigns/{campaign_id}/feedback/submit" in paths
