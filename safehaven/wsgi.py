import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safehaven.settings")
application = get_wsgi_application()

from safehaven.lib.warm import freeze_after_startup  # noqa: E402 - needs the application set up

freeze_after_startup()
