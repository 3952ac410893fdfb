"""The console in a real browser (Playwright driving Debian's Chromium), with a customer on WhatsApp.

The customer asks for a person -> the conversation appears in the queue -> an
agent signs in, takes it, sees transcript and context, replies -> the customer
gets it on WhatsApp -> answers -> the agent sees it without reloading -> closes
-> the customer gets the survey, answers it -> the assistant answers again.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import clock, records
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.formatting import money
from tests.channels.test_twilio import message, post, sent_to
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow
SCREENSHOTS = PROJECT_ROOT / "results" / "screenshots"
PHONE = "+573001234506"  # Pedro: electro-dependent, an estimated high bill
ADDRESS = f"whatsapp:{PHONE}"


def signed_in_page(browser, web: str, username: str, password: str):
    page = browser.new_context(viewport={"width": 1366, "height": 860}, locale="es-CO").new_page()
    page.goto(f"{web}/console")
    assert page.url.endswith("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Entrar')")
    page.wait_for_url(f"{web}/console")
    return page


def customer_says(product, twilio_api, text: str, expect_reply: bool = True) -> str:
    before = len(twilio_api.matching(lambda r: r["to"] == ADDRESS))
    assert post(product, "whatsapp", message(PHONE, text)).status_code == 200
    if not expect_reply:
        return ""
    return "\n".join(r["body"] for r in sent_to(twilio_api, ADDRESS, before))


def test_an_agent_serves_a_whatsapp_customer_from_the_console(product, twilio_api, browser, web):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    supervisor = signed_in_page(browser, web, "sofia", "sofia-demo")  # someone attends: the queue is open

    asked = customer_says(product, twilio_api, "quiero hablar con una persona")
    assert "Te comunico con una persona" in asked and "«salir»" in asked

    # The conversation appears in the supervisor's queue without a reload, as a medical priority.
    row = supervisor.locator("#waiting tr", has_text="Pedro Pablo Salazar Niño")
    row.wait_for(timeout=15000)
    assert "Electrodependiente" in row.inner_text() and "WhatsApp" in row.inner_text()

    agent = signed_in_page(browser, web, "camila", "camila-demo")
    agent.locator("#waiting tr", has_text="Pedro Pablo Salazar Niño").wait_for(timeout=15000)
    agent.screenshot(path=str(SCREENSHOTS / "console-queue.png"))
    agent.locator("#waiting tr", has_text="Pedro Pablo Salazar Niño").locator("button:has-text('Tomar')").click()
    agent.wait_for_url("**/console/handoffs/*")

    # Transcript from the tracker store, what Luz understood, and the customer's records.
    transcript = agent.locator("#transcript")
    assert "quiero hablar con una persona" in transcript.inner_text()
    assert "request_agent" in agent.locator("aside").inner_text()
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        account = records.account_by_number(session, "100200306")
        due = money(records.balance(session, account, clock.today()).amount_due)
    context = agent.locator("aside").inner_text()
    assert "Cuenta 100200306" in context and due in context and "Electrodependiente" in context
    assert twilio_api.matching(lambda r: r["to"] == ADDRESS and "soy Camila" in r["body"])

    # The agent replies; the customer receives it on WhatsApp.
    before = len(twilio_api.matching(lambda r: r["to"] == ADDRESS))
    agent.fill("#reply-text", "Hola Pedro, ya veo tu factura. La lectura de este mes fue estimada.")
    agent.click("#send")
    delivered = sent_to(twilio_api, ADDRESS, before)
    assert delivered and delivered[0]["body"] == "Camila: Hola Pedro, ya veo tu factura. La lectura de este mes fue estimada."

    # The customer answers: the agent sees it live; the assistant stays quiet.
    before = len(twilio_api.matching(lambda r: r["to"] == ADDRESS))
    customer_says(product, twilio_api, "gracias, entonces la próxima vendrá ajustada?", expect_reply=False)
    transcript.locator(".msg.customer", has_text="la próxima vendrá ajustada").wait_for(timeout=15000)
    time.sleep(2)
    assert len(twilio_api.matching(lambda r: r["to"] == ADDRESS)) == before  # no answer from the assistant
    agent.click("#note")  # an empty note is refused in the page, not sent
    assert "Escribe un mensaje" in agent.locator("#reply-error").inner_text()
    agent.fill("#reply-text", "Cliente pregunta por el ajuste de la lectura estimada.")
    agent.click("#note")
    transcript.locator(".msg.note", has_text="ajuste de la lectura estimada").wait_for(timeout=10000)
    agent.screenshot(path=str(SCREENSHOTS / "console-conversation.png"), full_page=True)

    # The agent closes: the customer gets the survey, answers "5" (Excelente, as numbered), and Luz answers again.
    before = len(twilio_api.matching(lambda r: r["to"] == ADDRESS))
    agent.fill("textarea[name=resolution]", "Se explicó la lectura estimada; se ajusta en la próxima factura.")
    agent.click("button:has-text('Cerrar y devolver a Luz')")
    agent.wait_for_url("**/console?aviso=cerrada")
    survey = "\n".join(r["body"] for r in sent_to(twilio_api, ADDRESS, before))
    assert "¿Cómo calificas la atención" in survey and "\n5 Excelente\n" in survey and "1. Excelente" not in survey
    assert "¡Gracias por tu calificación!" in customer_says(product, twilio_api, "5")
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        answered = session.execute(select(m.Survey).join(m.Handoff).where(m.Handoff.conversation_id == PHONE)
                                   .order_by(m.Survey.id.desc())).scalars().first()
        assert answered.score == 5 and answered.handoff.status == m.HandoffStatus.closed
        assert answered.handoff.resolution.startswith("Se explicó la lectura")
    assert due in customer_says(product, twilio_api, "cuánto debo?")

    for page in (agent, supervisor):
        page.click("button:has-text('Cerrar sesión')")
        page.wait_for_url("**/console/login")


def test_a_supervisor_sees_the_service_kpis_and_exports_them(product, browser, web, twilio_api):
    import datetime as dt

    from bot import kpis
    from bot.web import report

    page = signed_in_page(browser, web, "sofia", "sofia-demo")
    page.click("a:has-text('Indicadores')")
    page.wait_for_url("**/console/dashboard")
    today = clock.today()
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        figures = kpis.compute(session, today - dt.timedelta(days=29), today, "America/Bogota")
    text = page.locator("main").inner_text()
    assert "Capacidad de respuesta" in text and "Resueltas sin una persona" in text
    assert report.fmt(figures["containment"]["conversations"]) in text  # the demo history and these tests' messages
    for chart in page.locator(".charts img").all():
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    page.screenshot(path=str(SCREENSHOTS / "console-dashboard.png"), full_page=True)
    page.select_option("select[name=channel]", "sms")
    page.click("button:has-text('Ver')")
    page.wait_for_url("**channel=sms**")
    with page.expect_download() as download:
        page.click("a:has-text('Descargar CSV')")
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv_text.startswith("sección,indicador,valor") and "containment,conversations," in csv_text
    page.click("button:has-text('Cerrar sesión')")
    agent = signed_in_page(browser, web, "diego", "diego-demo")
    assert agent.request.get(f"{web}/console/dashboard").status == 403  # agents do not see the dashboard
    agent.click("button:has-text('Cerrar sesión')")
