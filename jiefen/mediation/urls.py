from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="mediation_home"),
    path("cases/<int:case_id>/", views.case_view, name="mediation_case"),
    path("cases/<int:case_id>/assign/", views.assign_view, name="mediation_assign"),
    path("cases/<int:case_id>/accept/", views.accept_view, name="mediation_accept"),
    path("cases/<int:case_id>/decline/", views.decline_view, name="mediation_decline"),
    path("cases/<int:case_id>/extend/", views.extend_view, name="mediation_extend"),
    path("cases/<int:case_id>/fail/", views.fail_view, name="mediation_fail"),
    path("cases/<int:case_id>/link/", views.link_view, name="mediation_link"),
    path("cases/<int:case_id>/sessions/", views.session_view, name="mediation_session"),
    path("cases/<int:case_id>/record.<str:fmt>", views.record_download, name="mediation_record"),
    path("cases/<int:case_id>/room/", views.room_view, name="mediation_room"),
    path("cases/<int:case_id>/room/log/", views.room_log, name="mediation_room_log"),
    path("cases/<int:case_id>/room/post/", views.room_post_view, name="mediation_room_post"),
    path("cases/<int:case_id>/room/upload/", views.room_upload_view, name="mediation_room_upload"),
    path("cases/<int:case_id>/agreement/", views.agreement_builder, name="mediation_builder"),
    path("cases/<int:case_id>/agreement/preview/", views.agreement_preview, name="mediation_preview"),
    path("sessions/<int:session_id>/minutes/", views.minutes_view, name="mediation_minutes"),
    path("agreements/<int:agreement_id>/", views.agreement_view, name="mediation_agreement"),
    path("agreements/<int:agreement_id>/sign/", views.agreement_sign_view, name="mediation_agreement_sign"),
    path(
        "agreements/<int:agreement_id>/document/",
        views.agreement_document,
        name="mediation_agreement_document",
    ),
    path(
        "agreements/<int:agreement_id>/document.<str:fmt>",
        views.agreement_document,
        name="mediation_agreement_render",
    ),
    path(
        "agreements/<int:agreement_id>/<str:action>/",
        views.agreement_action,
        name="mediation_agreement_action",
    ),
    path("performance/", views.performance_view, name="mediation_performance"),
    path("mediators/", views.mediators_view, name="mediation_mediators"),
    path("statements/", views.statement_view, name="mediation_statement"),
    # Public: the debtor, without a password (a signed link, or a one-time code for "my rooms").
    path("p/rooms/", views.my_rooms, name="mediation_my_rooms"),
    path("p/room/<str:token>/", views.public_room, name="mediation_public_room"),
    path("p/room/<str:token>/log/", views.public_log, name="mediation_public_log"),
    path("p/room/<str:token>/post/", views.public_post, name="mediation_public_post"),
    path("p/room/<str:token>/upload/", views.public_upload, name="mediation_public_upload"),
    path("p/room/<str:token>/choose/", views.public_choose, name="mediation_public_choose"),
    path(
        "p/room/<str:token>/evidence/<int:evidence_id>/",
        views.public_evidence,
        name="mediation_public_evidence",
    ),
    path(
        "p/room/<str:token>/agreements/<int:agreement_id>/",
        views.public_agreement,
        name="mediation_public_agreement",
    ),
    path(
        "p/room/<str:token>/agreements/<int:agreement_id>/document/",
        views.public_agreement_document,
        name="mediation_public_agreement_document",
    ),
]
