"""Cross-origin answers: the web console's origin only (infra/template.yaml sets CONSOLE_ORIGIN)."""

from chalicelib.handlers.api import cors_headers

CONSOLE = "https://console.huixiang.example"


def test_the_console_origin_gets_its_cors_headers():
    assert cors_headers(CONSOLE, CONSOLE) == {"Access-Control-Allow-Origin": CONSOLE, "Vary": "Origin"}


def test_any_other_origin_or_no_configured_console_gets_none():
    assert cors_headers("https://evil.example", CONSOLE) == {}
    assert cors_headers(CONSOLE + ".evil.example", CONSOLE) == {}
    assert cors_headers(None, CONSOLE) == {}
    assert cors_headers(CONSOLE, None) == {}  # local stack: same origin, no CORS
