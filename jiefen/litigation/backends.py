"""Asset inquiries (网络查控) behind one small interface.

The courts' online inquiry system (bank deposits, real estate, vehicles, securities) is outside the
platform. A backend submits the request and may answer at once; the default `OfflineAssetInquiry`
only registers the request, and the enforcement judge records the answer when it comes back.
Adapters subclass AssetInquiryBackend and are named in JIEFEN_ASSET_INQUIRY_BACKEND.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass
class InquiryAnswer:
    ref: str
    answered: bool = False
    summary: str = ""
    amount_found: Decimal | None = None
    failed: bool = False


class AssetInquiryBackend:
    name = "base"

    def submit(self, inquiry) -> InquiryAnswer:  # pragma: no cover - interface
        raise NotImplementedError


class OfflineAssetInquiry(AssetInquiryBackend):
    name = "offline"

    def submit(self, inquiry) -> InquiryAnswer:
        return InquiryAnswer(ref="LOCAL-" + uuid.uuid4().hex[:10].upper())


def asset_backend() -> AssetInquiryBackend:
    return import_string(
        getattr(settings, "JIEFEN_ASSET_INQUIRY_BACKEND", "jiefen.litigation.backends.OfflineAssetInquiry")
    )()
