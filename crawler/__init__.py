"""The Scrapy project: spiders fetch and follow, items carry facts, pipelines store them."""
