from django.urls import path

from . import views

urlpatterns = [
    path("", views.ledger_view, name="evidence_ledger"),
    path("files/<int:evidence_id>/", views.evidence_download, name="evidence_download"),
    path("p/verify/", views.verify_view, name="evidence_verify"),
]
