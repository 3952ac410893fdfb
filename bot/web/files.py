"""The documents the assistant links to: bill PDFs and consumption charts, behind signed links.

A link names its document in a token signed with ``LUZ_SIGNING_SECRET`` that expires after 24 hours
(``bot/links.py``): an expired one gets a page saying how to ask for a new one (410), a forged or
unknown one 404. Documents are drawn on request and never cached by the browser or a proxy.
"""
from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session

from bot import records
from bot.db import models as m
from bot.links import LinkExpired, LinkInvalid, LinkSigner
from bot.web.charts import consumption_chart
from bot.web.deps import Database, database
from bot.web.documents import bill_pdf

router = APIRouter(include_in_schema=False)


def link_signer(request: Request) -> LinkSigner:
    return request.app.state.link_signer


def open_link(signer: LinkSigner, kind: str, token: str) -> Any:
    """What the link names; 410 once expired, 404 when it was not signed by us."""
    try:
        return signer.load(kind, token)
    except LinkExpired:
        raise HTTPException(status_code=410, detail="expired") from None
    except LinkInvalid:
        raise HTTPException(status_code=404, detail="not found") from None


@router.get("/files/bills/{token}.pdf")
async def bill_document(token: str, signer: LinkSigner = Depends(link_signer), db: Database = Depends(database)) -> Response:
    bill_id = open_link(signer, "bills", token)

    def render(session: Session) -> Optional[bytes]:
        bill = session.get(m.Bill, bill_id)
        if bill is None:
            return None
        return bill_pdf(bill, bill.account, bill.account.customer)

    content = await db(render)
    if content is None:
        raise HTTPException(status_code=404)
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="factura-{bill_id}.pdf"',
                             "Cache-Control": "private, no-store"})


@router.get("/files/charts/{token}.png")
async def chart_image(token: str, signer: LinkSigner = Depends(link_signer), db: Database = Depends(database)) -> Response:
    account_number = open_link(signer, "charts", token)

    def render(session: Session) -> Optional[bytes]:
        account = records.account_by_number(session, account_number)
        if account is None:
            return None
        months = records.consumption(session, account, 12)
        return consumption_chart([(b.period, b.kwh) for b in months], f"Consumo de los últimos {len(months)} meses")

    content = await db(render)
    if content is None:
        raise HTTPException(status_code=404)
    return Response(content, media_type="image/png", headers={"Cache-Control": "private, no-store"})
