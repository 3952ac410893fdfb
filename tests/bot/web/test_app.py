"""The app factory builds everything from the settings it is given; routes find it on ``app.state``."""
import asyncio

import httpx

from bot.settings import Settings
from bot.web.app import create_app


def app_for(tmp_path):
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'luz.db'}", scheduler=False))


def get(app, path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://luz.test") as client:
            return await client.get(path)

    return asyncio.run(call())


def test_the_openapi_document_holds_the_thirteen_integration_operations_and_nothing_of_the_console(tmp_path):
    paths = app_for(tmp_path).openapi()["paths"]
    operations = [(method, path) for path, item in paths.items() for method in item]
    assert len(operations) == 13
    assert all(path.startswith("/api/v1/") for _, path in operations)


def test_health_answers_and_the_home_page_is_the_console(tmp_path):
    app = app_for(tmp_path)
    assert get(app, "/health").json() == {"status": "ok"}
    home = get(app, "/")
    assert (home.status_code, home.headers["location"]) == (307, "/console")


def test_a_forged_document_link_is_not_found_and_nothing_of_the_console_opens_signed_out(tmp_path):
    app = app_for(tmp_path)
    assert get(app, "/files/bills/forged.pdf").status_code == 404
    page = get(app, "/console")
    assert (page.status_code, page.headers["location"]) == (303, "/console/login")
    assert get(app, "/console/api/queue").status_code == 401
    assert get(app, "/api/v1/outages").status_code == 401


def test_every_page_carries_the_security_headers_in_the_embedded_profile_too(tmp_path):
    app = app_for(tmp_path)
    for path in ("/console/login", "/health", "/widget/demo", "/files/bills/forged.pdf"):
        headers = get(app, path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "'unsafe-eval'" not in policy, path
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY", path


def test_the_policy_lets_pages_reach_the_widget_channel_on_its_own_origin_and_nowhere_else():
    from bot.settings import Settings
    from bot.web.headers import policy

    apart = Settings.from_environ({"PUBLIC_BASE_URL": "http://127.0.0.1:8000", "LUZ_WIDGET_API_URL": "http://127.0.0.1:5005"})
    assert "connect-src 'self' http://127.0.0.1:5005;" in policy(apart)
    same = Settings.from_environ({"PUBLIC_BASE_URL": "https://luz.example", "LUZ_WIDGET_API_URL": "https://luz.example"})
    assert "connect-src 'self';" in policy(same)
