"""URLs of the test shop: Oscar's, media served explicitly (DEBUG is off), and an optional
broken add-to-basket for one product (``OSCAR_BROKEN_PRODUCT``: its pk) to plant a defect."""

import os

from django.apps import apps
from django.conf import settings
from django.http import HttpResponseServerError
from django.urls import include, path, re_path
from django.views.static import serve

BROKEN = os.environ.get("OSCAR_BROKEN_PRODUCT", "")


def broken_add(request, pk):
    if str(pk) == BROKEN:
        return HttpResponseServerError("<!DOCTYPE html><html><body><h1>Server Error (500)</h1></body></html>")
    from oscar.apps.basket.views import BasketAddView

    return BasketAddView.as_view()(request, pk=pk)


urlpatterns = [
    path("basket/add/<int:pk>/", broken_add),  # same URL as Oscar's basket:add
    path("i18n/", include("django.conf.urls.i18n")),
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
