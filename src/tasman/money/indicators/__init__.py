"""Every indicator, by stable name. Adding one means adding a module and a line here."""

from __future__ import annotations

from tasman.money.indicators.base import BENEFICIARY, SENDER, Context, Hit, Indicator, Profile
from tasman.money.indicators.benign_references import BenignReferences
from tasman.money.indicators.capture_or_travel import CaptureOrTravelPurchases, SendersBuyCaptureOrTravel
from tasman.money.indicators.night_transfers import NightTransfers
from tasman.money.indicators.paid_by_several_subjects import PaidBySeveralSubjects
from tasman.money.indicators.pays_alerted_beneficiary import PaysAlertedBeneficiary
from tasman.money.indicators.regular_remittance import RegularRemittance
from tasman.money.indicators.round_amounts import RoundAmounts
from tasman.money.indicators.several_risk_beneficiaries import SeveralRiskBeneficiaries
from tasman.money.indicators.several_unrelated_senders import SeveralUnrelatedSenders
from tasman.money.indicators.small_frequent_corridor import SmallFrequentCorridor
from tasman.money.indicators.timed_with_chats import TimedWithChats

ALL: tuple[Indicator, ...] = (
    SmallFrequentCorridor(), SeveralUnrelatedSenders(), PaidBySeveralSubjects(), SeveralRiskBeneficiaries(),
    NightTransfers(), TimedWithChats(), BenignReferences(), RoundAmounts(), CaptureOrTravelPurchases(),
    SendersBuyCaptureOrTravel(), PaysAlertedBeneficiary(), RegularRemittance(),
)
BY_NAME = {i.name: i for i in ALL}

__all__ = ["ALL", "BENEFICIARY", "BY_NAME", "SENDER", "Context", "Hit", "Indicator", "Profile"]
