"""Attribution weights: documented defaults in ``weights.yaml``, overridden by a user's YAML.

The weights used are stored with every run, so a ranking can be explained and reproduced.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasman.core.errors import InputError, reason


class SignalWeight(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    weight: float = Field(ge=0)
    city_only_factor: float = Field(default=0.5, ge=0, le=1)
    national_format_factor: float = Field(default=0.5, ge=0, le=1)
    voip_factor: float = Field(default=0.3, ge=0, le=1)
    city_factor: float = Field(default=0.7, ge=0, le=1)
    provider_factor: float = Field(default=0.5, ge=0, le=1)
    generic_tlds: tuple[str, ...] = ()
    corroborating_only: bool = False  # counts only for countries other evidence points to


class Weights(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: int = 1
    repeat_decay: float = Field(default=0.5, ge=0, le=1)
    saturation: float = Field(default=3.0, gt=0)
    conflict_ratio: float = Field(default=0.5, ge=0, le=1)
    signals: dict[str, SignalWeight]

    def of(self, signal: str) -> SignalWeight:
        return self.signals.get(signal) or SignalWeight(weight=0.0)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


@cache
def _default_data() -> dict[str, Any]:
    text = (resources.files("tasman.attribute") / "weights.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def default_weights() -> Weights:
    return Weights.model_validate(_default_data())


def load_weights(path: Path | None) -> Weights:
    """The defaults, with the keys of ``path`` (if given) overriding them."""
    if path is None:
        return default_weights()
    try:
        over = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read weights file {str(path)!r}: {reason(exc)}") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"weights file {str(path)!r} is not valid YAML: {reason(exc)}") from exc
    if not isinstance(over, dict):
        raise InputError(f"weights file {str(path)!r} must hold a mapping")
    from tasman.attribute.signals import SIGNALS

    unknown = sorted(set(over.get("signals") or {}) - set(SIGNALS))
    if unknown:
        raise InputError(f"weights file {str(path)!r}: unknown signal {unknown[0]!r} (known: {', '.join(SIGNALS)})")
    try:
        return Weights.model_validate(_merge(_default_data(), over))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InputError(f"weights file {str(path)!r}: {where}: {err['msg']}") from exc
