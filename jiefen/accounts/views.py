from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from jiefen.cases.selectors import work_queue
from jiefen.orgs.access import viewer_for

DEMO_PASSWORD = "jiefen-demo"  # noqa: S105 — printed in the README; the accounts exist only in demo mode


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if settings.DEMO_MODE:
            from jiefen.demo.data import DEMO_USERS

            ctx["demo_users"] = DEMO_USERS
            ctx["demo_password"] = DEMO_PASSWORD
        return ctx


def root(request):
    if request.user.is_authenticated:
        return redirect("home")
    return LoginView.as_view()(request)


@login_required
def home(request):
    viewer = viewer_for(request.user)
    memberships = request.user.memberships.select_related("institution", "branch")
    return render(
        request,
        "accounts/home.html",
        {"queue": work_queue(viewer), "memberships": memberships, "read_only": viewer.read_only},
    )
