from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from jiefen.orgs.models import Membership

from .models import ApiToken, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = [*BaseUserAdmin.fieldsets, ("解纷", {"fields": ["display_name"]})]
    list_display = ["username", "display_name", "is_active", "is_staff", "last_login"]
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
