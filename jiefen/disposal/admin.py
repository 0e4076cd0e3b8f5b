from django.contrib import admin

from .models import ColumnMapping, ImportJob, RecoveryBatch, TriageLog, TriageRule


@admin.register(TriageRule)
class TriageRuleAdmin(admin.ModelAdmin):
    list_display = ["order", "kind", "product_type", "threshold", "min_creditors", "active", "updated_at"]
    list_filter = ["kind", "active"]
    readonly_fields = ["updated_by", "updated_at"]

    def has_add_permission(self, request):
        # Rules are edited at /disposal/rules/, where each change is logged and can be re-run.
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "institution",
        "filename",
        "status",
        "rows",
        "created",
        "updated",
        "rejected",
    ]
    list_filter = ["status", "source"]
    exclude = ["path"]
    readonly_fields = [f.name for f in ImportJob._meta.fields if f.name != "path"]

    def has_add_permission(self, request):
        return False


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = ["institution", "header", "field", "updated_at"]
    list_filter = ["institution"]


@admin.register(RecoveryBatch)
class RecoveryBatchAdmin(admin.ModelAdmin):
    list_display = ["number", "institution", "status", "found", "not_found", "numbers_added", "created_at"]
    readonly_fields = [f.name for f in RecoveryBatch._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(TriageLog)
class TriageLogAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "actor"]
    readonly_fields = ["at", "action", "actor", "data"]

    def has_add_permission(self, request):
        return False
