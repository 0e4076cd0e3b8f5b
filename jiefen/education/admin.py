from django.contrib import admin

from .models import Choice, Question, QuestionBank, Quiz


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "bank", "kind", "position", "is_active"]
    list_filter = ["bank", "kind", "is_active"]
    inlines = [ChoiceInline]


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["position", "kind", "text", "is_active"]
    show_change_link = True


@admin.register(QuestionBank)
class QuestionBankAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "created_at"]
    inlines = [QuestionInline]


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    """Quizzes are set up here; opening, closing and the prize draw happen on the staff page."""

    list_display = ["title", "state", "starts_at", "ends_at", "bank", "prize_count"]
    list_filter = ["state"]
    prepopulated_fields = {"slug": ["title"]}
    exclude = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
