"""WSGI entry point: Django, with the WebDAV deposit application mounted at ``/webdav/``."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ent.settings")

django_application = get_wsgi_application()

# settings.ENT_WSGI_WRAPPERS mounts the WebDAV deposit application (deposits.webdav.app).
application = django_application
for wrapper in settings.ENT_WSGI_WRAPPERS:
    application = import_string(wrapper)(application)
