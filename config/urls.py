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
    path("p/", include("jiefen.public.urls")),
    # Each capability owns its URL space: staff pages under its prefix, public pages under /p/<prefix>/.
    path("disposal/", include("jiefen.disposal.urls")),
    path("mediation/", include("jiefen.mediation.urls")),
    path("litigation/", include("jiefen.litigation.urls")),
    path("evidence/", include("jiefen.evidence.urls")),
    path("documents/", include("jiefen.documents.urls")),
    path("credit/", include("jiefen.credit.urls")),
    path("complaints/", include("jiefen.complaints.urls")),
    path("education/", include("jiefen.education.urls")),
    path("assistant/", include("jiefen.assistant.urls")),
    path("stats/", include("jiefen.stats.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
