from django.contrib import admin

from .models import (
    AssetInquiry,
    ConfirmationApplication,
    EnforcementCase,
    LitigationTransfer,
    ServiceAddress,
    ServiceDelivery,
    SmallClaimsThreshold,
)


@admin.register(SmallClaimsThreshold)
class SmallClaimsThresholdAdmin(admin.ModelAdmin):
    """The centre keeps this table: each province's previous-year average wage, per year."""

    list_display = [
        "province_name",
        "year",
        "wage_year",
        "average_wage",
        "ratio_pct",
        "threshold",
        "verified",
        "source",
    ]
    list_filter = ["province_name", "verified"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by the services, which keep the case log and the evidence ledger."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConfirmationApplication)
class ConfirmationAdmin(ReadOnlyAdmin):
    list_display = ["case", "route", "institution", "state", "apply_due", "ruling_number"]
    list_filter = ["route", "state"]


@admin.register(LitigationTransfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["case", "route", "institution", "state", "small_claims", "filing_number", "sent_at"]
    list_filter = ["route", "state", "small_claims"]


@admin.register(EnforcementCase)
class EnforcementAdmin(ReadOnlyAdmin):
    list_display = ["case", "court", "basis", "state", "amount_sought", "amount_enforced", "apply_due"]
    list_filter = ["state", "basis"]


@admin.register(AssetInquiry)
class AssetInquiryAdmin(ReadOnlyAdmin):
    list_display = ["enforcement", "kind", "state", "request_ref", "requested_at"]


@admin.register(ServiceDelivery)
class ServiceDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["case", "title", "phone_masked", "sent_at", "opened_at", "acknowledged_at"]


@admin.register(ServiceAddress)
class ServiceAddressAdmin(ReadOnlyAdmin):
    list_display = ["party", "phone_masked", "confirmed_at"]
