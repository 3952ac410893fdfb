"""Complaints: file one with its regulatory deadline, and follow the ones filed."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.context import settings, today, with_records
from actions.journeys import JourneyContext, Outcome, asks_for_another_journey, journey
from actions.replies import Reply
from actions.safety import GuardedAction, GuardedFormValidation
from bot import cases, records
from bot.db import models as m
from bot.formatting import day
from bot.text import fold

CATEGORIES = {
    "facturacion": "Facturación o cobros",
    "calidad_servicio": "Cortes o calidad del servicio",
    "danos_electrodomesticos": "Daño de electrodomésticos",
    "medidor": "Medidor o lectura",
    "atencion": "Atención recibida",
    "otro": "Otro motivo",
}
KEYWORDS = {
    "facturacion": ("factur", "cobr", "recibo", "cuenta", "boleta", "pago", "caro", "alto"),
    "danos_electrodomesticos": ("dañ", "dan", "quem", "electrodom", "nevera", "tele", "aparato"),
    "calidad_servicio": ("corte", "luz", "voltaje", "bajon", "servicio", "interrup"),
    "medidor": ("medidor", "contador", "lectura"),
    "atencion": ("atencion", "asesor", "trato", "oficina"),
}
STATUS_WORDS = {
    m.TicketStatus.received: "recibido",
    m.TicketStatus.in_progress: "en revisión",
    m.TicketStatus.resolved: "resuelto",
    m.TicketStatus.closed: "cerrado",
}


def category_of(text: str) -> str | None:
    """The category a customer meant, from a button payload, a number or their words."""
    plain = fold(text).strip()
    if plain in CATEGORIES:
        return plain
    if plain.isdigit() and 1 <= int(plain) <= len(CATEGORIES):
        return list(CATEGORIES)[int(plain) - 1]
    for category, words in KEYWORDS.items():
        if any(word in plain for word in words):
            return category
    if plain in {"otro", "otra", "otros"}:
        return "otro"
    return None


# Words that name a category beyond doubt in the message that asked for the complaint ("me cobraron de
# más"), so it is not asked again; the looser KEYWORDS serve answers to the category question.
SAID_IN_THE_REQUEST = {
    "facturacion": ("factur", "cobr", "recibo", "muy cara", "muy alta", "de mas"),
    "danos_electrodomesticos": ("dañ", "quem", "electrodom", "nevera"),
    "calidad_servicio": ("voltaje", "bajon", "interrup"),
    "medidor": ("medidor", "contador", "lectura"),
    "atencion": ("asesor", "atencion", "me trataron", "me trato"),
}


def category_said(text: str) -> str | None:
    plain = fold(text)
    found = [category for category, words in SAID_IN_THE_REQUEST.items() if any(word in plain for word in words)]
    return found[0] if len(found) == 1 else None  # two candidates: better to ask


@journey("file_complaint")
def start_complaint(session: Session, ctx: JourneyContext) -> Outcome:
    open_ones = records.complaints_of(session, ctx.account)
    note = ""
    if open_ones:
        note = f" (ya tienes {len(open_ones)} reclamo{'s' if len(open_ones) > 1 else ''} abierto{'s' if len(open_ones) > 1 else ''}, el último es {open_ones[0].ticket})"
    category = category_said(ctx.tracker.get_slot("journey_text") or "")
    about = f" Lo registro como «{CATEGORIES[category]}»." if category else ""
    return ([Reply(f"Claro, te ayudo a poner un reclamo sobre la cuenta {ctx.account.account_number}{note}.{about}")],
            {"complaint_category": category} if category else {})


class ActionAskComplaintCategory(GuardedAction):
    def name(self) -> str:
        return "action_ask_complaint_category"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        Reply("¿Sobre qué es tu reclamo?", [(label, key) for key, label in CATEGORIES.items()]).send(dispatcher)
        return []


IMAGE_PLACEHOLDER = "[imagen adjunta]"  # what a channel sends for a photo without words


def images_in(event: Dict[str, Any]) -> List[str]:
    media = (event.get("metadata") or {}).get("media") or []
    return [item["url"] for item in media if item.get("url") and (item.get("type") or "").startswith("image/")]


def complaint_images(tracker: Tracker) -> List[str]:
    """Photos the customer sent since the complaint form started, to attach to the ticket."""
    urls: List[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == "complaint_form":
            break
        if event.get("event") == "user":
            urls = images_in(event) + urls
    return urls


INFORMATION_QUESTIONS = ("tariff_info", "office_info", "energy_saving_tips")


def another_request(tracker: Tracker) -> bool:
    """A clear request of its own (a journey, or a question about tariffs or offices) instead of a category."""
    intent = tracker.latest_message.get("intent") or {}
    asked = intent.get("name") in INFORMATION_QUESTIONS and (intent.get("confidence") or 0) >= 0.8
    return asked or asks_for_another_journey(tracker, confidence=0.8)


class ValidateComplaintForm(GuardedFormValidation):
    failure_slot = "complaint_failed"

    def name(self) -> str:
        return "validate_complaint_form"

    async def run(self, dispatcher, tracker, domain):
        if (tracker.latest_message.get("text") or "").strip() == IMAGE_PLACEHOLDER:
            requested = tracker.get_slot("requested_slot")
            dispatcher.utter_message(text="Recibí tu foto y la adjunto al reclamo.")
            return [SlotSet(requested, None)] if requested else []
        return await super().run(dispatcher, tracker, domain)

    async def validate_complaint_category(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        category = category_of(str(value or "")[:300])
        if category is None and another_request(tracker):
            return await self.detour("complaint_category", dispatcher, tracker, domain)  # "¿cuánto es la tarifa?"
        if category is None:
            dispatcher.utter_message(text="No identifiqué el motivo. Elige una opción de la lista o escribe su número.")
            return {"complaint_category": None}
        return {"complaint_category": category}

    async def validate_complaint_description(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        text = str(value or "").strip()
        if len(text) < 10:
            dispatcher.utter_message(text="Cuéntame un poco más, con al menos una frase: qué pasó y desde cuándo.")
            return {"complaint_description": None}
        return {"complaint_description": text[:2000]}


class ActionSubmitComplaint(GuardedAction):
    """Files the complaint and tells the ticket and the regulatory deadline."""

    def name(self) -> str:
        return "action_submit_complaint"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        clear = [SlotSet("complaint_category", None), SlotSet("complaint_description", None), SlotSet("complaint_failed", None)]
        if tracker.get_slot("complaint_failed") or not tracker.get_slot("account_verified"):
            return clear
        number = tracker.get_slot("account_number")
        category, description = tracker.get_slot("complaint_category"), tracker.get_slot("complaint_description")
        channel = tracker.get_latest_input_channel() or "rest"
        config = settings()
        photos = complaint_images(tracker)

        def file(session: Session):
            account = records.verified_account(session, number)
            complaint = cases.file_complaint(
                session, account=account, category=category, description=description, channel=channel,
                deadline_days=config.complaint_deadline_business_days, timezone=config.timezone,
                country=config.default_region,
            )
            complaint.attachments = [{"type": "image", "url": url} for url in photos] or None
            return complaint.ticket, complaint.due_at

        ticket, due = await with_records(file)
        from zoneinfo import ZoneInfo

        due_day = day(due.astimezone(ZoneInfo(config.timezone)).date(), today())
        Reply(
            f"Listo, radiqué tu reclamo ({CATEGORIES[category].lower()}) con el número {ticket}"
            + (f" y {len(photos)} foto(s) adjunta(s). " if photos else ". ")
            + f"Por ley debemos responderte a más tardar el {due_day} ({config.complaint_deadline_business_days} días hábiles). "
            "Puedes preguntarme por su estado cuando quieras.",
            [("Estado de mi reclamo", "/complaint_status"), ("Nada más", "/thank")],
        ).send(dispatcher)
        return clear + [SlotSet("last_ticket", ticket)]


@journey("complaint_status")
def complaint_status(session: Session, ctx: JourneyContext) -> Outcome:
    ticket = next(ctx.tracker.get_latest_entity_values("ticket_id"), None) or ctx.tracker.get_slot("ticket_id")
    if ticket:
        ticket = ticket.upper().replace(" ", "")
        if "-" not in ticket and len(ticket) > 2:
            ticket = f"{ticket[:2]}-{ticket[2:]}"
        complaint = records.complaint_by_ticket(session, ticket)
        if complaint is None or complaint.account_id != ctx.account.id:
            return [Reply(f"No encuentro el reclamo {ticket} en tu cuenta {ctx.account.account_number}. Revisa el número, por favor.",
                          [("Ver mis reclamos", "/complaint_status")])], {"ticket_id": None}
        return [Reply(_describe(complaint, ctx), [("Nada más", "/thank")])], {"ticket_id": None}
    complaints = records.complaints_of(session, ctx.account, open_only=True)
    if not complaints:
        latest = records.complaints_of(session, ctx.account, open_only=False)[:1]
        if latest:
            return [Reply("No tienes reclamos abiertos. El último: " + _describe(latest[0], ctx))], {}
        return [Reply(f"No tienes reclamos registrados en la cuenta {ctx.account.account_number}. ¿Quieres poner uno?",
                      [("Poner un reclamo", "/file_complaint"), ("No", "/deny")])], {}
    return [Reply("\n".join(_describe(c, ctx) for c in complaints), [("Hablar con un asesor", "/request_agent"), ("Nada más", "/thank")])], {}


def _describe(complaint: m.Complaint, ctx: JourneyContext) -> str:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(settings().timezone)
    due = complaint.due_at.astimezone(tz).date()
    text = (f"Reclamo {complaint.ticket} ({CATEGORIES.get(complaint.category, complaint.category).lower()}), "
            f"radicado el {day(complaint.filed_at.astimezone(tz).date(), ctx.today)}: {STATUS_WORDS[complaint.status]}.")
    if complaint.history:
        last = complaint.history[-1]
        text += f" Último movimiento: {(last.note or STATUS_WORDS[last.status]).rstrip('.')} ({day(last.at.astimezone(tz).date(), ctx.today)})."
    if complaint.status in (m.TicketStatus.resolved, m.TicketStatus.closed):
        text += f" Respuesta: {complaint.resolution or 'enviada a tu correo'}"
    elif due < ctx.today:
        text += (f" Su plazo legal venció el {day(due, ctx.today)}. Lamentamos la demora: "
                 "un asesor puede revisarlo contigo ahora mismo.")
    else:
        text += f" Plazo de respuesta: {day(due, ctx.today)}."
    return text
