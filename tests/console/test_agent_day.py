"""An agent's day at the desk, in a real browser (Playwright driving Debian's Chromium) against the running product.

Camila signs in, allows notifications and goes available; a WhatsApp customer asks for a person and the desk
gives her the conversation (a notice in the page, a desktop notification, her greeting on WhatsApp); she opens
it with the keyboard, answers with a canned response found with "/", labels it, snoozes it; the next day (the
customer's last message moved 25 hours back in the records: the product's clock cannot be moved from here) the
reply box offers only an approved template, which goes as a Twilio template; she finds an old conversation with
the search box and transfers the current one to Diego. Sofía, supervising, sees a conversation nobody has
answered for 10 minutes and reassigns it from her live view. Screenshots go to docs/screenshots/.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update

from bot import clock
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from tests.channels.test_twilio import message, post, sent_to
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow
SHOTS = PROJECT_ROOT / "docs" / "screenshots"
ANA, JORGE = "+573001234501", "+573001234504"
# Desktop notifications as the page creates them, recorded (headless Chromium shows none); permission is asked.
RECORD_NOTIFICATIONS = """
window.__notified = [];
let permission = "default";
function Recorded(title, options) { window.__notified.push({ title, body: (options || {}).body }); this.close = () => {}; }
Object.defineProperty(Recorded, "permission", { get: () => permission });
Recorded.requestPermission = async () => { permission = "granted"; return permission; };
window.Notification = Recorded;
"""


def desk_page(browser, web: str, username: str, password: str, viewport=(1366, 768)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="es-CO")
    context.add_init_script(RECORD_NOTIFICATIONS)
    page = context.new_page()
    page.goto(f"{web}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Entrar')")
    page.wait_for_url(f"{web}/console")
    return page


def records(product):
    return session_scope(engine_for(product["env"]["DATABASE_URL"]))


class Open:
    """An open conversation as the test checks it: its id and who has it."""

    def __init__(self, handoff: m.Handoff) -> None:
        self.id, self.agent = handoff.id, (handoff.agent.username if handoff.agent else None)


def open_handoff(product, phone: str) -> Open:
    with records(product) as session:
        return Open(session.execute(select(m.Handoff).where(m.Handoff.conversation_id == phone,
                                                            m.Handoff.status.in_(m.OPEN_HANDOFF))).scalars().one())


def test_an_agent_s_day_at_the_desk(product, twilio_api, browser, web, signed_in):
    SHOTS.mkdir(parents=True, exist_ok=True)
    signed_in("diego", "diego-demo")  # a colleague signed in, not taking conversations (Ausente)
    with records(product) as session:  # the day starts with nothing open: what earlier tests left is closed
        for left in session.execute(select(m.Handoff).where(m.Handoff.status.in_(m.OPEN_HANDOFF))).scalars():
            left.status, left.closed_at = m.HandoffStatus.closed, clock.now()
    with records(product) as session:  # an old conversation of Ana's, to be found later
        ana = session.execute(select(m.Customer).join(m.Phone).where(m.Phone.number == ANA)).scalar_one()
        old = m.Handoff(conversation_id=ANA, channel="whatsapp", reason="requested", priority=2, customer_id=ana.id,
                        status=m.HandoffStatus.closed, desk_status="resolved",
                        created_at=clock.now() - dt.timedelta(days=45), closed_at=clock.now() - dt.timedelta(days=45),
                        resolution="Se explicó el cobro del alumbrado público en la factura de octubre.")
        session.add(old)
        session.flush()
        old_id = old.id

    camila = desk_page(browser, web, "camila", "camila-demo")
    try:
        camila.click("#enable-notifications")
        assert camila.locator("#enable-notifications").inner_text() == "Avisos activos"
        camila.select_option("#presence", "online")
        camila.locator(".toast", has_text="Tu estado: Disponible").wait_for(timeout=10000)

        # A customer asks for a person: the desk gives Camila the conversation, she is told, the customer greeted.
        before = len(twilio_api.matching(lambda r: r["to"] == f"whatsapp:{ANA}"))
        assert post(product, "whatsapp", message(ANA, "quiero hablar con una persona")).status_code == 200
        camila.locator(".toast", has_text="Nueva conversación asignada").wait_for(timeout=20000)
        assert "Ana Lucía Restrepo" in camila.locator(".toast", has_text="Nueva conversación asignada").inner_text()
        assert any(n["title"] == "Nueva conversación asignada" for n in camila.evaluate("window.__notified"))
        said = " ".join(r["body"] for r in sent_to(twilio_api, f"whatsapp:{ANA}", before))
        assert "Te comunico con una persona" in said
        twilio_api.wait_for(lambda r: r["to"] == f"whatsapp:{ANA}" and "soy Camila" in r["body"], timeout=20)
        camila.locator("#mine li", has_text="Ana Lucía Restrepo").wait_for(timeout=10000)
        camila.screenshot(path=str(SHOTS / "desk-assigned.png"))

        # "n" opens the conversation waiting longest for her answer; "/" finds a canned response; Ctrl+Enter sends.
        camila.keyboard.press("n")
        camila.wait_for_url("**/console/handoffs/*")
        current = open_handoff(product, ANA)
        assert camila.url.endswith(f"/console/handoffs/{current.id}")
        assert "Ventana de WhatsApp: quedan 23 h" in camila.locator("#window").inner_text()
        camila.keyboard.press("/")
        assert camila.evaluate("document.activeElement.id") == "canned-search"
        camila.keyboard.type("verific")
        camila.keyboard.press("Enter")
        assert camila.input_value("#reply-text").startswith("Dame un momento, por favor")
        before = len(twilio_api.matching(lambda r: r["to"] == f"whatsapp:{ANA}"))
        camila.keyboard.press("Control+Enter")
        delivered = sent_to(twilio_api, f"whatsapp:{ANA}", before)
        assert delivered[0]["body"] == ("Camila: Dame un momento, por favor, mientras reviso la información de tu "
                                        "cuenta.")
        camila.locator(".msg.agent", has_text="Dame un momento").wait_for(timeout=10000)

        # A label; the customer's reply reaches her as a notice; she snoozes the conversation for two hours.
        camila.click(".tag-toggle[data-label='facturación']")
        camila.locator("#label-list .tag", has_text="facturación").wait_for(timeout=10000)
        assert camila.get_attribute(".tag-toggle[data-label='facturación']", "aria-pressed") == "true"
        post(product, "whatsapp", message(ANA, "gracias, espero"))
        camila.locator(".toast", has_text="respondió").wait_for(timeout=20000)
        camila.locator(".msg.customer", has_text="gracias, espero").wait_for(timeout=10000)
        until = (clock.local_now() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
        camila.fill("#snooze-until", until)
        camila.click(".set-status[data-status='snoozed']")
        camila.locator("#desk-status", has_text="Pospuesta hasta").wait_for(timeout=10000)
        camila.screenshot(path=str(SHOTS / "desk-conversation.png"))
        assert camila.evaluate("document.documentElement.scrollWidth") <= 1366  # nothing runs off a 1366×768 screen

        # The next day: 25 hours since Ana last wrote. Free text is gone; an approved template goes instead.
        with records(product) as session:
            session.execute(update(m.InboundMessage).where(m.InboundMessage.sender == ANA)
                            .values(received_at=clock.now() - dt.timedelta(hours=25)))
        camila.click(".set-status[data-status='open']")
        camila.reload()
        assert "solo admite una plantilla aprobada" in camila.locator("#window").inner_text()
        assert camila.locator("#send").count() == 0 and camila.locator("#template-form").is_visible()
        camila.select_option("#template", "seguimiento_caso")
        camila.fill("#template-variables input[name=var1]", "Ana")
        camila.fill("#template-variables input[name=var2]", "la revisión de tu factura")
        assert "Hola Ana, te escribimos de Energía del Valle sobre la revisión de tu factura." in camila.locator(
            "#template-preview").inner_text()
        before = len(twilio_api.matching(lambda r: r["to"] == f"whatsapp:{ANA}"))
        camila.click("#send-template")
        template = sent_to(twilio_api, f"whatsapp:{ANA}", before)[0]
        assert template["content_sid"] == "HX5f1e0c3a9d2b4e6f8a7c1d2e3f4a5b6c"
        assert json.loads(template["content_variables"]) == {"1": "Ana", "2": "la revisión de tu factura"}
        camila.locator(".msg.agent", has_text="[Plantilla «Seguimiento de tu caso»]").wait_for(timeout=10000)
        camila.screenshot(path=str(SHOTS / "desk-whatsapp-template.png"), full_page=True)

        # An old conversation, found with the search box.
        camila.fill("#site-search", "alumbrado público")
        camila.press("#site-search", "Enter")
        camila.wait_for_url("**/console/search?q=*")
        result = camila.locator("#results a", has_text="Ana Lucía Restrepo")
        assert "Se explicó el cobro del alumbrado" in camila.locator("#results").inner_text()
        camila.screenshot(path=str(SHOTS / "desk-search.png"))
        result.first.click()
        camila.wait_for_url(f"**/console/handoffs/{old_id}")
        assert "Cerrada" in camila.locator("#status").inner_text()

        # Transfer the current one to Diego.
        camila.goto(f"{web}/console/handoffs/{current.id}")
        camila.select_option("select[name=to_agent]", label="Diego Rojas")
        camila.click("button:has-text('Transferir')")
        camila.wait_for_url("**/console?aviso=transferida")
        assert open_handoff(product, ANA).agent == "diego"

        # Jorge's conversation goes to Camila and nobody answers it for 10 minutes: Sofía reassigns it.
        post(product, "whatsapp", message(JORGE, "necesito hablar con un asesor"))
        camila.locator(".toast", has_text="Jorge Iván Castaño").wait_for(timeout=20000)
        stalled = open_handoff(product, JORGE)
        assert stalled.agent == "camila"
        with records(product) as session:
            session.get(m.Handoff, stalled.id).awaiting_since = clock.now() - dt.timedelta(minutes=10)
        sofia = desk_page(browser, web, "sofia", "sofia-demo")
        sofia.click("a:has-text('Supervisión')")
        sofia.wait_for_url("**/console/supervision")
        row = sofia.locator(f"#stalled tr[data-id='{stalled.id}']")
        assert "Jorge Iván Castaño" in row.inner_text() and "10 min" in row.inner_text()
        team = sofia.locator("#team").inner_text()
        assert "Camila" in team and "Disponible" in team
        sofia.screenshot(path=str(SHOTS / "desk-supervision.png"), full_page=True)
        with records(product) as session:
            diego = session.execute(select(m.Agent.id).where(m.Agent.username == "diego")).scalar_one()
        row.locator("select[name=to_agent]").select_option(value=str(diego))
        row.get_by_role("button", name="Asignar", exact=True).click()
        sofia.wait_for_url("**/console/supervision?aviso=reasignada")
        assert open_handoff(product, JORGE).agent == "diego"
        twilio_api.wait_for(lambda r: r["to"] == f"whatsapp:{JORGE}" and "soy Diego" in r["body"], timeout=20)
        sofia.click("button:has-text('Cerrar sesión')")
    finally:
        camila.click("button:has-text('Cerrar sesión')")  # offline: nothing more is given to her
        with records(product) as session:
            for phone in (ANA, JORGE):
                for item in session.execute(select(m.Handoff).where(m.Handoff.conversation_id == phone,
                                                                    m.Handoff.status.in_(m.OPEN_HANDOFF))).scalars():
                    item.status, item.desk_status = m.HandoffStatus.closed, "resolved"


def test_the_conversation_page_fits_a_tablet_and_keeps_its_labels(product, browser, web):
    with records(product) as session:
        any_closed = session.execute(select(m.Handoff.id).where(m.Handoff.status == m.HandoffStatus.closed)
                                     .order_by(m.Handoff.id.desc())).scalars().first()
    page = desk_page(browser, web, "sofia", "sofia-demo", viewport=(768, 1024))
    page.goto(f"{web}/console/handoffs/{any_closed}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 768  # nothing runs off the side
    for field in page.locator("input:not([type=hidden]), select, textarea").all():
        label = field.evaluate("el => (el.labels && el.labels.length) || el.getAttribute('aria-label') ? 'ok' : el.outerHTML")
        assert label == "ok"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Saltar al contenido"
    # where the page may not create notifications itself (Chrome on Android), the console's service worker shows them
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)") == f"{web}/console/"
    page.screenshot(path=str(SHOTS / "desk-tablet.png"), full_page=True)
    page.click("button:has-text('Cerrar sesión')")
