"""WSGI entry point: Django, with the WebDAV deposit application mounted at ``/webdav/``."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ent.settings")

django_application = get_wsgi_application()

from imports.webdav.app import mount_webdav  # noqa: E402 - needs Django set up first

application = mount_webdav(django_application)
