"""The web console's hosting in the production template: a private bucket only its CloudFront
distribution reads (origin access control), security headers with a strict CSP (the same
directives the local stack serves), the API's CORS for the console's origin only, and Cognito's
hosted UI with the authorization code flow back to the console."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_ORIGIN = {
    "Fn::If": [
        "HasConsoleDomain",
        {"Fn::Sub": "https://${ConsoleDomainName}"},
        {"Fn::Sub": "https://${ConsoleDistribution.DomainName}"},
    ]
}
QUOTED_CONSOLE_ORIGIN = {
    "Fn::If": [
        "HasConsoleDomain",
        {"Fn::Sub": "'https://${ConsoleDomainName}'"},
        {"Fn::Sub": "'https://${ConsoleDistribution.DomainName}'"},
    ]
}
CALLBACK = {
    "Fn::If": [
        "HasConsoleDomain",
        {"Fn::Sub": "https://${ConsoleDomainName}/console/"},
        {"Fn::Sub": "https://${ConsoleDistribution.DomainName}/console/"},
    ]
}


def _csp(resources) -> dict[str, list[str]]:
    policy = resources["ConsoleHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    value = policy["ContentSecurityPolicy"]
    assert value["Override"] is True
    text = value["ContentSecurityPolicy"]["Fn::Sub"][0]
    out = {}
    for part in text.split(";"):
        name, *tokens = part.split()
        out[name] = tokens
    return out


# -- the bucket and the distribution --------------------------------------------------------------
def test_the_console_bucket_is_private_and_only_its_distribution_reads_it(resources):
    props = resources["ConsoleBucket"]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "WebsiteConfiguration" not in props  # never an open S3 website endpoint
    statements = resources["ConsoleBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    [allow] = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    assert allow["Condition"]["StringEquals"]["AWS:SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${ConsoleDistribution}"
    }
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )


def test_the_distribution_signs_its_requests_with_origin_access_control_and_forces_https(resources):
    oac = resources["ConsoleOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )
    config = resources["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    [origin] = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["ConsoleBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"] and behaviour["Compress"] is True
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "ConsoleHeaders"}
    [routing] = behaviour["FunctionAssociations"]
    assert routing == {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["ConsoleRouting", "FunctionARN"]}}
    code = resources["ConsoleRouting"]["Properties"]["FunctionCode"]
    assert "'/console/'" in code and "index.html" in code
    certificate = config["ViewerCertificate"]["Fn::If"]
    assert certificate[1]["MinimumProtocolVersion"] == "TLSv1.2_2021"


# -- security headers -----------------------------------------------------------------------------
def test_the_csp_forbids_inline_scripts_and_matches_the_local_stacks(resources):
    from devstack.console import CSP_DIRECTIVES

    csp = _csp(resources)
    assert set(csp) == set(CSP_DIRECTIVES)
    for name, local in CSP_DIRECTIVES.items():
        keywords = [t for t in local.split() if not t.startswith("{")]
        origins = [t for t in csp[name] if t.startswith(("https://", "${"))]
        assert [t for t in csp[name] if t not in origins] == keywords, name
    for tokens in csp.values():
        assert "'unsafe-inline'" not in tokens and "'unsafe-eval'" not in tokens and "*" not in tokens
    assert csp["script-src"] == ["'self'"] and csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert "${AuthDomain}" in csp["connect-src"]  # the token endpoint of the hosted UI
    bucket = [t for t in csp["connect-src"] if "${Bucket}" in t]
    assert bucket and bucket == [t for t in csp["img-src"] if "${Bucket}" in t]  # uploads and thumbnails


def test_the_other_security_headers_are_set_and_match_the_local_stacks(resources):
    from devstack.console import SECURITY_HEADERS

    config = resources["ConsoleHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31536000 and hsts["IncludeSubdomains"] and hsts["Override"]
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"] == {"Override": True, "FrameOption": SECURITY_HEADERS["X-Frame-Options"]}
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == SECURITY_HEADERS["Referrer-Policy"]
    custom = {h["Header"]: h["Value"] for h in config["CustomHeadersConfig"]["Items"]}
    assert custom == {k: SECURITY_HEADERS[k] for k in ("Permissions-Policy", "Cross-Origin-Opener-Policy")}


# -- who may call whom -----------------------------------------------------------------------------
def test_the_api_answers_cross_origin_requests_from_the_console_only(template, resources):
    cors = resources["RestAPI"]["Properties"]["Cors"]
    assert cors["AllowOrigin"] == QUOTED_CONSOLE_ORIGIN
    assert set(cors["AllowHeaders"].strip("'").split(",")) == {"Authorization", "Content-Type", "Idempotency-Key"}
    # API Gateway's own answers are readable too: every type configured in the definition (a
    # configured type does not inherit DEFAULT_4XX's headers), and no SAM GatewayResponses
    # property, which would replace those types and drop their error bodies
    answers = resources["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= set(answers)
    for kind, answer in answers.items():
        headers = answer["responseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == QUOTED_CONSOLE_ORIGIN, kind
        assert headers["gatewayresponse.header.Vary"] == "'Origin'", kind
    assert "GatewayResponses" not in resources["RestAPI"]["Properties"]
    # the function's own responses: chalicelib/handlers/api.py answers CONSOLE_ORIGIN only
    assert template["Globals"]["Function"]["Environment"]["Variables"]["CONSOLE_ORIGIN"] == CONSOLE_ORIGIN
    rules = resources["AttachmentsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert [CONSOLE_ORIGIN] in [r["AllowedOrigins"] for r in rules]  # presigned uploads from the console


def test_cognito_signs_the_console_in_with_the_code_flow_and_returns_to_it_only(template, resources):
    client = resources["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False  # a public client: PKCE, no secret
    assert client["AllowedOAuthFlowsUserPoolClient"] is True and client["AllowedOAuthFlows"] == ["code"]
    assert "openid" in client["AllowedOAuthScopes"] and client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["CallbackURLs"] == [CALLBACK] and client["LogoutURLs"] == [CALLBACK]
    assert resources["UserPoolDomain"]["Properties"]["UserPoolId"] == {"Ref": "UserPool"}
    # the config.json the console reads, from the stack's outputs
    text, values = template["Outputs"]["ConsoleConfig"]["Value"]["Fn::Sub"]
    filled = re.sub(r"\$\{[A-Za-z:.]+\}", "x", text)
    config = json.loads(filled)
    assert config["auth"] == "cognito" and config["apiBase"].startswith("https://")
    assert set(config["cognito"]) >= {"domain", "clientId", "redirectUri", "logoutUri"}
    assert set(values) == {"AuthDomain", "ClientId", "Origin"}


def test_the_hosting_adds_no_dependency_cycle(template, resources):
    """The API's CORS names the distribution; the distribution's CSP must not name the API (nor
    anything depending on it), or CloudFormation would refuse the template."""

    def refs(value, out: set) -> set:
        if isinstance(value, dict):
            for key, v in value.items():
                if key == "Ref" and v in resources:
                    out.add(v)
                elif key == "Fn::GetAtt":
                    out.add(v[0] if isinstance(v, list) else v.split(".")[0])
                elif key == "Fn::Sub":
                    text = v if isinstance(v, str) else v[0]
                    out.update(n for n in re.findall(r"\$\{([A-Za-z0-9]+)", text) if n in resources)
                    if not isinstance(v, str):
                        refs(v[1], out)
                else:
                    refs(v, out)
        elif isinstance(value, list):
            for v in value:
                refs(v, out)
        return out

    graph = nx.DiGraph()
    globals_env = refs(template["Globals"], set())
    for name, resource in resources.items():
        deps = refs(resource.get("Properties", {}), set())
        if resource["Type"] == "AWS::Serverless::Function":
            deps |= globals_env
        graph.add_edges_from((name, d) for d in deps if d in resources)
    assert list(nx.simple_cycles(graph)) == []


def test_the_production_copy_of_the_console_leaves_the_local_sign_in_out(tmp_path):
    from infra.console_dist import build

    config = {
        "auth": "cognito",
        "apiBase": "https://a.execute-api.us-east-1.amazonaws.com/api",
        "cognito": {
            "domain": "https://x.auth.us-east-1.amazoncognito.com",
            "clientId": "c",
            "redirectUri": "https://d.cloudfront.net/console/",
        },
    }
    out = build(tmp_path / "console", config)
    assert (out / "index.html").is_file() and (out / "js" / "main.js").is_file()
    assert not (out / "js" / "local").exists()
    assert json.loads((out / "config.json").read_text())["auth"] == "cognito"
    with pytest.raises(ValueError):
        build(tmp_path / "bad", {**config, "auth": "local"})

    # its service worker precaches exactly the files shipped, each with its hash
    release = _release(out / "sw.js")
    shipped = {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in out.rglob("*")
        if p.is_file() and p.name not in ("sw.js", "config.json")
    }
    assert release["files"] == shipped
    assert "js/main.js" in shipped and "manifest.webmanifest" in shipped and "icons/icon-192.png" in shipped


def _release(worker: Path) -> dict:
    """The release a served sw.js precaches (the JSON written in for SHELL)."""
    found = re.search(r"^const SHELL = (\{.*\});$", worker.read_text(encoding="utf-8"), re.M)
    assert found, "sw.js was written without its release"
    return json.loads(found.group(1))


def test_any_changed_console_file_makes_a_new_release(tmp_path):
    """A browser installs a new service worker only when sw.js's bytes change: the release
    version written into it must change with every shipped file, the worker's own code too."""
    import shutil

    from infra.console_shell import service_worker, shell

    root = tmp_path / "console"
    shutil.copytree(ROOT / "console", root)
    first = shell(root)
    assert set(first["files"]) >= {"index.html", "js/main.js", "css/app.css", "vendor/preact/preact.module.js"}
    assert "sw.js" not in first["files"] and not any(f.endswith(".md") for f in first["files"])
    versions = {first["version"]}
    for changed in ("js/screens/outbox.js", "css/app.css", "sw.js"):
        with open(root / changed, "a", encoding="utf-8") as f:
            f.write("\n/* changed */\n")
        versions.add(shell(root)["version"])
    assert len(versions) == 4
    (root / "vendor" / "VENDOR.md").write_text("docs are not shipped")
    assert shell(root)["version"] in versions
    worker = tmp_path / "sw.js"
    worker.write_bytes(service_worker(root))
    assert _release(worker) == shell(root)
