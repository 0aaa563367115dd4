"""Detectors, one module per family of identifiers; :data:`ALL` is what a scan runs."""

from __future__ import annotations

from tasman.extract.detectors.base import Buffer, Detector, Found
from tasman.extract.detectors.email import EmailDetector
from tasman.extract.detectors.handles import HandleDetector
from tasman.extract.detectors.network import IpDetector
from tasman.extract.detectors.payments import CardDetector, CryptoDetector, IbanDetector, TransferDetector
from tasman.extract.detectors.phone import PhoneDetector
from tasman.extract.detectors.places import PlaceDetector
from tasman.extract.detectors.url import UrlDetector

ALL: tuple[type[Detector], ...] = (
    EmailDetector, UrlDetector, IpDetector, PhoneDetector, IbanDetector, CardDetector, CryptoDetector,
    TransferDetector, HandleDetector, PlaceDetector,
)

__all__ = ["ALL", "Buffer", "CardDetector", "CryptoDetector", "Detector", "EmailDetector", "Found", "HandleDetector",
           "IbanDetector", "IpDetector", "PhoneDetector", "PlaceDetector", "TransferDetector", "UrlDetector"]
