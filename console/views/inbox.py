"""The operators' inbox: tickets from every channel (oldest request first, so what came in
overnight is answered in arrival order), the masked transcript and the conversation with
the operators, a reply from the web, closing (back to the bot), closed tickets.

A reply is queued in the shared hand-off store exactly as a reply in the Telegram topic is
(``handoff.reply_if_open``): the worker's own front end delivers it on their channel. The
pages poll a small JSON state every few seconds and reload when a ticket changed, so a
reply or a close made in Telegram shows here within seconds.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from common import texts
from common.privacy import redact
from console import audit, office
from console.roles import OPERATOR, role_required
from handoff import Ticket, close_ticket, get_ticket, inbox_tickets, reply_if_open, ticket_messages

CHANNELS = {"tg": "Telegram", "wx": "微信"}
#: Any other conversation is a client of the REST channel (a chat page): it gets the reply
#: with its next message, or when the page asks (rasa_ext.channels).
REST_CHANNEL = "网页聊天"
STATUS_LABELS = {"pending": "正在转接", "open": "待回复", "closed": "已关闭"}
MAX_REPLY = 2000


def _row(ticket: Ticket) -> dict[str, object]:
    return {
        "t": ticket,
        "channel": CHANNELS.get(ticket.channel, REST_CHANNEL),
        "reason": texts.HANDOFF_REASON_LABELS.get(ticket.reason, ticket.reason),
        "status": STATUS_LABELS.get(ticket.status, ticket.status),
        "opened": ticket.opened_at[:16].replace("T", " "),
        "overnight": not ticket.staffed,
    }


def _state(tickets: list[Ticket], extra: str = "") -> str:
    """A fingerprint of what the page shows: it reloads when this changes."""
    parts = [f"{t.id}:{t.status}:{t.answered_at}:{t.closed_at}" for t in tickets]
    return hashlib.sha1(("|".join(parts) + extra).encode()).hexdigest()[:16]


@role_required(OPERATOR)
def inbox(request: HttpRequest) -> HttpResponse:
    state = "closed" if request.GET.get("state") == "closed" else "open"
    with office.handoff_db() as db:
        tickets = inbox_tickets(db, state)
    if request.GET.get("format") == "state":
        return JsonResponse({"state": _state(tickets)})
    return render(
        request,
        "console/inbox.html",
        {
            "rows": [_row(t) for t in tickets],
            "state": state,
            "fingerprint": _state(tickets),
            "overnight": sum(1 for t in tickets if not t.staffed),
        },
    )


def _ticket_or_404(db: object, ticket_id: int) -> Ticket:
    ticket = get_ticket(db, ticket_id)  # type: ignore[arg-type]
    if ticket is None:
        raise Http404(str(ticket_id))
    return ticket


@role_required(OPERATOR)
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    with office.handoff_db() as db:
        ticket = _ticket_or_404(db, ticket_id)
        conversation = ticket_messages(db, ticket.id)
    fingerprint = _state([ticket], str(len(conversation)))
    if request.GET.get("format") == "state":
        return JsonResponse({"state": fingerprint})
    lines = [
        {
            "who": "职工" if m.direction == "from_worker" else ("内部备注" if m.direction == "note" else "工作人员"),
            "author": (m.author or "").removeprefix("console:"),
            "direction": m.direction,
            "text": redact(m.text) if m.direction == "from_worker" else m.text,
            "at": m.created_at[5:16].replace("T", " "),
        }
        for m in conversation
    ]
    return render(
        request,
        "console/ticket.html",
        {
            "row": _row(ticket),
            "ticket": ticket,
            "transcript": redact(ticket.transcript) or texts.TRANSCRIPT_EMPTY,
            "lines": lines,
            "fingerprint": fingerprint,
            "nonce": secrets.token_hex(8),
        },
    )


def _mirror(request: HttpRequest) -> dict[str, str]:
    """For the worker's front end: show this in the operators' chat too, under this name."""
    profile = getattr(request.user, "profile", None)
    return {"mirror": "console", "author": getattr(profile, "display_name", "") or request.user.get_username()}


@role_required(OPERATOR)
def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("ticket_detail", ticket_id=ticket_id)
    text = (request.POST.get("text") or "").strip()[:MAX_REPLY]
    if not text:
        messages.error(request, "回复不能为空。")
        return redirect("ticket_detail", ticket_id=ticket_id)
    name = request.user.get_username()
    # The form's nonce makes a double-sent form one reply (the store keeps one per source).
    source = f"console:{request.user.pk}:{ticket_id}:{(request.POST.get('nonce') or '')[:20]}"
    with office.handoff_db() as db:
        result = reply_if_open(
            db, ticket_id, text, author=f"console:{name}", now=office.now(), source=source, payload=_mirror(request)
        )
    if result.status == "not_open":
        messages.error(request, "这个工单已经关闭（可能同事刚在 Telegram 里关闭了），回复没有发出。")
    elif result.status == "duplicate":
        messages.info(request, "这条回复已经发出过了，没有重复发送。")
    else:
        audit.record(request, "ticket_reply", f"回复工单 #{ticket_id}", target=f"ticket:{ticket_id}")
        if result.ticket is not None and result.ticket.channel not in CHANNELS:
            messages.success(request, "已发出。职工在网页聊天里：打开的聊天页面几秒内显示，或在他下一次发消息时收到。")
        else:
            messages.success(request, "已发出，职工会在他所用的渠道（Telegram、微信）收到。")
    return redirect("ticket_detail", ticket_id=ticket_id)


@role_required(OPERATOR)
def ticket_close(request: HttpRequest, ticket_id: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("ticket_detail", ticket_id=ticket_id)
    name = request.user.get_username()
    with office.handoff_db() as db:
        closed = close_ticket(
            db,
            ticket_id,
            closed_by=f"console:{name}",
            now=office.now(),
            notice=texts.HANDOFF_CLOSED_BY_OPERATOR,
            payload=_mirror(request),
        )
    if closed is None:
        messages.info(request, f"工单 #{ticket_id} 已经关闭了（可能同事刚刚关闭），没有重复处理。")
    else:
        audit.record(request, "ticket_close", f"关闭工单 #{ticket_id}，职工回到小助手", target=f"ticket:{ticket_id}")
        messages.success(request, f"工单 #{ticket_id} 已关闭，职工回到小助手，并会收到通知。")
    return redirect("ticket_detail", ticket_id=ticket_id)
