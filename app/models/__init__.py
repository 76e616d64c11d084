"""All models, imported here so metadata (and Alembic) sees every table."""

from app.models.accounts import Agency, AgencyServes, RefreshToken, User
from app.models.base import Base
from app.models.catalog import FormVersion, Holiday, Procedure
from app.models.dossiers import Dossier, DossierEvent, DossierVersion, ReceiptCounter
from app.models.faults import MutationFault
from app.models.notifications import Notification
from app.models.payments import FeeReceipt, Payment, PaymentNotice, Refund
from app.models.push import PushAttempt, PushDelivery, PushSubscription
from app.models.quality import (
    QualityFact,
    QualityRollup,
    Rating,
    TelemetryDevice,
    TelemetryDrop,
    TelemetryEvent,
)
from app.models.signed import DeviceKey, IssuedDocument, ShareLink, SubmissionSignature
from app.models.sync import Change, ClientState, ClientWrite, ConflictRecord, MutationResult
from app.models.throttle import ThrottleCounter
from app.models.uploads import DocumentLink, Upload
from app.models.verification import PhoneCode, SmsMessage
from app.models.warehouse import AccessLogEntry, ProfileField, SubmissionStats, WarehouseRecord

__all__ = [
    "SubmissionSignature",
    "ShareLink",
    "IssuedDocument",
    "DeviceKey",
    "AccessLogEntry",
    "Agency",
    "AgencyServes",
    "Base",
    "Change",
    "ClientState",
    "ClientWrite",
    "ConflictRecord",
    "DocumentLink",
    "Dossier",
    "DossierEvent",
    "DossierVersion",
    "FeeReceipt",
    "FormVersion",
    "Holiday",
    "MutationFault",
    "MutationResult",
    "Notification",
    "Payment",
    "PaymentNotice",
    "PhoneCode",
    "Procedure",
    "ProfileField",
    "PushAttempt",
    "PushDelivery",
    "PushSubscription",
    "QualityFact",
    "QualityRollup",
    "Rating",
    "ReceiptCounter",
    "RefreshToken",
    "Refund",
    "SmsMessage",
    "SubmissionStats",
    "TelemetryDevice",
    "TelemetryDrop",
    "TelemetryEvent",
    "ThrottleCounter",
    "Upload",
    "User",
    "WarehouseRecord",
]
