"""Read-only views of the station's rows for the centre's administrators: every change goes through
the services (which log who and why), so the admin only shows."""

from django.contrib import admin

from .models import Application, CounselingTask, CreditDispute, Escalation, ReliefMeasure, ReportingTask


class ReadOnly(admin.ModelAdmin):
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnly):
    list_display = ["number", "kind", "status", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["number"]
    exclude = ["phone", "phone_hash"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in {"phone", "phone_hash"}]


@admin.register(CreditDispute)
class DisputeAdmin(ReadOnly):
    list_display = ["application", "institution", "status", "received_at", "due_on", "outcome"]
    list_filter = ["status", "outcome", "institution"]


@admin.register(ReliefMeasure)
class MeasureAdmin(ReadOnly):
    list_display = ["name", "institution", "product_line", "kind", "max_months", "is_active"]
    list_filter = ["product_line", "kind", "institution", "is_active"]
    search_fields = ["name"]


@admin.register(ReportingTask)
class ReportingTaskAdmin(ReadOnly):
    list_display = ["institution", "seq", "of_total", "payment_due_on", "update_due_on", "status"]
    list_filter = ["status", "institution"]
    exclude = ["phone", "phone_hash"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in {"phone", "phone_hash"}]


@admin.register(CounselingTask)
class CounselingAdmin(ReadOnly):
    list_display = ["institution", "borrower_name", "first_overdue_on", "status", "outcome", "still_current"]
    list_filter = ["status", "outcome", "institution"]
    exclude = ["phone", "phone_hash", "id_number", "id_hash"]

    def get_readonly_fields(self, request, obj=None):
        hidden = {"phone", "phone_hash", "id_number", "id_hash"}
        return [f.name for f in self.model._meta.fields if f.name not in hidden]


@admin.register(Escalation)
class EscalationAdmin(ReadOnly):
    list_display = ["title", "level", "institution", "due_on", "at", "resolved_at"]
    list_filter = ["level", "institution"]
