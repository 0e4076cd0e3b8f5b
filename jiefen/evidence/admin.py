from django.contrib import admin

from .models import EvidenceFile, LedgerEntry, MerkleRoot


class ReadOnly(admin.ModelAdmin):
    """The ledger is written only by services; the admin shows it and can change nothing."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnly):
    list_display = ["seq", "at", "kind", "subject", "actor_label", "content_hash"]
    list_filter = ["kind"]
    search_fields = ["subject", "content_hash", "entry_hash"]
    show_full_result_count = False


@admin.register(MerkleRoot)
class MerkleRootAdmin(ReadOnly):
    list_display = ["day", "first_seq", "last_seq", "count", "root", "anchor_backend", "anchored_at"]


@admin.register(EvidenceFile)
class EvidenceFileAdmin(ReadOnly):
    list_display = ["created_at", "case", "filename", "side", "size", "sha256"]
    list_filter = ["side"]
    search_fields = ["sha256", "filename"]
