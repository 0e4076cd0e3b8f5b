from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="assistant_home"),
    path("queue/", views.queue, name="assistant_queue"),
    path("queue/<int:pk>/", views.handoff_detail, name="assistant_handoff"),
    path("queue/<int:pk>/reply/", views.handoff_reply, name="assistant_handoff_reply"),
    path("queue/<int:pk>/close/", views.handoff_close, name="assistant_handoff_close"),
    path("queue/<int:pk>/to-kb/", views.handoff_to_kb, name="assistant_handoff_to_kb"),
    path("kb/", views.kb_list, name="assistant_kb"),
    path("kb/new/", views.kb_new, name="assistant_kb_new"),
    path("kb/export/", views.kb_export, name="assistant_kb_export"),
    path("kb/e/<str:key>/", views.kb_entry, name="assistant_kb_entry"),
    path("kb/e/<str:key>/edit/", views.kb_edit, name="assistant_kb_edit"),
    path("kb/e/<str:key>/retire/", views.kb_retire, name="assistant_kb_retire"),
    path("kb/v/<int:pk>/<str:action>/", views.kb_version_action, name="assistant_kb_version_action"),
    path("test/", views.test_page, name="assistant_test"),
    path("stats/", views.stats_page, name="assistant_stats"),
    # Public (no login): /assistant/p/...
    path("p/", views.public_chat, name="assistant_public"),
    path("p/ask/", views.public_ask, name="assistant_public_ask"),
    path("p/poll/", views.public_poll, name="assistant_public_poll"),
    path("p/phone/", views.public_phone, name="assistant_public_phone"),
    path("p/new/", views.public_new, name="assistant_public_new"),
    path("p/c/<str:token>/", views.public_link, name="assistant_public_link"),
]
