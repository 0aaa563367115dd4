"""The Tasman tip format: a JSON document modelled on the CyberTipline report.

The element names follow the CyberTipline reporting XML (``personOrUserReported``,
``ipCaptureEvent``, ``estimatedLocation``...) in snake case, so a report received as XML and
one written by a hotline or a public form land in the same fields. The JSON Schema is
``Tip.model_json_schema()`` (docs/records.md shows an example).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)


class Reporter(_Model):
    type: str = ""          # esp | public | hotline | ngo | law_enforcement
    name: str = ""


class Incident(_Model):
    type: str = ""
    date_time: str | None = None
    platform: str = ""
    description: str = ""
    urls: list[str] = Field(default_factory=list)


class IpCaptureEvent(_Model):
    ip_address: str
    event_name: str = ""    # Login, Registration, Upload...
    date_time: str | None = None
    possible_proxy: bool | None = None


class Location(_Model):
    city: str = ""
    region: str = ""
    country_code: str = ""


class Address(_Model):
    street: str = ""
    city: str = ""
    postcode: str = ""
    region: str = ""
    country: str = ""


class Account(_Model):
    platform: str = ""
    screen_name: str = ""
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)


class PersonOrUserReported(_Model):
    name: str = ""
    first_name: str = ""
    last_name: str = ""
    dob: str | None = None
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    screen_name: str = ""
    display_names: list[str] = Field(default_factory=list)
    esp_service: str = ""   # the platform the screen name belongs to
    esp_identifier: str = ""
    profile_urls: list[str] = Field(default_factory=list)
    associated_accounts: list[Account] = Field(default_factory=list)
    ip_capture_events: list[IpCaptureEvent] = Field(default_factory=list)
    estimated_location: Location | None = None
    addresses: list[Address] = Field(default_factory=list)


class FileDetails(_Model):
    file_name: str = ""
    md5: str = ""
    sha1: str = ""
    sha256: str = ""
    viewed_by_esp: bool | None = None
    publicly_available: bool | None = None


class Tip(_Model):
    report_id: str = ""
    received_at: str | None = None
    reporter: Reporter = Field(default_factory=Reporter)
    incident: Incident = Field(default_factory=Incident)
    person_or_user_reported: PersonOrUserReported = Field(default_factory=PersonOrUserReported)
    files: list[FileDetails] = Field(default_factory=list)
