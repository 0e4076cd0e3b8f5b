from django.urls import path

from . import views

urlpatterns = [
    path("", views.portal, name="public_portal"),
    path("verify/", views.verify, name="public_verify"),
    path("logout/", views.logout, name="public_logout"),
    path("demo-sms/", views.demo_outbox, name="public_demo_outbox"),
]
