"""Whether a page's results are older than the run they depend on.

Each stage's results are computed from an earlier stage's: subjects from the records and the
identifiers, attribution from the subjects, money trails from the transfers and the subjects,
referral packages (and the summary) from attribution. When the earlier stage ran again after
the later one, the page says so, names the newer run, and offers the button that runs its own
stage again (to those whose role may). Only timestamps are read: nothing is recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from tasman.accounts.roles import Perm
from tasman.attribute.models import AttributionRun
from tasman.core.models import Case, Record
from tasman.extract.models import ExtractRun
from tasman.link.models import LinkRun
from tasman.money.models import MoneyRun
from tasman.refer.models import ReferralPackage


@dataclass(frozen=True)
class Stale:
    """``what`` is from before ``since`` (at ``upstream``); ``action``/``job`` run it again."""

    what: str
    since: str
    mine: datetime
    upstream: datetime
    button: str
    action: str              # the form's path under the case
    job: str | None          # the job kind it starts, when the form starts a job
    perm: Perm

    @property
    def sentence(self) -> str:
        return (f"{self.what} is from before {self.since}: made {_ts(self.mine)} UTC, "
                f"{self.since.removeprefix('the ')} {_ts(self.upstream)} UTC.")


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _aware(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


def _latest(s: Session, column: InstrumentedAttribute[Any], case_col: InstrumentedAttribute[int],
            case_id: int) -> datetime | None:
    found: datetime | None = s.scalar(select(func.max(column)).where(case_col == case_id))
    return _aware(found)


def _imported(s: Session, case_id: int, kind: str | None = None) -> datetime | None:
    """When the case's newest record (of ``kind``) was stored: files, goAML reports, tips alike."""
    q = select(func.max(Record.imported_at)).where(Record.case_id == case_id)
    found: datetime | None = s.scalar(q.where(Record.kind == kind) if kind else q)
    return _aware(found)


def _newer(mine: datetime | None, upstream: datetime | None) -> bool:
    return mine is not None and upstream is not None and upstream > mine


def stale_notices(s: Session, case: Case, page: str) -> list[Stale]:
    """What is stale on ``page`` (subjects, attribution, money, referrals, summary): an empty list
    when the page's results are as new as what they were computed from, or when there are none."""
    cid = case.id
    link = _latest(s, LinkRun.finished_at, LinkRun.case_id, cid)
    out: list[Stale] = []
    if page == "subjects":
        imported = _imported(s, cid)
        extracted = _latest(s, ExtractRun.finished_at, ExtractRun.case_id, cid)
        newest = max((t for t in (imported, extracted) if t is not None), default=None)
        if link is not None and newest is not None and _newer(link, newest):
            since = "the last records import" if newest == imported else "the last extraction run"
            out.append(Stale("The subjects list", since, link, newest, "Run linking", "jobs", "link", Perm.RUN_LINK))
    elif page == "attribution":
        attributed = _latest(s, AttributionRun.started_at, AttributionRun.case_id, cid)
        if attributed is not None and link is not None and _newer(attributed, link):
            out.append(Stale("Attribution", "the last linking run", attributed, link, "Run attribution again",
                             "attribution", None, Perm.ATTRIBUTE))
    elif page == "money":
        analysed = _latest(s, MoneyRun.started_at, MoneyRun.case_id, cid)
        imported = _imported(s, cid, "transactions")
        for since, upstream in (("the last transfers import", imported), ("the last linking run", link)):
            if analysed is not None and _newer(analysed, upstream):
                assert upstream is not None
                out.append(Stale("The money analysis", since, analysed, upstream, "Run money analysis again",
                                 "jobs", "money", Perm.ANALYSE_MONEY))
                break
    elif page in ("referrals", "summary"):
        built = _latest(s, ReferralPackage.created_at, ReferralPackage.case_id, cid)
        attributed = _latest(s, AttributionRun.started_at, AttributionRun.case_id, cid)
        for since, upstream in (("the last attribution run", attributed), ("the last linking run", link)):
            if built is not None and _newer(built, upstream):
                assert upstream is not None
                what = "The newest referral package" if page == "referrals" else "This summary's packages"
                out.append(Stale(what, since, built, upstream, "Build packages again", "referrals", None, Perm.REFER))
                break
    return out
