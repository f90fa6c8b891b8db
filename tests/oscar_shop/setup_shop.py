"""Create the test shop's database: migrate, make products with stock and prices, index them."""

import os
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oscar_shop.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

PRODUCTS = [("Copper Kettle", "64.00"), ("Chef Knife", "89.00"), ("Oak Board", "48.00")]


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    from oscar.apps.catalogue.categories import create_from_breadcrumbs
    from oscar.core.loading import get_model

    ProductClass = get_model("catalogue", "ProductClass")
    Product = get_model("catalogue", "Product")
    ProductCategory = get_model("catalogue", "ProductCategory")
    Partner = get_model("partner", "Partner")
    StockRecord = get_model("partner", "StockRecord")

    # One shipping country: Oscar's address form then needs no country choice.
    get_model("address", "Country").objects.create(iso_3166_1_a2="GB", iso_3166_1_a3="GBR", iso_3166_1_numeric="826",
                                                   printable_name="United Kingdom", name="United Kingdom",
                                                   is_shipping_country=True)
    kind = ProductClass.objects.create(name="Kitchenware", requires_shipping=True, track_stock=True)
    partner = Partner.objects.create(name="Hearth")
    category = create_from_breadcrumbs("Kitchen")
    for n, (title, price) in enumerate(PRODUCTS, 1):
        product = Product.objects.create(title=title, product_class=kind, structure="standalone", upc=f"HH{n}",
                                         is_public=True)
        ProductCategory.objects.create(product=product, category=category)
        StockRecord.objects.create(product=product, partner=partner, partner_sku=f"HH-{n}", price=Decimal(price),
                                   num_in_stock=50)
    call_command("update_index", "catalogue", verbosity=0)


if __name__ == "__main__":
    main()
