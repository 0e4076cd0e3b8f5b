from django.urls import path

from . import views

urlpatterns = [
    path("", views.home_view, name="education_home"),
    path("registry/", views.registry_list_view, name="education_registry"),
    path("registry/new/", views.registry_new_view, name="education_registry_new"),
    path("registry/import/", views.registry_import_view, name="education_registry_import"),
    path("registry/stats/", views.registry_stats_view, name="education_registry_stats"),
    path("registry/<int:pk>/", views.registry_detail_view, name="education_registry_detail"),
    path(
        "registry/<int:pk>/transition/", views.registry_transition_view, name="education_registry_transition"
    ),
    path("registry/<int:pk>/follow-up/", views.registry_follow_up_view, name="education_registry_follow_up"),
    path("content/<str:kind>/new/", views.content_edit_view, name="education_content_new"),
    path("content/<str:kind>/<int:pk>/", views.content_edit_view, name="education_content_edit"),
    path(
        "content/<str:kind>/<int:pk>/publish/", views.content_publish_view, name="education_content_publish"
    ),
    path("quizzes/<int:pk>/", views.quiz_detail_view, name="education_quiz"),
    path("quizzes/<int:pk>/state/", views.quiz_state_view, name="education_quiz_state"),
    path("quizzes/<int:pk>/draw/", views.quiz_draw_view, name="education_quiz_draw"),
    # Public: /education/p/...
    path("p/", views.public_library_view, name="education_library"),
    path("p/m/<slug:slug>/", views.public_material_view, name="education_material"),
    path("p/m/<slug:slug>/pdf/", views.public_material_pdf_view, name="education_material_pdf"),
    path("p/cases/", views.public_cases_view, name="education_cases"),
    path("p/cases/<slug:slug>/", views.public_case_view, name="education_case"),
    path("p/report/", views.public_report_view, name="education_report"),
    path("p/quiz/", views.public_quizzes_view, name="education_quizzes"),
    path("p/quiz/a/<str:token>/", views.public_attempt_view, name="education_attempt"),
    path("p/quiz/<slug:slug>/", views.public_quiz_view, name="education_quiz_public"),
    path("p/quiz/<slug:slug>/board/", views.public_board_view, name="education_board"),
]
