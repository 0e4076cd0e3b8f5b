from django import forms

from .models import Material, TypicalCase


class MaterialForm(forms.ModelForm):
    class Meta:
        model = Material
        fields = ["title", "slug", "kind", "topic", "audience", "summary", "body", "link", "source"]
        widgets = {"body": forms.Textarea(attrs={"rows": 18}), "summary": forms.TextInput()}


class TypicalCaseForm(forms.ModelForm):
    class Meta:
        model = TypicalCase
        fields = ["title", "slug", "kind", "region", "year", "facts", "handling", "lesson", "basis"]
        widgets = {
            "facts": forms.Textarea(attrs={"rows": 6}),
            "handling": forms.Textarea(attrs={"rows": 6}),
            "lesson": forms.Textarea(attrs={"rows": 4}),
        }
