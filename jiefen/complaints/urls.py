from django.urls import path

from . import views

urlpatterns = [
    path("", views.complaint_list_view, name="complaints_list"),
    path("<int:pk>/", views.complaint_detail_view, name="complaints_detail"),
    path("<int:pk>/accept/", views.complaint_accept_view, name="complaints_accept"),
    path("<int:pk>/callback/", views.complaint_callback_view, name="complaints_callback"),
    path("<int:pk>/reply/", views.complaint_reply_view, name="complaints_reply"),
    path("<int:pk>/extension/", views.complaint_extension_view, name="complaints_extension"),
    path("<int:pk>/convert/", views.complaint_convert_view, name="complaints_convert"),
    path("<int:pk>/scam-lead/", views.complaint_scam_lead_view, name="complaints_scam_lead"),
    path("extensions/<int:pk>/decide/", views.extension_decide_view, name="complaints_extension_decide"),
    path("attachments/<int:pk>/", views.attachment_view, name="complaints_attachment"),
    path("qr/", views.qr_index_view, name="complaints_qr"),
    path("qr/<str:kind>/<int:pk>/rotate/", views.qr_rotate_view, name="complaints_qr_rotate"),
    path("qr/branch/<int:pk>/<str:fmt>/", views.qr_branch_view, name="complaints_qr_branch"),
    path("qr/institution/<int:pk>/<str:fmt>/", views.qr_institution_view, name="complaints_qr_institution"),
    path("stats/", views.stats_view, name="complaints_stats"),
    # Public (no staff login): /complaints/p/...
    path("p/", views.public_index_view, name="complaints_public"),
    path("p/track/", views.public_track_view, name="complaints_track"),
    path("p/c/<str:number>/", views.public_mine_view, name="complaints_mine"),
    path("p/s/<str:token>/", views.public_link_view, name="complaints_public_link"),
    path("p/<str:token>/", views.public_form_view, name="complaints_form"),
]
