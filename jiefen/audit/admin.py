from django.contrib import admin

from .models import RevealLog


@admin.register(RevealLog)
class RevealLogAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "party", "field", "reason", "ip"]
    list_filter = ["field"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
