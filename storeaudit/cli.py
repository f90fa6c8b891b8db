"""The storeaudit command line. Exit codes: 0 clean, 1 findings at or above --fail-on,
2 the audit itself could not run (one line on stderr says why)."""

from __future__ import annotations

import functools
import sys
import textwrap
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from checks.registry import REGISTRY, SEVERITY_RANK

__all__ = ["main"]

EXIT_FINDINGS = 1
EXIT_CANNOT_RUN = 2


class Failure(click.ClickException):
    """An error the user can act on: printed as one line, exit code 2."""

    exit_code = EXIT_CANNOT_RUN

    def show(self, file: Any = None) -> None:
        click.echo(f"storeaudit: error: {self.format_message()}", err=True)


def one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the project's expected errors into :class:`Failure` (one line, exit 2)."""
    from config import ConfigError
    from reports.model import ReportError
    from storeaudit.audit import AuditError

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, AuditError, ReportError) as exc:
            raise Failure(str(exc)) from None
        except OSError as exc:
            raise Failure(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None

    return wrapper


def db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--db", "db_path", default="storeaudit.db", show_default=True,
                        type=click.Path(dir_okay=False), help="The audit database (every run is kept).")(func)


def format_options(func: Callable[..., Any]) -> Callable[..., Any]:
    from reports import FORMATS

    func = click.option("--output", "-o", default=None,
                        help="Where to write the report; '-' is stdout. Default: report.html for html, stdout otherwise.")(func)
    return click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="html",
                        show_default=True, help="Report format.")(func)


def default_output(fmt: str, output: str | None) -> str:
    if output:
        return output
    return "report.html" if fmt == "html" else "-"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="storeaudit")
def cli() -> None:
    """Crawl an online store the way a shopper would and report what loses customers:
    broken links and images, stale or hard-to-read content, broken checkout flows.
    Each finding is addressed to the team that can fix it.

    \b
    Example:
        storeaudit audit https://shop.example/ --format html --output report.html
        storeaudit demo
    """


@cli.command()
@click.argument("url")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="TOML config file (see `storeaudit config example`).")
@db_option
@format_options
@click.option("--fail-on", type=click.Choice(list(SEVERITY_RANK)), default="error", show_default=True,
              help="Exit 1 when there are findings at or above this severity.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Audit as if today were this date (YYYY-MM-DD); makes audits reproducible.")
@click.option("--max-pages", type=click.IntRange(min=1), default=None, help="Parse at most this many pages.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option("--resume", is_flag=True,
              help="Continue the latest interrupted audit of URL in the database, without fetching again what it did.")
@one_line_errors
def audit(url: str, config_path: str | None, db_path: str, fmt: str, output: str | None, fail_on: str,
          as_of: Any, max_pages: int | None, quiet: bool, resume: bool) -> None:
    """Crawl URL, check everything it references, and write a report.

    \b
    Example:
        storeaudit audit https://staging.shop.example/ --format json --fail-on error
        storeaudit audit https://shop.example/ --resume     # after Ctrl-C or a crash
    """
    from config import load_config
    from storeaudit.audit import run_audit, validate_start_url

    validate_start_url(url)
    overrides = {"crawl.max_pages": max_pages} if max_pages else None
    config = load_config(config_path, overrides=overrides)
    run_id = run_audit(url, config=config, db_path=db_path, as_of=as_of.date() if as_of else None,
                       resume=resume)
    sys.exit(_finish(db_path, run_id, fmt, default_output(fmt, output), fail_on, quiet))


def _finish(db_path: str, run_id: int, fmt: str, output: str, fail_on: str, quiet: bool) -> int:
    from reports import write_report
    from storeaudit.store import open_db

    db = open_db(db_path)
    write_report(db, fmt, output, run_id=run_id)
    run = db["runs"].get(run_id)
    counts = dict(db.execute("select severity, count(distinct code || grp) from findings "
                             "where run_id = ? group by severity", [run_id]).fetchall())
    if not quiet:
        summary = ", ".join(f"{counts.get(s, 0)} {s}{'s' if counts.get(s, 0) != 1 else ''}"
                            for s in SEVERITY_RANK)
        click.echo(f"Audit #{run_id} {run['status']}: {run['pages']} pages crawled, {run['fetches']} URLs "
                   f"checked; {summary}.", err=True)
        if run["message"]:
            click.echo(f"Stopped early: {run['message']}.", err=True)
        if output != "-":
            click.echo(f"Report: {Path(output).resolve()}", err=True)
        click.echo(f"Database: {Path(db_path).resolve()}", err=True)
    threshold = SEVERITY_RANK[fail_on]
    failing = sum(n for s, n in counts.items() if SEVERITY_RANK.get(s, 0) >= threshold)
    return EXIT_FINDINGS if failing else 0


