"""The web service serves the widget (script, stylesheet) and a demo page that embeds it, with no inline script."""
import asyncio
import re

import httpx

from bot.settings import Settings
from bot.web.app import create_app


def get(app, path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://luz.test") as client:
            return await client.get(path)

    return asyncio.run(call())


def test_the_widget_and_its_demo_page_are_served_without_inline_scripts_or_a_cdn(tmp_path):
    settings = Settings.from_environ({"DATABASE_URL": f"sqlite:///{tmp_path / 'luz.db'}", "LUZ_SCHEDULER": "off",
                                      "LUZ_WIDGET_API_URL": "https://luz.example/webhooks/web"})
    app = create_app(settings)
    script = get(app, "/widget/widget.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in script.text  # what the assistant or an agent writes is inserted as text only
    assert get(app, "/widget/widget.css").headers["content-type"].startswith("text/css")
    page = get(app, "/widget/demo")
    assert page.status_code == 200 and '<html lang="es">' in page.text
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts == ['<script src="/widget/widget.js" data-api="https://luz.example/webhooks/web" defer>']
    assert not re.search(r"<script[^>]*>[^<]+</script>", page.text)  # nothing inline: the production CSP allows none
    assert not re.search(r'(src|href)="https?://', page.text)  # nothing from another host
