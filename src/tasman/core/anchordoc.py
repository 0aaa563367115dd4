"""The signed anchor document (``tasman.core.anchor``), apart so that pydantic is imported only
when an anchor is made, read or checked, not by every command that opens a workspace."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tasman.core import audit


class AnchorDoc(BaseModel):
    """One anchor, as stored and as written to a file; ``signature`` covers every other field."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: Literal["tasman.audit-anchor"] = "tasman.audit-anchor"
    version: Literal[1] = 1
    log_id: str = Field(pattern=r"^([0-9a-f]{64})?$", description="hash of entry 1: names the log")
    seq: int = Field(ge=0, description="the anchored (head) entry")
    count: int = Field(ge=0, description="entries in the chain when anchored")
    head: str = Field(pattern=r"^[0-9a-f]{64}$")
    ts: str = Field(max_length=32)
    reason: str = Field(max_length=80)
    fingerprint: str = Field(max_length=80)
    public_key: str = Field(max_length=64)
    signature: str = Field(default="", max_length=128)

    @model_validator(mode="after")
    def _count_is_seq(self) -> AnchorDoc:
        if self.count != self.seq:
            raise ValueError(f"count {self.count} is not the head entry's number {self.seq}")
        return self

    def payload(self) -> bytes:
        """The signed bytes: canonical JSON of every field but the signature."""
        return audit.canonical(self.model_dump(exclude={"signature"})).encode("utf-8")
