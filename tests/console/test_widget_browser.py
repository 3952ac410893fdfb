"""The website widget in a real browser (Playwright driving Debian's Chromium) on the running product.

A visitor opens the demo page of the utility's site, opens the chat with the keyboard, asks for her balance and
identifies with the account number and the 4 digits (Ana, a demo customer: no phone on the web), asks for a person,
and an agent signed in to the console takes the conversation and replies: the visitor sees the reply in the widget,
answers, and after the agent closes, rates the attention. The widget passes axe-core (WCAG 2.1 A and AA rules, run
in the page from the copy ``axe-playwright-python`` bundles: nothing is fetched at test time) and the checks axe
cannot make: the order of the focus with Tab, Escape giving the focus back, and a name for every control.
Screenshots go to ``docs/screenshots/``.
"""
from __future__ import annotations

import json
from typing import List

import pytest
from sqlalchemy import select

from bot import clock, kpis
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
ACCOUNT, LAST4 = "100200301", "1234"  # Ana Lucía Restrepo (README: demo customers)
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


def axe_violations(page) -> List[str]:
    """axe-core's violations in the page, one line each (rule, impact, first offending element)."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.fail("axe-playwright-python is missing: it is in requirements.lock (make test installs it)")
    results = Axe().run(page, options=WCAG_AA).response
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']} {v['help']}" for v in results["violations"]]


def focused(page) -> str:
    """What has the focus, as a person would name it: its role or tag and its accessible name or text."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        const shown = el.cloneNode(true);  // what is read: the text without the parts hidden from screen readers
        shown.querySelectorAll('[aria-hidden=true]').forEach(part => part.remove());
        const name = el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].textContent)
            || shown.textContent || '';
        return (el.getAttribute('role') || el.tagName.toLowerCase()) + ':' + name.trim().slice(0, 40);
    }""")


def unnamed_controls(page) -> List[str]:
    """Controls of the widget a screen reader could not name."""
    return page.evaluate("""() => [...document.querySelectorAll(
            '.luz-widget button, .luz-widget textarea, .luz-widget a, .luz-widget [role=log], .luz-widget [role=dialog]')]
        .filter(el => !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
                        || (el.labels && el.labels.length) || el.textContent.trim()))
        .map(el => el.outerHTML.slice(0, 80))""")


def luz_says(page, text: str, timeout: float = 30000):
    """Waits for a message from Luz (or an agent) containing ``text``."""
    bubble = page.locator(".luz-from-luz, .luz-from-agent", has_text=text).last
    bubble.wait_for(timeout=timeout)
    return bubble


def write(page, text: str) -> None:
    page.fill("#luz-input", text)
    page.keyboard.press("Enter")


def signed_in_page(browser, web: str, username: str, password: str):
    page = browser.new_context(viewport={"width": 1366, "height": 860}, locale="es-CO").new_page()
    page.goto(f"{web}/console")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Entrar')")
    page.wait_for_url(f"{web}/console")
    return page


def test_a_visitor_chats_her_balance_and_an_agent_answers_her_in_the_widget(product, browser, web):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    agent = signed_in_page(browser, web, "camila", "camila-demo")  # someone attends: the queue is open

    visitor = browser.new_context(viewport={"width": 1280, "height": 800}, locale="es-CO").new_page()
    visitor.goto(f"{web}/widget/demo")
    launcher = visitor.get_by_role("button", name="Chatea con Luz")
    launcher.focus()
    visitor.keyboard.press("Enter")  # opened with the keyboard
    assert focused(visitor) == "textarea:Escribe tu mensaje"
    luz_says(visitor, "Soy Luz")

    # Accessibility: axe-core in the page, then what axe does not check.
    assert axe_violations(visitor) == []
    assert unnamed_controls(visitor) == []
    assert visitor.get_attribute("#luz-log", "aria-live") == "polite" and visitor.get_attribute("#luz-log", "role") == "log"
    visitor.focus(".luz-end")
    order = [focused(visitor)]
    for _ in range(8):
        visitor.keyboard.press("Tab")
        order.append(focused(visitor))
    assert order == ["button:Terminar la conversación y borrarla de e", "button:Cerrar el chat",
                     "log:Conversación con Luz", "button:Consultar mi saldo",
                     "button:Copia de mi factura", "button:Reportar que no tengo luz", "button:Hablar con una persona",
                     "textarea:Escribe tu mensaje", "button:Enviar"]
    visitor.keyboard.press("Escape")
    assert visitor.is_hidden("#luz-panel") and focused(visitor) == "button:Chatea con Luz"
    assert launcher.get_attribute("aria-expanded") == "false"
    visitor.keyboard.press("Enter")
    assert visitor.is_visible("#luz-panel") and visitor.get_attribute("#luz-launcher", "aria-expanded") == "true"

    # The balance, identified with the account number and the 4 digits.
    visitor.get_by_role("button", name="Consultar mi saldo").click()
    luz_says(visitor, "número de cuenta")
    write(visitor, ACCOUNT)
    luz_says(visitor, "últimos 4 dígitos")
    write(visitor, LAST4)
    balance = luz_says(visitor, "$").inner_text()
    assert "saldo" in balance.lower() or "debes" in balance.lower()
    assert visitor.locator(".luz-from-visitor", has_text=LAST4).count() == 1
    # A copy of the bill (a PDF behind a signed link) and the consumption chart (an image) show in the widget.
    write(visitor, "necesito una copia de mi factura")
    document = visitor.locator(".luz-document").last
    document.wait_for(timeout=30000)
    assert "PDF" in document.inner_text() and document.get_attribute("target") == "_blank"
    pdf = visitor.request.get(document.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    write(visitor, "quiero ver mi historial de consumo")
    chart = visitor.locator("img.luz-image").last
    chart.wait_for(timeout=30000)
    visitor.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
    assert chart.get_attribute("alt")
    visitor.screenshot(path=str(SCREENSHOTS / "widget-documents.png"))
    assert axe_violations(visitor) == []  # with the conversation in it

    # A person: the conversation reaches the console's queue as a website conversation.
    write(visitor, "quiero hablar con una persona")
    luz_says(visitor, "Te comunico con una persona")
    row = agent.locator("#waiting tr", has_text="Ana Lucía")
    row.wait_for(timeout=15000)
    assert "Sitio web" in row.inner_text()
    row.locator("button:has-text('Tomar')").click()
    agent.wait_for_url("**/console/handoffs/*")
    assert "Cuenta 100200301" in agent.locator("aside").inner_text()
    luz_says(visitor, "soy Camila", timeout=20000)  # the greeting, through the poll

    # She closes the chat meanwhile: the reply is counted on the button and told to screen readers.
    visitor.keyboard.press("Escape")
    agent.fill("#reply-text", "Hola Ana, ya veo tu cuenta. Tu factura vence esta semana.")
    agent.click("#send")
    badge = visitor.locator("#luz-launcher .luz-badge")
    badge.wait_for(timeout=30000)
    assert badge.inner_text() == "1 mensaje nuevo"
    assert visitor.locator(".luz-widget > [role=status]").inner_text() == "Chat: 1 mensaje nuevo de Camila."
    visitor.keyboard.press("Enter")  # the focus went back to the button
    reply = luz_says(visitor, "Tu factura vence esta semana", timeout=20000)
    assert reply.evaluate("el => el.classList.contains('luz-from-agent')")
    assert "Camila, de nuestro equipo" in reply.inner_text()
    visitor.screenshot(path=str(SCREENSHOTS / "widget-conversation.png"))

    write(visitor, "gracias, la pago mañana")
    agent.locator("#transcript .msg.customer", has_text="la pago mañana").wait_for(timeout=15000)

    # The agent closes: the visitor rates the attention with a button, and Luz answers again.
    agent.fill("textarea[name=resolution]", "Se confirmó el saldo y la fecha de vencimiento.")
    agent.click("button:has-text('Cerrar y devolver a Luz')")
    agent.wait_for_url("**/console?aviso=cerrada")
    luz_says(visitor, "¿Cómo calificas", timeout=20000)
    visitor.get_by_role("button", name="Excelente").last.click()
    luz_says(visitor, "¡Gracias por tu calificación!")
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        survey = session.execute(select(m.Survey).join(m.Handoff).where(m.Handoff.channel == "web")
                                 .order_by(m.Survey.id.desc())).scalars().first()
        assert survey.score == 5 and survey.channel == "web"
        kinds = {e.kind for e in session.execute(select(m.InteractionEvent).where(m.InteractionEvent.channel == "web")).scalars()}
        assert {"message_received", "reply_sent", "handoff_queued", "handoff_taken", "survey_answered"} <= kinds
        figures = kpis.compute(session, clock.today(), clock.today(), "America/Bogota", channel="web")
        assert figures["satisfaction"]["by_channel"]["web"]["answers"] >= 1
        assert figures["channels"]["messages"].get("web", 0) >= 8

    # A reload keeps the conversation (the session lives in the tab), and the phone layout fills the screen.
    visitor.reload()
    visitor.get_by_role("button", name="Chatea con Luz").click()
    luz_says(visitor, "Tu factura vence esta semana")

    # «Terminar» (a shared computer): the conversation leaves the screen and its session names nobody any more.
    token = visitor.evaluate("Object.keys(sessionStorage).map(k => sessionStorage.getItem(k))[0]")
    visitor.get_by_role("button", name="Terminar la conversación y borrarla de esta pantalla").click()
    visitor.locator("#luz-status", has_text="Conversación terminada").wait_for(timeout=10000)
    assert visitor.locator(".luz-msg").count() == 0 and visitor.evaluate("sessionStorage.length") == 0
    ended = visitor.request.post(f"{product['base']}/webhooks/web/messages", data=json.dumps({"token": token}),
                                 headers={"Origin": web, "Content-Type": "text/plain"})
    assert ended.status == 401
    write(visitor, "hola")
    luz_says(visitor, "Soy Luz")  # a new conversation
    assert visitor.locator(".luz-msg", has_text="vence esta semana").count() == 0 and visitor.locator(".luz-from-agent").count() == 0

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                locale="es-CO").new_page()
    phone.goto(f"{web}/widget/demo")
    phone.get_by_role("button", name="Chatea con Luz").tap()
    luz_says(phone, "Soy Luz")
    box = phone.locator("#luz-panel").bounding_box()
    assert box["width"] >= 389 and box["height"] >= 843
    assert axe_violations(phone) == []
    phone.screenshot(path=str(SCREENSHOTS / "widget-mobile.png"))
    phone.set_viewport_size({"width": 320, "height": 568})  # WCAG reflow: 320 CSS pixels, nothing to scroll sideways
    assert phone.evaluate("() => { const p = document.querySelector('#luz-panel');"
                          " return p.scrollWidth <= p.clientWidth && document.documentElement.scrollWidth <= 320; }")
    agent.click("button:has-text('Cerrar sesión')")
