"""No sorl/easy-thumbnails dependency: 'thumbnails' are the original images."""

from types import SimpleNamespace

from django.conf import settings
from oscar.core.thumbnails import AbstractThumbnailer


class OriginalImage(AbstractThumbnailer):
    def generate_thumbnail(self, source, **opts):
        url = getattr(source, "url", None) or settings.MEDIA_URL + str(getattr(source, "name", source))
        return SimpleNamespace(url=url, width=None, height=None)

    def delete_thumbnails(self, source):
        pass
