"""Helpers for the console tests: signing in over HTTP as the browser would, and the browser (Debian's Chromium)."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("LUZ_CHROMIUM", "/usr/bin/chromium")


def sign_in(base: str, username: str, password: str) -> httpx.Client:
    """A client with the console's session cookie, and its CSRF token in ``client.csrf``."""
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = client.post("/console/login", data={"username": username, "password": password, "csrf": token})
    assert response.status_code == 303, response.text
    client.csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/console").text).group(1)
    return client


@pytest.fixture()
def web(product) -> str:
    return product["env"]["PUBLIC_BASE_URL"]


@pytest.fixture()
def signed_in(web):
    """``signed_in(user, password)``: a signed-in client, signed out and closed after the test."""
    clients = []

    def open_client(username: str, password: str) -> httpx.Client:
        clients.append(sign_in(web, username, password))
        return clients[-1]

    yield open_client
    for client in clients:
        client.post("/console/logout", data={"csrf": client.csrf})  # no longer counted as online
        client.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Chromium is missing: `apt-get install chromium` (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()
