from django.contrib import admin

from .models import Datacube, DatacubeEvent, RefreshState, Report, Schedule


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "every", "enabled", "next_run_at", "last_run_at", "runs"]
    list_editable = ["enabled"]
    readonly_fields = ["key", "title", "every", "task_path", "last_run_at", "last_task_id", "runs"]


@admin.register(RefreshState)
class RefreshStateAdmin(admin.ModelAdmin):
    list_display = ["as_of", "built_at", "seconds", "generation", "running_since", "runs"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "institution", "period_start", "data_as_of", "trigger", "created_at"]
    list_filter = ["kind", "trigger"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DatacubeEventInline(admin.TabularInline):
    model = DatacubeEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "actor_label", "reason", "at"]
    exclude = ["actor"]


@admin.register(Datacube)
class DatacubeAdmin(admin.ModelAdmin):
    """Read-only: the review goes through the state machine (/stats/datacubes/), never the admin."""

    list_display = ["institution", "period_start", "period_end", "status", "review_due", "published_at"]
    list_filter = ["status"]
    inlines = [DatacubeEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
