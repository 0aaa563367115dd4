"""Accounts, case membership, API tokens and browser sessions: the library both the CLI
(``tasman user ...``) and the web app call.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile).
Tokens and session ids are 256-bit random strings stored only as SHA-256 digests. A token has
scopes (read, write, review) limiting its account's role, expires (90 days unless asked otherwise,
at most 365), can be revoked alone, and is issued only by its owner (a partner system's by an
admin); a password change revokes every token of the account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tasman.accounts.models import ApiToken, Membership, User, WebSession
from tasman.accounts.roles import Perm, allowed, parse_role
from tasman.core import audit
from tasman.core.errors import AlreadyExistsError, InputError, NotFoundError, PermissionDeniedError
from tasman.core.models import Case
from tasman.core.timeutil import utcnow
from tasman.evidence.cases import get_case

TOKEN_PREFIX = "tsm_"
MIN_PASSWORD = 12
SESSION_HOURS = 8
_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password too short: at least {MIN_PASSWORD} characters")


def create_user(session: Session, actor: str, name: str, role: str, password: str | None = None,
                *, system: bool = False) -> User:
    name = name.strip()
    if not name or len(name) > 120 or any(c.isspace() for c in name):
        raise InputError(f"user name {name!r} must be 1-120 characters without spaces")
    try:
        parse_role(role)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise AlreadyExistsError(f"user {name!r} already exists")
    if password is not None:
        check_password_rules(password)
    user = User(name=name, role=role, system=system, created_by=actor,
                password_hash=_hasher.hash(password) if password is not None else None)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.add", target=name, role=role, system=system)
    return user


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError(f"no user {name!r}: see 'tasman user list'")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def set_password(session: Session, actor: str, name: str, password: str, *,
                 keep: WebSession | None = None) -> None:
    """Set NAME's password: every API token of the account is revoked and every browser session
    ends, except ``keep`` (the session of the person changing their own password)."""
    user = get_user(session, name)        # an unknown account is the first thing to say
    check_password_rules(password)
    user.password_hash = _hasher.hash(password)
    ended = delete(WebSession).where(WebSession.user_id == user.id)
    if keep is not None:
        ended = ended.where(WebSession.id != keep.id)
    session.execute(ended)                # signed out everywhere else
    revoked = _revoke_all(session, actor, user)
    audit.record(session, actor, "user.password", target=name, tokens_revoked=revoked)


class WrongPassword(PermissionDeniedError):
    """The current password given to change it was wrong."""


def change_own_password(session: Session, user: User, current: str, new: str, keep: WebSession | None) -> None:
    """A signed-in person changes their password, giving the current one first."""
    if authenticate(session, user.name, current) is None:
        raise WrongPassword("the current password is wrong")
    set_password(session, user.name, user.name, new, keep=keep)


def set_active(session: Session, actor: str, name: str, active: bool) -> None:
    user = get_user(session, name)
    user.active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    audit.record(session, actor, "user.enable" if active else "user.disable", target=name)


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user if the password is right and the account active; the failure is audited by the caller."""
    user = session.scalar(select(User).where(User.name == name))
    hashed = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active or user.password_hash is None:
        return None
    if _hasher.check_needs_rehash(hashed):
        user.password_hash = _hasher.hash(password)
    return user


# ---- membership -------------------------------------------------------------------------------

def add_member(session: Session, actor: str, case_ref: str, name: str) -> Membership:
    case, user = get_case(session, case_ref), get_user(session, name)
    found = session.scalar(select(Membership).where(Membership.case_id == case.id, Membership.user_id == user.id))
    if found is not None:
        return found
    m = Membership(case_id=case.id, user_id=user.id, added_by=actor)
    session.add(m)
    session.flush()
    audit.record(session, actor, "case.member.add", case_ref=case_ref, target=name)
    return m


def remove_member(session: Session, actor: str, case_ref: str, name: str) -> None:
    case, user = get_case(session, case_ref), get_user(session, name)
    gone = session.execute(delete(Membership).where(Membership.case_id == case.id, Membership.user_id == user.id))
    if not gone.rowcount:  # type: ignore[attr-defined]
        raise NotFoundError(f"{name!r} is not a member of case {case_ref!r}")
    audit.record(session, actor, "case.member.remove", case_ref=case_ref, target=name)


def is_member(session: Session, user: User, case: Case) -> bool:
    return session.scalar(select(Membership.id).where(
        Membership.case_id == case.id, Membership.user_id == user.id)) is not None


def member_cases(session: Session, user: User) -> list[Case]:
    return list(session.scalars(select(Case).join(Membership, Membership.case_id == Case.id)
                                .where(Membership.user_id == user.id).order_by(Case.ref)))


def case_members(session: Session, case: Case) -> list[User]:
    return list(session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                                .where(Membership.case_id == case.id).order_by(User.name)))


# ---- API tokens ---------------------------------------------------------------------------------

SCOPES = ("read", "write", "review")    # GET/HEAD; any other method; an examiner's decision on a match
DEFAULT_SCOPES = ("read",)
TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 365


@dataclass(frozen=True)
class IssuedToken:
    token: str          # shown once, never stored
    record: ApiToken


