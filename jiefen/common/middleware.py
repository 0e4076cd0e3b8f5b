class ContentSecurityPolicyMiddleware:
    """Everything the UI loads comes from this server (no CDN reaches a bank intranet), so the
    policy can be strict: scripts and styles only from 'self'."""

    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "font-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The admin and the API docs page ship inline scripts of their own.
        if not request.path.startswith(("/admin/", "/api/v1/docs")):
            response.headers.setdefault("Content-Security-Policy", self.POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.path.startswith("/api/"):
            # API answers carry personal data: never kept by a shared proxy or the browser cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class DefaultChineseMiddleware:
    """The centre works in Chinese: a browser's Accept-Language (often English on office PCs) does not
    switch the UI; only the person's explicit choice (the language cookie) does."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
