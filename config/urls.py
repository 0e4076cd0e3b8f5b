from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from jiefen.api import api

admin.site.site_header = "解纷 · 系统配置"
admin.site.site_title = "解纷"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("jiefen.accounts.urls")),
    path("cases/", include("jiefen.cases.urls")),
    path("parties/", include("jiefen.parties.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
