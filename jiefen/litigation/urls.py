from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="litigation_home"),
    path("thresholds/", views.thresholds_view, name="litigation_thresholds"),
    path("cases/<int:case_id>/confirmation/", views.confirmation_new, name="litigation_confirmation_new"),
    path("cases/<int:case_id>/transfer/", views.transfer_new, name="litigation_transfer_new"),
    path("cases/<int:case_id>/enforcement/", views.enforcement_new, name="litigation_enforcement_new"),
    path("confirmations/<int:pk>/", views.confirmation_view, name="litigation_confirmation"),
    path(
        "confirmations/<int:pk>/ruling/",
        views.confirmation_document,
        {"what": "ruling"},
        name="litigation_ruling",
    ),
    path(
        "confirmations/<int:pk>/application.<str:fmt>",
        views.confirmation_document,
        {"what": "application"},
        name="litigation_application_document",
    ),
    path(
        "confirmations/<int:pk>/<str:action>/",
        views.confirmation_action,
        name="litigation_confirmation_action",
    ),
    path("transfers/<int:pk>/", views.transfer_view, name="litigation_transfer"),
    path("transfers/<int:pk>/package/", views.transfer_package, name="litigation_package"),
    path("transfers/<int:pk>/<str:action>/", views.transfer_action, name="litigation_transfer_action"),
    path("enforcements/<int:pk>/", views.enforcement_view, name="litigation_enforcement"),
    path(
        "enforcements/<int:pk>/<str:action>/", views.enforcement_action, name="litigation_enforcement_action"
    ),
    path("p/service/<str:token>/", views.public_service, name="litigation_service"),
    path(
        "p/service/<str:token>/document/", views.public_service_document, name="litigation_service_document"
    ),
]
