from django.urls import path

from . import views

urlpatterns = [path("<int:party_id>/reveal/", views.reveal_view, name="party_reveal")]
