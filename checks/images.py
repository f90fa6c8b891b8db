"""Image checks: pictures a shopper would see as a broken-image icon or an empty box."""

from __future__ import annotations

from collections.abc import Iterator

from checks.context import RunContext
from checks.references import broken_references, reference_finding
from checks.registry import Finding, site_check

IMAGE_KINDS = ("img", "data-src", "og:image", "input-image")
CANDIDATE_KINDS = ("srcset", "source")


@site_check("IMG001", "broken-image", category="broken-image", severity="error", team="content",
            title="Image that does not load")
def broken_image(run: RunContext, options: None) -> Iterator[Finding]:
    """An image on the page (its ``src``, a lazy-loaded ``data-src`` or the ``og:image``
    shown when the page is shared) answers with an error or does not answer. Shoppers see
    a broken-image icon or an empty space where the product should be.

    Upload the image again or point the page at the right file. A 5xx or time-out on the
    store's own image host is a platform problem for IT.
    """
    for row in broken_references(run, IMAGE_KINDS):
        yield reference_finding("IMG001", row, "Image that fails to load: {failure}")


@site_check("IMG002", "image-url-serves-no-image", category="broken-image", severity="error", team="content",
            title="Image address that serves no image")
def not_an_image(run: RunContext, options: None) -> Iterator[Finding]:
    """An image address answers successfully but with something that is not an image: an
    HTML page (often a "not found" page answered with 200) or an empty file. Shoppers see a
    broken-image icon, and link checkers that only look at the status miss it.

    Replace the image reference with the address of the real image file; ask IT to make
    missing files answer 404 instead of a page.
    """
    # The targets that answered with something else first (every page of the store is one),
    # into a temporary table keyed by URL id; then the run's image links, each looked up there
    # by its integer id. Through the ``links`` view every image link of the run was joined to
    # its fetch by URL text first: 2.7 s instead of 1.0 s at 10,000 pages (bench.end_of_audit).
    db = run.db
    db.execute("create temp table if not exists _served_not_image (id integer primary key)")
    db.execute("delete from _served_not_image")
    db.execute("""
        insert into _served_not_image select t.id from fetches f cross join urls t on t.url = f.url
        where f.run_id = ? and f.skipped = '' and f.error = '' and f.status between 200 and 299
          and (f.size = 0 or (f.content_type != '' and lower(f.content_type) not like 'image/%'
                              and lower(f.content_type) not like 'application/octet-stream%'
                              and lower(f.content_type) not like 'binary/%'))""", [run.run_id])
    marks = ", ".join(f"'{k}'" for k in (*IMAGE_KINDS, *CANDIDATE_KINDS))
    rows = run.query(f"""
        select s.url as page, t.url as target, group_concat(distinct e.kind) as kinds,
               group_concat(distinct e.text) as texts, group_concat(distinct e.region) as regions,
               f.status, f.error, f.chain, f.same_site, f.content_type, f.size
        from link_edges e cross join _served_not_image b on b.id = e.target_id
             cross join urls t on t.id = e.target_id
             cross join fetches f on f.run_id = e.run_id and f.url = t.url
             cross join urls s on s.id = e.source_id
        where e.run_id = :run and e.kind in ({marks})
        group by s.url, t.url
        order by t.url, s.url
    """)
    for row in rows:
        empty = row["size"] == 0
        what = "an empty file" if empty else f"{(row['content_type'] or '').split(';')[0]} instead of an image"
        finding = reference_finding("IMG002", row, f"Image address serves {what}")
        finding.evidence["content_type"] = row["content_type"]
        finding.evidence["size"] = row["size"]
        yield finding


@site_check("IMG003", "broken-srcset-candidate", category="broken-image", severity="warning", team="content",
            title="Responsive image variant that does not load")
def broken_srcset_candidate(run: RunContext, options: None) -> Iterator[Finding]:
    """One of the sizes listed in an image's ``srcset`` (or a ``<picture>`` source) answers
    with an error. Browsers pick the variant by screen size, so some shoppers (often on
    phones or high-resolution screens) see a broken image while others see none.

    Generate and upload the missing size, or remove it from the srcset list. Image resizing
    is usually automatic: if many variants are missing, ask IT to check the image service.
    """
    for row in broken_references(run, CANDIDATE_KINDS):
        yield reference_finding("IMG003", row, "Image variant in srcset fails to load: {failure}")
