"""The command line. Parses arguments, calls the library, turns errors into exit codes.

Exit codes (SPEC §5): 0 done; 1 done, but some notes or templates had problems (or, for
`doctor`, it reported something); 2 usage, configuration or lock error, nothing written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
import time
from pathlib import Path

import click

from .errors import VaultkitError

log = logging.getLogger("vaultkit")

VAULT_HELP = "The vault folder (default: $VAULTKIT_VAULT, else the current folder)."
TODAY_HELP = "Treat this date (YYYY-MM-DD) as today (default: $VAULTKIT_TODAY, else the local date)."


def vault_option(f):
    return click.option("--vault", "vault", type=click.Path(file_okay=False, path_type=Path),
                        envvar="VAULTKIT_VAULT", default=None, help=VAULT_HELP)(f)


def today_option(f):
    return click.option("--today", "today", default=None, metavar="YYYY-MM-DD", help=TODAY_HELP)(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")(f)


def _vault(path: Path | None) -> Path:
    vault = Path(path) if path is not None else Path.cwd()
    if not vault.is_dir():
        raise click.UsageError(f"{vault}: no such folder — pass --vault PATH or set VAULTKIT_VAULT")
    return vault


def _today(value: str | None) -> dt.date:
    from .clock import resolve_today
    try:
        return resolve_today(value)
    except ValueError:
        raise click.UsageError(f"--today / $VAULTKIT_TODAY: {value or os.environ.get('VAULTKIT_TODAY')!r} "
                               "is not a date (YYYY-MM-DD)") from None


def _fail(exc: VaultkitError) -> None:
    click.echo(f"vaultkit: {exc}", err=True)
    sys.exit(2)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    if quiet:
        level = logging.ERROR
    logging.basicConfig(level=level, format="vaultkit: %(message)s", stream=sys.stderr, force=True)


class _Progress:
    """A progress bar on stderr, shown only on a terminal and only once a scan takes a moment."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.start = time.monotonic()
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.start < 0.5:
                return
            self.bar = click.progressbar(length=total, label="Reading notes", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vaultkit")
def main() -> None:
    """vaultkit keeps an Obsidian-style vault of informational interviews connected:
    backlinks and referrals in managed blocks, interview agendas, thank-you drafts and a
    daily follow-up note."""


@main.command()
@vault_option
@today_option
@click.option("--dry-run", is_flag=True, help="Print the planned writes as a diff; write nothing.")
@click.option("--rebuild", is_flag=True, help="Ignore the index cache and read every note.")
@click.option("--regenerate", "regenerate", multiple=True, metavar="KEY",
              help="Create the generated note with this vaultkit_key again (repeatable).")
@json_option
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.option("-v", "--verbose", count=True, help="Also list every file written (-vv: debug log).")
def sync(vault, today, dry_run, rebuild, regenerate, as_json, quiet, verbose) -> None:
    """One full pass: scan, index, write managed blocks and generated notes."""
    from .sync import diff_of, run_sync
    _setup_logging(verbose, quiet or as_json)
    vault = _vault(vault)
    day = _today(today)
    progress = _Progress(sys.stdout.isatty() and not as_json and not quiet)
    try:
        report = run_sync(vault, day, dry_run=dry_run, rebuild=rebuild, regenerate=regenerate, progress=progress)
    except VaultkitError as exc:
        progress.close()
        _fail(exc)
        return
    progress.close()
    if as_json:
        click.echo(json.dumps(report.as_json(dry_run), indent=2, ensure_ascii=False))
    else:
        for problem in report.problems:
            click.echo(str(problem), err=True)
        if dry_run:
            for w in report.writes:
                click.echo(diff_of(w), nl=False)
        elif verbose:
            for path in report.written_paths:
                click.echo(f"wrote {path}")
        for path in report.skipped:
            click.echo(f"{path}: changed while vaultkit ran — left as it is; the next sync retries", err=True)
        if not quiet:
            click.echo(("dry run: " if dry_run else "") + report.summary(dry_run))
    sys.exit(1 if report.problems else 0)


@main.command()
@vault_option
@today_option
def watch(vault, today) -> None:
    """Sync, then follow edits and update what they affect, until Ctrl-C or SIGTERM."""
    from .live import run_watch
    _setup_logging(1, False)
    vault = _vault(vault)
    from .clock import is_fixed
    fixed = _today(today) if is_fixed(today) else None
    try:
        code = run_watch(vault, fixed)
    except VaultkitError as exc:
        _fail(exc)
        return
    sys.exit(code)


@main.command()
@vault_option
def init(vault) -> None:
    """Create .vaultkit/config.toml, the templates and Contacts.base; never overwrite."""
    from .create import init_vault
    vault = _vault(vault)
    try:
        created, kept = init_vault(vault)
    except VaultkitError as exc:
        _fail(exc)
        return
    for path in created:
        click.echo(f"created {path}")
    for path in kept:
        click.echo(f"kept    {path} (already there)")
    click.echo(f"vaultkit is set up in {vault}: {len(created)} files created, {len(kept)} kept.")


@main.group()
def new() -> None:
    """Create a contact or interview note from its template."""


@new.command("contact")
@click.argument("name")
@vault_option
@click.option("--company", default=None, help="The contact's company (a company note's name, or text).")
@click.option("--role", default=None, help="Their role.")
@click.option("--email", default=None, help="Their email address.")
@click.option("--referred-by", "referred_by", multiple=True, metavar="PERSON",
              help="Who introduced you (a contact's name; repeatable).")
@today_option
def new_contact(name, vault, company, role, email, referred_by, today) -> None:
    """Create a contact note NAME in the contacts folder."""
    from .create import create_contact
    vault = _vault(vault)
    day = _today(today)
    try:
        path, warnings = create_contact(vault, name, day, company=company, role=role, email=email,
                                        referred_by=list(referred_by))
    except VaultkitError as exc:
        _fail(exc)
        return
    for w in warnings:
        click.echo(f"vaultkit: {w}", err=True)
    click.echo(f"created {path}")


@new.command("interview")
@click.argument("contact")
@vault_option
@click.option("--date", "date", required=True, metavar="YYYY-MM-DD", help="The interview's date.")
@click.option("--time", "time_", default=None, metavar="HH:MM", help="Its time.")
@click.option("--medium", default=None, help="How: video call, phone, coffee, …")
@today_option
def new_interview(contact, vault, date, time_, medium, today) -> None:
    """Create an interview note with CONTACT in the interviews folder."""
    from .create import create_interview
    vault = _vault(vault)
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        shaped = re.fullmatch(r"\d{4}-\d{2}-\d{2}", date.strip())
        raise click.UsageError(f"--date: no such day: {date}" if shaped else
                               f"--date: {date!r} is not a date (YYYY-MM-DD)") from None
    if time_ is not None and not _valid_time(time_):
        raise click.UsageError(f"--time: {time_!r} is not a time (HH:MM)")
    try:
        path, warnings = create_interview(vault, contact, day, _today(today), time=time_, medium=medium)
    except VaultkitError as exc:
        _fail(exc)
        return
    for w in warnings:
        click.echo(f"vaultkit: {w}", err=True)
    click.echo(f"created {path}")


def _valid_time(value: str) -> bool:
    try:
        dt.time.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 5


def _read_only(report, vault, today, as_json):
    """Run a command that reads the vault and writes nothing; exit 2 on a usage error."""
    _setup_logging(0, as_json)
    vault = _vault(vault)
    day = _today(today)
    try:
        return report(vault, day)
    except VaultkitError as exc:
        _fail(exc)


@main.command()
@vault_option
@today_option
@json_option
def status(vault, today, as_json) -> None:
    """Print today's follow-ups. Writes nothing."""
    from .report import status_data, status_text
    data = _read_only(status_data, vault, today, as_json)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(status_text(data, color=sys.stdout.isatty()), nl=False)


@main.command()
@vault_option
@today_option
@json_option
def doctor(vault, today, as_json) -> None:
    """Check the vault and report what needs fixing. Writes nothing; exit 1 if it finds something."""
    from .report import doctor_findings
    findings = _read_only(doctor_findings, vault, today, as_json)
    if as_json:
        click.echo(json.dumps({"findings": findings, "count": len(findings)}, indent=2, ensure_ascii=False))
    else:
        for item in findings:
            loc = item["path"] + (f":{item['line']}" if item.get("line") else "")
            click.echo(f"{loc}: {item['kind']}: {item['message']}")
        click.echo(f"doctor: {len(findings)} finding{'s' if len(findings) != 1 else ''}"
                   if findings else "doctor: nothing to report — the vault is in good shape")
    sys.exit(1 if findings else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
