"""Roles and what each may do. Case data needs a membership on top of the role, whatever the role."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"          # accounts, memberships, and everything an examiner/analyst/liaison does
    EXAMINER = "examiner"    # evidence, triage and extraction; the blurred review thumbnail; confirms/declines matches
    ANALYST = "analyst"      # tips queue, records, extraction, linking, subjects (confirm/split/merge), money
    LIAISON = "liaison"      # attribution, referral packages, outcomes
    AUDITOR = "auditor"      # reads everything of the cases they belong to, changes nothing


class Perm(StrEnum):
    MANAGE_USERS = "manage_users"
    CREATE_CASE = "create_case"
    MANAGE_MEMBERS = "manage_members"
    ADD_EVIDENCE = "add_evidence"
    RUN_TRIAGE = "run_triage"
    REVIEW_THUMBNAIL = "review_thumbnail"
    TIPS = "tips"
    IMPORT_RECORDS = "import_records"
    RUN_EXTRACT = "run_extract"
    DECIDE_SUBJECTS = "decide_subjects"
    RUN_LINK = "run_link"
    ANALYSE_MONEY = "analyse_money"
    ATTRIBUTE = "attribute"
    REFER = "refer"
    READ_AUDIT = "read_audit"


_ALL = set(Perm)
PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(_ALL - {Perm.REVIEW_THUMBNAIL}),
    Role.EXAMINER: frozenset({Perm.CREATE_CASE, Perm.ADD_EVIDENCE, Perm.RUN_TRIAGE, Perm.RUN_EXTRACT,
                              Perm.REVIEW_THUMBNAIL}),
    Role.ANALYST: frozenset({Perm.TIPS, Perm.IMPORT_RECORDS, Perm.RUN_EXTRACT, Perm.DECIDE_SUBJECTS, Perm.RUN_LINK,
                             Perm.ANALYSE_MONEY, Perm.ATTRIBUTE}),
    Role.LIAISON: frozenset({Perm.ATTRIBUTE, Perm.REFER}),
    Role.AUDITOR: frozenset({Perm.READ_AUDIT}),
}


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValueError(f"unknown role {value!r}: use one of {', '.join(r.value for r in Role)}") from None


def allowed(role: str, perm: Perm) -> bool:
    return perm in PERMISSIONS.get(Role(role), frozenset())
