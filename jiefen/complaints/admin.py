from django.contrib import admin

from .models import Complaint, ComplaintChannel, ComplaintEvent


class EventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "action", "from_status", "to_status", "actor_label", "reason", "due_on"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Read-only: complaints change only through the services, which log who and why."""

    list_display = ["number", "institution", "branch", "category", "status", "due_at", "received_at"]
    list_filter = ["status", "category", "institution"]
    search_fields = ["number"]
    exclude = ["phone", "phone_hash"]
    inlines = [EventInline]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in {"phone", "phone_hash"}]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ComplaintChannel)
class ComplaintChannelAdmin(admin.ModelAdmin):
    list_display = ["__str__", "institution", "branch", "is_active", "created_at"]
    list_filter = ["is_active", "institution"]
    readonly_fields = ["token", "institution", "branch"]
    fields = ["institution", "branch", "token", "is_active"]

    def has_add_permission(self, request):
        return False
