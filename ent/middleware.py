"""Response headers every page of the site carries (the WebDAV mount has its own rules)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class SecurityHeadersMiddleware:
    """Add the Content-Security-Policy, and keep logged-in pages out of every cache.

    The pages use no inline script or style, so the policy allows only the site's own
    files. A page shown to a logged-in user holds school data: ``Cache-Control: no-store``
    keeps it out of shared and browser caches (the back button after logout included).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.ENT_CONTENT_SECURITY_POLICY)
        user = getattr(request, "user", None)
        already = "no-store" in response.headers.get("Cache-Control", "")
        if user is not None and user.is_authenticated and not already:
            add_never_cache_headers(response)
        return response
