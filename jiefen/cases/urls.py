from django.urls import path

from . import views

urlpatterns = [
    path("", views.case_list_view, name="case_list"),
    path("<int:case_id>/", views.case_detail_view, name="case_detail"),
    path("<int:case_id>/transition/", views.case_transition_view, name="case_transition"),
    path("<int:case_id>/assign/", views.case_assign_view, name="case_assign"),
]
