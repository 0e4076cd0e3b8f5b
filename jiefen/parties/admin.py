from django.contrib import admin

from .models import Party


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    """Shows masked identifiers only: full values are revealed, with a reason, on the case page."""

    list_display = ["name", "kind", "masked_id", "owner", "created_at"]
    list_filter = ["kind", "owner"]
    search_fields = ["name"]
    exclude = ["id_number"]
    readonly_fields = ["masked_id"]

    def has_add_permission(self, request):
        return False
