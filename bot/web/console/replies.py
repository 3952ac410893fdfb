"""Replies within each channel's rules, beyond plain text: WhatsApp templates after the 24-hour window, the
same words by SMS instead, "typing…" where the channel shows it, and documents from the customer's records.

WhatsApp refuses free text once 24 hours passed since the customer last wrote (``bot/desk.py``); then the
console offers only the approved templates of ``whatsapp_templates.yml`` (their Content SIDs there, or in
``LUZ_WHATSAPP_TEMPLATES`` by name) with their variables, or the SMS line. The reply and document routes
refuse free content outside the window (409), whatever the page sent.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional

import yaml
from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import desk
from bot import handoff as queue
from bot.db import models as m
from bot.formatting import month
from bot.links import LinkSigner
from bot.phones import to_e164
from bot.settings import Settings
from bot.web.console import auth
from bot.web.console.access import api_agent
from bot.web.console.conversation import OUTSIDE_WINDOW, owned, serialised
from bot.web.console.customer_context import accounts_of
from bot.web.console.presence import body_of
from bot.web.deps import Database, database, settings
from bot.web.files import link_signer
from channels import inbox, outbound

router = APIRouter(prefix="/console")
TEMPLATES = yaml.safe_load((Path(__file__).resolve().parent / "whatsapp_templates.yml").read_text(encoding="utf-8"))


def templates(config: Settings) -> List[Dict]:
    """The approved templates with their Content SID (``LUZ_WHATSAPP_TEMPLATES`` first) and variables."""
    return [{**item, "sid": config.template_for(item["name"]) or item.get("sid") or ""} for item in TEMPLATES
            if config.template_for(item["name"]) or item.get("sid")]


def fill(body: str, values: List[str]) -> str:
    return re.sub(r"\{\{(\d+)\}\}", lambda found: values[int(found.group(1)) - 1], body)


def refuse_outside_window(session: Session, handoff: m.Handoff) -> None:
    if not desk.window_open(session, handoff, m.utcnow()):
        raise HTTPException(status_code=409, detail=OUTSIDE_WINDOW)


@router.post("/api/handoffs/{handoff_id}/template", dependencies=[Depends(auth.check_csrf)])
async def send_template(handoff_id: int, request: Request, agent: Dict = Depends(api_agent),
                        db: Database = Depends(database), config: Settings = Depends(settings)):
    body = await body_of(request)
    chosen = next((item for item in templates(config) if item["name"] == body.get("template")), None)
    if chosen is None:
        raise HTTPException(status_code=422, detail="Elige una plantilla aprobada.")
    values = [str(value).strip()[:200] for value in body.get("variables") or []]
    if len(values) != len(chosen["variables"]) or not all(values):
        raise HTTPException(status_code=422, detail="Completa todas las variables de la plantilla.")
    text = fill(chosen["body"], values)

    def record(session: Session) -> Dict:
        handoff = owned(session, handoff_id, agent)
        if handoff.channel != "whatsapp":
            raise HTTPException(status_code=422, detail="Las plantillas son solo para WhatsApp.")
        message = queue.add_message(session, handoff, "agent", f"[Plantilla «{chosen['title']}»] {text}",
                                    session.get(m.Agent, agent["id"]))
        return {"conversation_id": handoff.conversation_id, "message": serialised(message)}

    sent = await db(record)
    variables = {str(index): value for index, value in enumerate(values, start=1)}
    deliveries = await outbound.deliver_all("whatsapp", sent["conversation_id"], [{"text": text}], (chosen["sid"], variables))
    return {**sent["message"], "delivered": bool(deliveries) and all(d.ok for d in deliveries)}


@router.post("/api/handoffs/{handoff_id}/sms", dependencies=[Depends(auth.check_csrf)])
async def send_sms(handoff_id: int, request: Request, agent: Dict = Depends(api_agent), db: Database = Depends(database)):
    """The agent's words by SMS to the conversation's phone (WhatsApp outside its window, for instance)."""
    text = str((await body_of(request)).get("text", "")).strip()
    if not text or len(text) > 459:
        raise HTTPException(status_code=422, detail="Escribe un SMS de hasta 459 caracteres.")

    def record(session: Session) -> Dict:
        handoff = owned(session, handoff_id, agent)
        phone = None if handoff.conversation_id.startswith("tg:") else to_e164(handoff.conversation_id)
        if phone is None:
            raise HTTPException(status_code=422, detail="Esta conversación no tiene un teléfono al que enviar un SMS.")
        me = session.get(m.Agent, agent["id"])
        message = queue.add_message(session, handoff, "agent", f"[SMS] {text}", me)
        return {"phone": phone, "body": queue.agent_text(me, text), "message": serialised(message)}

    if not outbound.can_deliver("sms"):
        raise HTTPException(status_code=503, detail="El canal SMS no está configurado.")
    sent = await db(record)
    if inbox.is_opted_out("sms", sent["phone"]):
        raise HTTPException(status_code=409, detail="El cliente pidió no recibir SMS (BAJA).")
    delivered = await outbound.deliver("sms", sent["phone"], [{"text": sent["body"]}])
    return {**sent["message"], "delivered": delivered}


@router.post("/api/handoffs/{handoff_id}/typing", dependencies=[Depends(auth.check_csrf)])
async def typing(handoff_id: int, agent: Dict = Depends(api_agent), db: Database = Depends(database)):
    """The customer sees "typing…" where the channel shows it (Telegram); elsewhere nothing happens."""
    target = await db(lambda session: (lambda h: {"channel": h.channel, "conversation_id": h.conversation_id})(
        owned(session, handoff_id, agent)))
    return {"shown": await outbound.typing(target["channel"], target["conversation_id"])}


@router.post("/api/handoffs/{handoff_id}/document", dependencies=[Depends(auth.check_csrf)])
async def send_document(handoff_id: int, request: Request, agent: Dict = Depends(api_agent),
                        db: Database = Depends(database), signer: LinkSigner = Depends(link_signer)):
    """A copy of the latest bill (PDF) or the consumption chart (PNG) of one of the customer's own supplies."""
    body = await body_of(request)
    kind, number = body.get("kind"), str(body.get("account", ""))
    if kind not in ("bill", "chart"):
        raise HTTPException(status_code=422, detail="Elige la copia de la factura o el gráfico de consumo.")

    def record(session: Session) -> Dict:
        handoff = owned(session, handoff_id, agent)
        refuse_outside_window(session, handoff)
        account = next((a for a in accounts_of(session, handoff) if a.account_number == number), None)
        if account is None:
            raise HTTPException(status_code=422, detail="Esa cuenta no es del cliente de esta conversación.")
        media: Optional[str]
        if kind == "bill":
            bill = session.execute(select(m.Bill).where(m.Bill.account_id == account.id)
                                   .order_by(m.Bill.period.desc())).scalars().first()
            if bill is None:
                raise HTTPException(status_code=404, detail="Esta cuenta aún no tiene facturas.")
            caption = f"Copia de tu factura de {month(bill.period)} (cuenta {number}). El enlace vence en 24 horas."
            media, key = signer.url("bills", bill.id, "pdf"), "attachment"
        else:
            caption = f"Tu consumo de los últimos 12 meses (cuenta {number})."
            media, key = signer.url("charts", number, "png"), "image"
        me = session.get(m.Agent, agent["id"])
        message = queue.add_message(session, handoff, "agent", f"{caption}\nAdjunto: {media}", me)
        return {"channel": handoff.channel, "conversation_id": handoff.conversation_id,
                "outgoing": {"text": queue.agent_text(me, caption), key: media}, "message": serialised(message)}

    sent = await db(record)
    delivered = await outbound.deliver(sent["channel"], sent["conversation_id"], [sent["outgoing"]])
    return {**sent["message"], "delivered": delivered}
