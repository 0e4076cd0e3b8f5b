"""API v1: one NinjaAPI, routers per app. Errors are always {"code", "message"} with a Chinese message."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from jiefen.accounts.models import ApiToken
from jiefen.common.errors import ApplicationError


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash(token), revoked_at__isnull=True)
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        # Touch at most once a minute so a busy integration does not write on every call.
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user


api = NinjaAPI(
    title="解纷 API",
    version="1.0",
    description="金融纠纷一体化调处平台接口。浏览器使用会话认证；机构系统使用 `Authorization: Bearer <token>`。",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
    docs_url="/docs",
)


def error(request, status: int, code: str, message: str, **extra):
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(ApplicationError)
def on_application_error(request, exc: ApplicationError):
    return error(request, exc.status, exc.code, exc.message, **({"detail": exc.extra} if exc.extra else {}))


@api.exception_handler(Http404)
def on_404(request, exc):
    return error(request, 404, "not_found", "资源不存在或您无权查看")


@api.exception_handler(AuthenticationError)
def on_auth(request, exc):
    return error(request, 401, "unauthorized", "请先登录或提供有效的接口令牌")


@api.exception_handler(ValidationError)
def on_validation(request, exc: ValidationError):
    fields = []
    for item in exc.errors:
        loc = ".".join(str(p) for p in item.get("loc", []) if p not in {"body", "query", "path", "payload"})
        fields.append({"field": loc, "reason": item.get("msg", "")})
    return error(request, 422, "validation", "请求数据不符合要求", errors=fields)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return error(request, exc.status_code, "http_error", str(exc))


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str


class ErrorOut(Schema):
    code: str
    message: str


@api.post("/auth/token", auth=None, response={200: TokenOut, 401: ErrorOut}, tags=["认证"])
def issue_token(request, payload: TokenIn):
    """Exchange a staff username and password for a bearer token."""
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None or not user.is_active:
        return Status(401, {"code": "invalid_credentials", "message": "用户名或密码错误"})
    _, raw = ApiToken.issue(user=user, name="接口登录")
    return {"token": raw}


def _mount() -> None:
    from importlib import import_module

    for prefix, module in [
        ("/cases", "jiefen.cases.api"),
        ("/institutions", "jiefen.orgs.api"),
        ("/disposal", "jiefen.disposal.api"),
        ("/mediation", "jiefen.mediation.api"),
        ("/litigation", "jiefen.litigation.api"),
        ("/evidence", "jiefen.evidence.api"),
        ("/credit", "jiefen.credit.api"),
        ("/complaints", "jiefen.complaints.api"),
        ("/education", "jiefen.education.api"),
        ("/assistant", "jiefen.assistant.api"),
        ("/stats", "jiefen.stats.api"),
    ]:
        api.add_router(prefix, import_module(module).router)


_mount()
