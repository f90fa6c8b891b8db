"""A minimal django-oscar 4.2 store for the checkout-flow integration test (tests/test_oscar_flow.py)."""
