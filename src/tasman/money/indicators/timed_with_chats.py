"""Transfers timed with chat sessions of the same sender (the same subject, or a chat record
sharing a phone or email): payment just before or during a session."""

from __future__ import annotations

from datetime import timedelta

from tasman.money.indicators.base import BENEFICIARY, SENDER, Context, Hit, Indicator, Profile, sample


class TimedWithChats(Indicator):
    name = "timed_with_chats"
    roles = (BENEFICIARY, SENDER)
    description = "transfers within the chat window of a chat session of the same sender"

    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        window = timedelta(minutes=ctx.cfg.chat_window_minutes)
        timed = [t for t in p.transfers if t.ts is not None and t.has_time and t.sender_party in ctx.chat_times]
        if not timed:
            return None
        near = [t for t in timed if (gap := ctx.nearest_chat(t.sender_party, t.ts)) is not None  # type: ignore[arg-type]
                and gap <= window]
        share = len(near) / len(p.transfers)
        if len(near) < 2 or share < ctx.cfg.chat_share:
            return None
        return Hit(self.name, min(1.0, share * 1.5),
                   f"{len(near)} of {len(p.transfers)} transfers within {ctx.cfg.chat_window_minutes} minutes "
                   "of a chat session of the same sender", sample(near))
