"""Scrapy settings for storeaudit's crawler (``scrapy.cfg`` points here).

These are the project defaults; ``crawler.runner.scrapy_settings`` layers a storeaudit config
on top (limits, politeness, user agent) for each audit. Politeness is Scrapy's own machinery:
robots.txt, per-host concurrency, AutoThrottle and retries, configured rather than rewritten.
"""

BOT_NAME = "storeaudit"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

ROBOTSTXT_OBEY = True
USER_AGENT = "storeaudit/0.1 (+https://github.com/storeaudit/storeaudit; site audit)"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Scrapy's own downloader lets every queued request through at once under asyncio (see there).
DOWNLOADER = "crawler.downloader.PoliteDownloader"
# Pages found and not fetched yet wait on disk, not in memory (crawler/queue.py).
SCHEDULER = "crawler.queue.DiskQueueScheduler"
# The spider de-duplicates URLs itself before creating requests (cheaper than creating and
# dropping them), and every request it makes must reach the server even when a redirect lands
# on a URL seen before, so Scrapy's duplicate filter is not used.
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"
# Redirects are followed by the spider so that the chain is recorded and loops are findings.
REDIRECT_ENABLED = False
METAREFRESH_ENABLED = False
HTTPERROR_ALLOW_ALL = True
COOKIES_ENABLED = True
DOWNLOAD_TIMEOUT = 15
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
RETRY_TIMES = 1
RETRY_HTTP_CODES = [429, 502, 503, 504, 408]
# A URL that still fails after retries is a finding, not a log error.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
# Scrapy's list without Twisted's HTTP/1.1 TunnelError: this project downloads with the aiohttp
# handler (DOWNLOAD_HANDLERS below), so nothing raises it, and naming it imported that handler
# and its TLS module at start-up, ~0.27 s of CPU (they build deprecated aliases with
# inspect.stack(), slow in a process with ~1,300 modules loaded).
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.CannotResolveHostError", "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError", "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError", "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError", "twisted.internet.error.ConnectionLost", OSError,
]
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's, fixed: requests waiting for a host's robots.txt all get it (crawler/robots.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    # Stops the crawl after a run of 403/429 (it sees responses after retries are done).
    "crawler.extensions.WallGuard": 540,
    # Staging credentials for the store's own hosts only, after the cookie jar (700).
    "crawler.auth.AuthMiddleware": 750,
}
ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}
# Progress on stderr; off unless STOREAUDIT_PROGRESS is set (the CLI sets it unless --quiet).
EXTENSIONS = {"crawler.progress.AuditProgress": 500}
STOREAUDIT_PROGRESS = False
STOREAUDIT_PROGRESS_INTERVAL = 10.0
# Items are cheap to store; processing them one at a time keeps memory flat.
CONCURRENT_ITEMS = 1
# The depth middleware would drop requests; the spider tracks depth and decides what to parse.
DEPTH_LIMIT = 0
# First found, first fetched (breadth first), as a shopper clicks from the home page: Scrapy's
# default, last found first, followed "related products" chains to their end before the
# categories, so a page two clicks from home could be found first 30 deep, past
# crawl.max_depth, and be checked but never read (a 10,000-page bench audit lost one product
# page so). A crawl cut short by max_pages now reads the pages nearest the start.
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# Each spider middleware wraps every callback's output once more (measured: the depth
# middleware alone was in 24 % of the crawl's samples); these two do nothing for the audit.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
# The spider itself decides what is the same site (followed) and what is external (checked).
DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.offsite.OffsiteMiddleware"] = None
# Scrapy's byte and status counts per request and response (``downloader/...`` stats): the
# audit reads none of them (its own are ``storeaudit/...``), and the middleware that keeps them
# measured each request's headers: ~1 % of the crawler's samples (py-spy, 10,000 pages).
DOWNLOADER_STATS = False
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "WARNING"
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 serves a remote-control console on localhost that runs Python sent with the token
# it writes to ~/.local/state/scrapy: not something to leave open beside a store's credentials
# (nor to import at every start, ~0.13 s).
REMOTE_CONTROL_ENABLED = False
AUTOTHROTTLE_ENABLED = False
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
# Plain HEAD checks beside Scrapy (crawler/head_checks.py): per-host and total concurrency of
# that client, 0 = off. crawler/runner.py sets them per audit from the config.
STOREAUDIT_HEAD_CHECKS = 0
STOREAUDIT_HEAD_CHECKS_TOTAL = 0
# Whether that client sends a host several HEAD checks at a time on a connection (pipelining).
STOREAUDIT_HEAD_PIPELINE = True
# Worker processes that parse and check pages (crawler/page_work.py); 0 = none. crawler/runner.py
# sets them per audit (storeaudit/audit.py starts them before the crawl, and tells the spider).
STOREAUDIT_PAGE_PROCESSES = 0
# Where the audit database lives when run as `scrapy crawl audit -a url=...`.
STOREAUDIT_DB = "storeaudit.db"
# Scrapy's aiohttp download handler (experimental in 2.19) instead of Twisted's HTTP/1.1 client:
# an audit is ~37 requests per page, and it took 20 % less CPU per page on the bench
# (docs/performance.md). The errors it raises are Scrapy's own (timeout, refused, DNS, failed).
# Subclassed to read headers as the bytes the server sent (crawler/download_handler.py).
DOWNLOAD_HANDLERS = {"http": "crawler.download_handler.AuditDownloadHandler",
                     "https": "crawler.download_handler.AuditDownloadHandler"}
