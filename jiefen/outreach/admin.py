from django.contrib import admin

from .models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "masked_to", "purpose", "status", "backend", "institution"]
    list_filter = ["purpose", "status", "backend"]
    exclude = ["to"]
    readonly_fields = [
        "masked_to",
        "to_hash",
        "text",
        "purpose",
        "institution",
        "subject",
        "status",
        "backend",
        "provider_id",
        "error",
        "actor",
        "sent_at",
    ]

    def has_add_permission(self, request):
        return False
