from django.urls import path

from . import views

urlpatterns = [
    path("", views.desk_view, name="disposal_desk"),
    path("bulk/", views.bulk_view, name="disposal_bulk"),
    path("case/<int:case_id>/", views.case_view, name="disposal_case"),
    path("case/<int:case_id>/sms/", views.case_sms_view, name="disposal_case_sms"),
    path("case/<int:case_id>/dial/<int:phone_id>/", views.case_dial_view, name="disposal_case_dial"),
    path("case/<int:case_id>/call/", views.case_call_view, name="disposal_case_call"),
    path("case/<int:case_id>/outcome/", views.case_outcome_view, name="disposal_case_outcome"),
    path("case/<int:case_id>/override/", views.case_override_view, name="disposal_case_override"),
    path("case/<int:case_id>/triage/", views.case_triage_view, name="disposal_case_triage"),
    path("case/<int:case_id>/phone/", views.case_phone_view, name="disposal_case_phone"),
    path("case/<int:case_id>/optout/<int:phone_id>/", views.case_optout_view, name="disposal_case_optout"),
    path("imports/", views.imports_view, name="disposal_imports"),
    path("imports/<int:job_id>/", views.import_view, name="disposal_import"),
    path("imports/<int:job_id>/confirm/", views.import_confirm_view, name="disposal_import_confirm"),
    path("imports/<int:job_id>/cancel/", views.import_cancel_view, name="disposal_import_cancel"),
    path("imports/<int:job_id>/mapping/", views.import_mapping_view, name="disposal_import_mapping"),
    path("imports/<int:job_id>/report.xlsx", views.import_report_view, name="disposal_import_report"),
    path("rules/", views.rules_view, name="disposal_rules"),
    path("rules/save/", views.rule_save_view, name="disposal_rule_save"),
    path("rules/<int:rule_id>/delete/", views.rule_delete_view, name="disposal_rule_delete"),
    path("rules/rerun/", views.rerun_view, name="disposal_rerun"),
    path("outbox/", views.outbox_view, name="disposal_outbox"),
    path("recovery/", views.recovery_view, name="disposal_recovery"),
    path("recovery/<int:batch_id>/", views.recovery_detail_view, name="disposal_recovery_detail"),
    path(
        "recovery/<int:batch_id>/request.csv", views.recovery_request_view, name="disposal_recovery_request"
    ),
]
