from django.contrib import admin

from .models import OutboundMessage, SmsOptOut, SmsTemplate


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


@admin.register(SmsTemplate)
class SmsTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "audience", "active", "aliyun_template_code", "tencent_template_id"]
    list_filter = ["audience", "active"]

    def has_add_permission(self, request):
        # Templates are checked (variables, third-party disclosure) by sms_template_save at /disposal/outbox/.
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SmsOptOut)
class SmsOptOutAdmin(admin.ModelAdmin):
    list_display = ["masked", "source", "reason", "at"]
    exclude = ["number_hash"]
    readonly_fields = ["masked", "source", "reason", "actor", "at"]

    def has_add_permission(self, request):
        return False
