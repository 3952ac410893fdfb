"""Contact-data changes confirmed by a one-time code sent to a channel already on the account.

Whoever asks to change a phone or an e-mail may be writing from a spoofed SMS sender id, or may know only
the account number and the id digits. The code goes where the account already receives its messages (the
customer's preferred channel: WhatsApp or SMS to a registered mobile, or their Telegram chat), so only
someone who holds that channel can finish the change. A code has 6 digits, lasts ``CODE_LIFE``, allows
``MAX_TRIES`` answers, is kept salted and hashed, and a new request closes the earlier ones. The change
itself redeems the confirmed code once: a slot set by anyone else proves nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Optional, Tuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import notifications
from bot.db import models as m
from bot.settings import Settings

CODE_LIFE = dt.timedelta(minutes=10)
MAX_TRIES = 3
CONFIRMED_LIFE = dt.timedelta(minutes=15)  # time to finish the change once the code was right

RIGHT, WRONG, LOCKED, EXPIRED, NONE = "right", "wrong", "locked", "expired", "none"


@dataclass
class Attempt:
    result: str  # RIGHT, WRONG (tries left), LOCKED (no tries left), EXPIRED, NONE (no code pending)
    tries_left: int = 0


def destination(session: Session, customer: m.Customer) -> Optional[Tuple[str, str]]:
    """Where a code for this customer goes (channel, address), or None when the account has nowhere to
    send one. A text message to the registered mobile (WhatsApp may not carry free text outside its 24-hour
    window), else the customer's Telegram chat; never a channel the customer asked for no messages."""
    mobiles = [("sms", phone.number) for phone in customer.phones if phone.is_mobile]
    telegram = [("telegram", f"tg:{customer.telegram_user_id}")] if customer.telegram_user_id else []
    preferred = telegram if customer.preferred_channel == m.Channel.telegram else []
    return next((target for target in preferred + mobiles + telegram
                 if not notifications.opted_out(session, *target)), None)


def described(channel: str, address: str) -> str:
    """Where the code went, in words that reveal no more than the customer already knows."""
    if channel == "telegram":
        return "por Telegram, en el chat que tienes registrado"
    return f"por mensaje de texto (SMS) al celular terminado en {address[-4:]}"


def issue(session: Session, settings: Settings, account: m.Account, conversation_id: str, new_value: str,
          now: dt.datetime) -> Optional[str]:
    """Queues a new code for changing the account's contact data to ``new_value``; returns where it went
    (``described``), or None when there is nowhere to send it. Earlier codes of this conversation close."""
    target = destination(session, account.customer)
    if target is None:
        return None
    _close_pending(session, account, conversation_id, now)
    code = f"{secrets.randbelow(10 ** 6):06d}"
    salt = secrets.token_hex(8)
    row = m.ContactChangeCode(account_id=account.id, conversation_id=conversation_id, new_value=new_value,
                              code_hash=f"{salt}${_digest(salt, code)}", sent_to=described(*target),
                              created_at=now, expires_at=now + CODE_LIFE)
    session.add(row)
    session.flush()
    minutes = int(CODE_LIFE.total_seconds() // 60)
    notifications.enqueue(
        session, kind="contact_code", dedupe_key=f"contact_code:{row.id}", customer=account.customer, account=account,
        body=(f"Tu código de Energía del Valle para cambiar tus datos de contacto es {code}. Vence en {minutes} "
              "minutos. Si no lo pediste tú, no lo compartas con nadie y avísanos."),
        settings=settings, now=now, urgent=True, needs_consent=False, expires_at=row.expires_at, target=target)
    return row.sent_to


def attempt(session: Session, account: m.Account, conversation_id: str, typed: str, now: dt.datetime) -> Attempt:
    """One answer to the code, checked and counted in one step (the row is locked for the transaction)."""
    row = _pending(session, account, conversation_id, lock=True)
    if row is None:
        return Attempt(NONE)
    if now >= row.expires_at:
        row.closed_at = now
        return Attempt(EXPIRED)
    salt, _, digest = row.code_hash.partition("$")
    if hmac.compare_digest(digest, _digest(salt, typed)):
        row.confirmed_at = now
        return Attempt(RIGHT)
    row.tries += 1
    if row.tries >= MAX_TRIES:
        row.closed_at = now
        return Attempt(LOCKED)
    return Attempt(WRONG, MAX_TRIES - row.tries)


def redeem(session: Session, account: m.Account, conversation_id: str, new_value: str, now: dt.datetime) -> bool:
    """True once for a code confirmed in this conversation for exactly this change, recently; it closes."""
    row = session.execute(
        select(m.ContactChangeCode).where(
            m.ContactChangeCode.account_id == account.id, m.ContactChangeCode.conversation_id == conversation_id,
            m.ContactChangeCode.closed_at.is_(None), m.ContactChangeCode.confirmed_at.is_not(None))
        .order_by(m.ContactChangeCode.id.desc()).limit(1).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.new_value != new_value or now - row.confirmed_at > CONFIRMED_LIFE:
        return False
    row.closed_at = now
    return True


def _pending(session: Session, account: m.Account, conversation_id: str, lock: bool) -> Optional[m.ContactChangeCode]:
    query = (select(m.ContactChangeCode)
             .where(m.ContactChangeCode.account_id == account.id, m.ContactChangeCode.conversation_id == conversation_id,
                    m.ContactChangeCode.closed_at.is_(None), m.ContactChangeCode.confirmed_at.is_(None))
             .order_by(m.ContactChangeCode.id.desc()).limit(1))
    if lock:
        if session.get_bind().dialect.name != "postgresql":  # SQLite: one writer, taken before reading
            session.execute(update(m.ContactChangeCode).where(m.ContactChangeCode.id == -1)
                            .values(tries=m.ContactChangeCode.tries))
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def _close_pending(session: Session, account: m.Account, conversation_id: str, now: dt.datetime) -> None:
    session.execute(update(m.ContactChangeCode).where(
        m.ContactChangeCode.account_id == account.id, m.ContactChangeCode.conversation_id == conversation_id,
        m.ContactChangeCode.closed_at.is_(None)).values(closed_at=now))


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code.strip()}".encode()).hexdigest()