@cli.command()
@db_option
@click.option("--run", "run_id", type=int, default=None, help="Run id (default: the latest finished run).")
@click.option("--team", default=None, help="Only this team's findings.")
@format_options
@one_line_errors
def report(db_path: str, run_id: int | None, team: str | None, fmt: str, output: str | None) -> None:
    """Write a report of a past run from the database, without crawling again.

    \b
    Example:
        storeaudit report --team content --format html --output content.html
    """
    from reports import write_report
    from storeaudit.store import open_db

    if not Path(db_path).exists():
        raise Failure(f"no audit database at {db_path}")
    write_report(open_db(db_path), fmt, default_output(fmt, output), run_id=run_id, team=team)


@cli.command("checks")
@click.option("--markdown", is_flag=True, help="Print the full documentation as Markdown (docs/checks.md).")
def list_checks(markdown: bool) -> None:
    """List every check: code, severity, default team, category and title.

    \b
    Example:
        storeaudit checks
    """
    if markdown:
        from checks.docs import checks_markdown

        click.echo(checks_markdown(), nl=False)
        return
    for check in REGISTRY.values():
        click.echo(f"{check.code:<8} {check.severity:<8} {check.team:<8} {check.category:<18} {check.title}")


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Print what a check finds, why it matters and how to fix it.

    \b
    Example:
        storeaudit explain LINK001
    """
    check = REGISTRY.get(code.upper())
    if check is None:
        raise Failure(f"unknown check code {code!r}; `storeaudit checks` lists them")
    click.echo(f"{check.code} {check.name}: {check.title}")
    click.echo(f"category {check.category}, severity {check.severity}, default team {check.team}\n")
    for para in check.doc.split("\n\n"):
        click.echo(textwrap.fill(" ".join(para.split()), width=88) + "\n")
    fields = check.option_fields()
    if fields:
        click.echo("Options ([checks." + check.code + "] in the config):")
        for name, default in fields.items():
            click.echo(f"  {name} = {default!r}  {check.option_help(name)}")


@cli.command()
@click.option("--dir", "out_dir", default="storeaudit-demo", show_default=True,
              type=click.Path(file_okay=False), help="Folder for the demo's report and database.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Audit as if today were this date (YYYY-MM-DD).")
@one_line_errors
def demo(out_dir: str, as_of: Any) -> None:
    """Serve the bundled demo store on 127.0.0.1, audit it and write its report.

    \b
    Example:
        storeaudit demo && open storeaudit-demo/report.html
    """
    from config import load_config
    from storeaudit.audit import run_audit
    from storeaudit.demo import DEMO_CONFIG
    from storeaudit.demo.server import DemoServer

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "storeaudit.db"
    with DemoServer() as server:
        click.echo(f"Demo store serving at {server.url}", err=True)
        run_id = run_audit(server.url, config=load_config(DEMO_CONFIG), db_path=db_path,
                           as_of=as_of.date() if as_of else None)
    _finish(str(db_path), run_id, "html", str(folder / "report.html"), "error", quiet=False)


@cli.group()
def config() -> None:
    """Validate or print configuration files."""


@config.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@one_line_errors
def config_check(file: str) -> None:
    """Validate a config file without crawling.

    \b
    Example:
        storeaudit config check storeaudit.toml
    """
    from config import load_config

    load_config(file)
    click.echo(f"{file}: OK")


@config.command("example")
def config_example() -> None:
    """Print an example config with every key, its default and what it does.

    \b
    Example:
        storeaudit config example > storeaudit.toml
    """
    from config import example_config

    click.echo(example_config(), nl=False)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="storeaudit")


if __name__ == "__main__":  # pragma: no cover
    main()
