from django.contrib import admin

from .models import StoredDocument


@admin.register(StoredDocument)
class StoredDocumentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "subject", "filename", "size", "sha256"]
    list_filter = ["kind"]
    search_fields = ["subject", "sha256"]
