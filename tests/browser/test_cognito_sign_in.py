"""Production sign-in, against a stand-in for Cognito's hosted UI (no network here): the
authorization code flow with PKCE, the code exchanged for tokens that stay in memory only, the
code gone from the address bar, and sign-out through the hosted UI's logout endpoint."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

AUTH = "https://auth.huixiang.test"


def test_the_console_signs_in_with_the_code_flow_and_pkce_and_keeps_tokens_in_memory(browser, stack, company):
    co = company
    id_token = co.tokens["manager"]
    redirect = f"{stack.url}/console/"
    config = {
        "auth": "cognito",
        "apiBase": "",
        "cognito": {"domain": AUTH, "clientId": "console-client", "redirectUri": redirect, "logoutUri": redirect},
    }
    seen: dict = {}
    # Only the hosted UI's origin is not on the local stack's CSP; the flow itself is what is tested.
    context = browser.new_context(bypass_csp=True, locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.route("**/console/config.json", lambda route: route.fulfill(json=config))

    def authorize(route):
        q = {k: v[0] for k, v in parse_qs(urlsplit(route.request.url).query).items()}
        seen["authorize"] = q
        route.fulfill(status=302, headers={"Location": f"{q['redirect_uri']}?code=the-code&state={q['state']}"})

    def token(route):
        form = {k: v[0] for k, v in parse_qs(route.request.post_data).items()}
        seen["token"] = form
        route.fulfill(
            json={
                "id_token": id_token,
                "access_token": "opaque",
                "refresh_token": "rt-secret-123",
                "expires_in": 3600,
                "token_type": "Bearer",
            }
        )

    def logout(route):
        seen["logout"] = {k: v[0] for k, v in parse_qs(urlsplit(route.request.url).query).items()}
        route.fulfill(status=200, body="signed out", content_type="text/plain")

    page.route(f"{AUTH}/oauth2/authorize*", authorize)
    page.route(f"{AUTH}/oauth2/token", token)
    page.route(f"{AUTH}/logout*", logout)

    page.goto(f"{stack.url}/console/#/feedback")
    page.wait_for_selector("html[data-ready]")
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("main .page[data-busy=false] h1")

    q = seen["authorize"]
    assert q["response_type"] == "code" and q["client_id"] == "console-client" and q["redirect_uri"] == redirect
    assert q["code_challenge_method"] == "S256" and "openid" in q["scope"].split()
    form = seen["token"]
    assert form["grant_type"] == "authorization_code" and form["code"] == "the-code"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).rstrip(b"=").decode()
    assert challenge == q["code_challenge"]  # PKCE: the verifier matches
    assert "code=" not in page.url and page.url.endswith("#/feedback")  # back where the user was going
    assert "全部反馈" in page.locator("main h1").inner_text()  # the API accepted the ID token
    stored = page.evaluate("JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})")
    assert id_token not in stored and "rt-secret-123" not in stored  # tokens in memory only

    page.get_by_role("button", name="退出").click()
    page.wait_for_url(f"{AUTH}/logout*")
    assert seen["logout"] == {"client_id": "console-client", "logout_uri": redirect}
    context.close()
