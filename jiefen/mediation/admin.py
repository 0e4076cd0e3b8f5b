from django import forms
from django.contrib import admin

from jiefen.cases.models import ProductType

from .models import (
    Agreement,
    ClauseTemplate,
    Instalment,
    MediatorProfile,
    Qualification,
    SubsidyRule,
    TrainingRecord,
    WaiverPolicy,
)


class MediatorProfileForm(forms.ModelForm):
    qualifications = forms.MultipleChoiceField(
        label="专业资质", choices=Qualification.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    specialties = forms.MultipleChoiceField(
        label="擅长案件类型", choices=ProductType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = MediatorProfile
        fields = [
            "user",
            "organisation",
            "title",
            "qualifications",
            "qualification_note",
            "specialties",
            "region_code",
            "max_caseload",
            "available",
            "conflicts",
            "conflicts_declared_at",
            "invited_on",
        ]


class TrainingInline(admin.TabularInline):
    model = TrainingRecord
    extra = 0


@admin.register(MediatorProfile)
class MediatorProfileAdmin(admin.ModelAdmin):
    form = MediatorProfileForm
    list_display = ["user", "organisation", "title", "region_code", "max_caseload", "available"]
    list_filter = ["available", "organisation"]
    filter_horizontal = ["conflicts"]
    inlines = [TrainingInline]


@admin.register(WaiverPolicy)
class WaiverPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "lump_penalty_pct",
        "lump_compound_pct",
        "inst_penalty_pct",
        "inst_compound_pct",
        "grace_days",
        "updated_at",
    ]


@admin.register(ClauseTemplate)
class ClauseTemplateAdmin(admin.ModelAdmin):
    list_display = ["key", "updated_at"]


@admin.register(SubsidyRule)
class SubsidyRuleAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "per_case", "per_success", "per_session", "note"]


class InstalmentInline(admin.TabularInline):
    model = Instalment
    extra = 0
    can_delete = False
    readonly_fields = ["seq", "due_on", "amount", "paid", "paid_on", "reminded_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    """Read-only: agreements change only through the services, which keep the ledger."""

    list_display = ["number", "case", "kind", "state", "total", "effective_at"]
    list_filter = ["state", "kind"]
    search_fields = ["number"]
    inlines = [InstalmentInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
