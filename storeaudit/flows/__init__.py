"""Checkout flows: walk product → basket → checkout like a shopper, never placing an order.

``safety`` holds the stop list every flow request passes through; ``walker`` the HTTP client
with its own cookie jar per flow; ``discovered`` the flow run for a crawled product page;
``runner`` picks the products, runs the flows after the crawl and stores every step.
"""