def parse_scopes(values: Iterable[str]) -> tuple[str, ...]:
    """The scopes named (commas or spaces between them), in their canonical order; an unknown one is refused."""
    given = {v for value in values for v in value.replace(",", " ").split()}
    unknown = sorted(given - set(SCOPES))
    if unknown:
        raise InputError(f"unknown token scope {unknown[0][:40]!r}: use {', '.join(SCOPES)}")
    if not given:
        raise InputError(f"a token needs at least one scope: {', '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in given)


def issue_token(session: Session, actor: str, name: str, label: str = "", *,
                scopes: Iterable[str] = DEFAULT_SCOPES, days: int = TOKEN_DAYS,
                issuer: User | None = None, password: str | None = None) -> IssuedToken:
    """A new token for account NAME, valid for ``days`` (1 to 365) with the given scopes.

    A person's token is issued only by that person: signed in (``issuer`` is the account itself)
    or proving it with the account's ``password`` (the CLI). Nobody mints a token to act as
    someone else, an admin included. A partner system's account (no password) gets its tokens
    from an admin (``issuer``) or from the workspace's operator (the CLI: no ``issuer``), never
    with the review scope: confirming a match is a person's judgement.
    """
    user = get_user(session, name)
    wanted = parse_scopes(scopes)
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InputError(f"a token lasts 1 to {MAX_TOKEN_DAYS} days, not {days}")
    label = label.strip()
    if len(label) > 120:
        raise InputError("a token's label is at most 120 characters")
    if not user.active:
        raise InputError(f"account {name!r} is disabled")
    if user.system:
        if issuer is not None and not allowed(issuer.role, Perm.MANAGE_USERS):
            raise PermissionDeniedError("only an admin issues a partner system's tokens")
        if "review" in wanted:
            raise InputError("a partner system's token cannot have the review scope")
    elif not ((issuer is not None and issuer.id == user.id)
              or (issuer is None and password is not None and authenticate(session, name, password) is not None)):
        raise PermissionDeniedError(f"a token for {name!r} is issued only by {name} (signed in, or with the "
                                    "account's password); an admin may disable the account or revoke its tokens")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tok = ApiToken(user_id=user.id, label=label, prefix=raw[:10], token_hash=digest(raw), scopes=" ".join(wanted),
                   expires_at=utcnow() + timedelta(days=days))
    session.add(tok)
    session.flush()
    audit.record(session, actor, "user.token.issue", target=name, token_id=tok.id, label=label,
                 scopes=list(wanted), days=days)
    return IssuedToken(raw, tok)


def list_tokens(session: Session, name: str) -> list[ApiToken]:
    """Account NAME's tokens, newest first (digests only: the tokens themselves are never kept)."""
    user = get_user(session, name)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id.desc())))


def token_status(tok: ApiToken) -> str:
    """``active``, ``expired`` or ``revoked``."""
    if tok.revoked:
        return "revoked"
    return "expired" if tok.expires_at <= utcnow() else "active"


def revoke_token(session: Session, actor: str, token_id: int, *, owner: User | None = None) -> ApiToken:
    """Revoke one token. With ``owner`` (a user revoking their own) another account's token is
    'not found', as if it did not exist; without it (an admin, the CLI) any token."""
    tok = session.get(ApiToken, token_id)
    if tok is None or (owner is not None and tok.user_id != owner.id):
        raise NotFoundError(f"no API token {token_id}")
    if not tok.revoked:
        tok.revoked, tok.revoked_at, tok.revoked_by = True, utcnow(), actor
        user = session.get(User, tok.user_id)
        audit.record(session, actor, "user.token.revoke", target=user.name if user else "", token_id=token_id)
    return tok


def _revoke_all(session: Session, actor: str, user: User) -> int:
    gone = session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
                           .values(revoked=True, revoked_at=utcnow(), revoked_by=actor))
    return int(gone.rowcount)  # type: ignore[attr-defined]


def token_user(session: Session, raw: str) -> tuple[User, ApiToken] | None:
    """The account and token a bearer token stands for, if it is known, unrevoked, unexpired and
    its account active."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    tok = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    if tok is None or token_status(tok) != "active":
        return None
    user = session.get(User, tok.user_id)
    if user is None or not user.active:
        return None
    tok.last_used_at = utcnow()
    return user, tok


def user_for_token(session: Session, raw: str) -> User | None:
    found = token_user(session, raw)
    return found[0] if found else None


# ---- browser sessions -----------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenedSession:
    cookie: str
    csrf_token: str


def open_session(session: Session, user: User) -> OpenedSession:
    raw, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(WebSession(user_id=user.id, token_hash=digest(raw), csrf_token=csrf,
                           expires_at=utcnow() + timedelta(hours=SESSION_HOURS)))
    session.flush()
    return OpenedSession(raw, csrf)


def lookup_session(session: Session, raw: str) -> tuple[User, WebSession] | None:
    ws = session.scalar(select(WebSession).where(WebSession.token_hash == digest(raw)))
    if ws is None:
        return None
    if ws.expires_at <= utcnow():
        session.delete(ws)
        return None
    user = session.get(User, ws.user_id)
    if user is None or not user.active:
        return None
    return user, ws


def close_session(session: Session, raw: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == digest(raw)))


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def open_case(session: Session, user: User, ref: str, title: str = "") -> Case:
    """Create a case from the web app or API: its creator becomes its first member."""
    from tasman.evidence.cases import create_case

    case = create_case(session, user.name, ref, title)
    add_member(session, user.name, ref, user.name)
    return case
