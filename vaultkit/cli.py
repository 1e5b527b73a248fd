"""The command line. Parses arguments, calls the library, turns errors into exit codes.

Exit codes: 0 done; 1 done, but some notes or templates had problems (or, for
`doctor`, it reported something); 2 usage, configuration or lock error, or not inside a
vault, nothing written (`fatal_errors` is the one place that turns those into exit 2).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import re
import sys
import time
from pathlib import Path

import click

from .errors import NoteError, VaultkitError

log = logging.getLogger("vaultkit")

VAULT_HELP = ("The vault folder (default: $VAULTKIT_VAULT, else the nearest folder at or above "
              "the current one that holds .obsidian/ or .vaultkit/).")
TODAY_HELP = "Treat this date (YYYY-MM-DD) as today (default: $VAULTKIT_TODAY, else the local date)."


def vault_option(f):
    return click.option("--vault", "vault", type=click.Path(file_okay=False, path_type=Path),
                        envvar="VAULTKIT_VAULT", default=None, help=VAULT_HELP)(f)


def today_option(f):
    return click.option("--today", "today", default=None, metavar="YYYY-MM-DD", help=TODAY_HELP)(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")(f)


def fatal_errors(f):
    """The one place a command's fatal errors (usage, configuration, lock, not a vault)
    become a message on stderr and exit 2."""

    @functools.wraps(f)
    def run(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except (VaultkitError, NoteError) as exc:
            # A NoteError reaches here only from a command that exists to make that one
            # note (`new`, `init`): nothing was written, so it ends the command too.
            click.echo(f"vaultkit: {exc}", err=True)
            sys.exit(2)

    return run


def _vault(path: Path | None) -> Path:
    """The vault: --vault / $VAULTKIT_VAULT, else found at or above the current folder."""
    if path is None:
        from .discover import find_vault
        return find_vault(Path.cwd())
    vault = Path(path)
    if not vault.is_dir():
        raise click.UsageError(f"{vault}: no such folder — pass --vault PATH or set VAULTKIT_VAULT")
    return vault


def _today(value: str | None) -> dt.date:
    from .clock import resolve_today
    try:
        return resolve_today(value)
    except ValueError:
        given = (value or os.environ.get("VAULTKIT_TODAY") or "").strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", given):
            raise click.UsageError(f"--today / $VAULTKIT_TODAY: no such day: {given}") from None
        raise click.UsageError(f"--today / $VAULTKIT_TODAY: {given!r} is not a date (YYYY-MM-DD)") from None


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
@fatal_errors
def sync(vault, today, dry_run, rebuild, regenerate, as_json, quiet, verbose) -> None:
    """One full pass: scan, index, write managed blocks and generated notes."""
    from .outcome import diff_of
    from .sync import run_sync
    _setup_logging(verbose, quiet or as_json)
    vault = _vault(vault)
    day = _today(today)
    progress = _Progress(_terminal() and not as_json and not quiet)
    def show(w) -> None:
        """A dry run's diffs are printed as the writes are planned, not kept (a large
        vault's first dry run would otherwise hold every note it would rewrite, twice)."""
        if not as_json:
            progress.close()  # (reading is done)
            click.echo(diff_of(w), nl=False)
    try:
        report = run_sync(vault, day, dry_run=dry_run, rebuild=rebuild, regenerate=regenerate, progress=progress,
                          show=show if dry_run else None)
    finally:
        progress.close()
    if as_json:
        click.echo(json.dumps(report.as_json(dry_run), indent=2, ensure_ascii=False))
    else:
        for problem in report.problems:
            click.echo(str(problem), err=True)
        if not dry_run and verbose:
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
@fatal_errors
def watch(vault, today) -> None:
    """Sync, then follow edits and update what they affect, until Ctrl-C or SIGTERM."""
    from .live import run_watch
    _setup_logging(1, False)
    vault = _vault(vault)
    from .clock import is_fixed
    fixed = _today(today) if is_fixed(today) else None
    sys.exit(run_watch(vault, fixed))


@main.command()
@click.option("--vault", "vault", type=click.Path(file_okay=False, path_type=Path),
              envvar="VAULTKIT_VAULT", default=None,
              help="The folder to set up as a vault (default: $VAULTKIT_VAULT, else the current folder).")
@fatal_errors
def init(vault) -> None:
    """Create .vaultkit/config.toml, the templates and Contacts.base; never overwrite."""
    from .create import init_vault
    vault = _vault(vault if vault is not None else Path.cwd())
    created, kept = init_vault(vault)
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
@fatal_errors
def new_contact(name, vault, company, role, email, referred_by, today) -> None:
    """Create a contact note NAME in the contacts folder."""
    from .create import create_contact
    vault = _vault(vault)
    day = _today(today)
    path, warnings = create_contact(vault, name, day, company=company, role=role, email=email,
                                    referred_by=list(referred_by))
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
@fatal_errors
def new_interview(contact, vault, date, time_, medium, today) -> None:
    """Create an interview note with CONTACT in the interviews folder."""
    from .create import create_interview
    day = _date_option("--date", date)
    if time_ is not None:
        time_ = _time_option(time_)
    vault = _vault(vault)
    path, warnings = create_interview(vault, contact, day, _today(today), time=time_, medium=medium)
    for w in warnings:
        click.echo(f"vaultkit: {w}", err=True)
    click.echo(f"created {path}")


@main.group("import")
def import_() -> None:
    """Bring notes in from elsewhere (contacts from an address book or LinkedIn)."""


@import_.command("contacts")
@click.argument("file", type=click.Path(path_type=Path))
@vault_option
@click.option("--dry-run", is_flag=True, help="List the notes it would create; write nothing.")
@today_option
@json_option
@fatal_errors
def import_contacts(file, vault, dry_run, today, as_json) -> None:
    """Create a contact note for each new person in FILE: a vCard file (.vcf) or LinkedIn's
    Connections.csv. People who already have a note are left as they are."""
    from .importer import import_contacts as run_import
    vault = _vault(vault)
    day = _today(today)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total >= IMPORT_BAR_MIN and _terminal() and not as_json:
            bar = click.progressbar(length=total, label="Importing contacts", file=sys.stderr)
            bar.__enter__()
        if bar is not None:
            bar.update(done - bar.pos)

    try:
        report = run_import(vault, file, day, dry_run=dry_run, progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if as_json:  # everything below, in one document
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        sys.exit(1 if report.failed else 0)
    for line, reason in report.skipped:
        click.echo(f"vaultkit: {file}:{line}: skipped ({reason})", err=True)
    for message in report.warnings + report.failed:
        click.echo(f"vaultkit: {message}", err=True)
    for path, name in report.created:
        shown = "" if path.rsplit("/", 1)[-1] == f"{name}.md" else f" ({name})"
        click.echo(f"{'would create' if dry_run else 'created'} {path}{shown}")
    for name, path, why in report.existing:
        click.echo(f"already in the vault: {name} ({path}, {why})")
    click.echo(("dry run: " if dry_run else "") + report.summary())
    sys.exit(1 if report.failed else 0)


IMPORT_BAR_MIN = 50  # contacts; a smaller file is done before a bar would be seen


def _date_option(option: str, value: str) -> dt.date:
    """A YYYY-MM-DD option; a well-formed day that does not exist is named as such."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
    if not m:
        raise click.UsageError(f"{option}: {value!r} is not a date (YYYY-MM-DD)")
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        raise click.UsageError(f"{option}: no such day: {value.strip()}") from None


def _time_option(value: str) -> str:
    """An H:MM or HH:MM time of day, normalised to HH:MM."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise click.UsageError(f"--time: {value!r} is not a time of day (HH:MM, 00:00 to 23:59)")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _read_only(report, vault, today, as_json):
    """Run a command that reads the vault and writes nothing."""
    _setup_logging(0, as_json)
    vault = _vault(vault)
    day = _today(today)
    return report(vault, day)


@main.command()
@vault_option
@today_option
@json_option
@fatal_errors
def status(vault, today, as_json) -> None:
    """Print today's follow-ups. Writes nothing."""
    from .report import status_data, status_text
    data = _read_only(status_data, vault, today, as_json)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(status_text(data, color=_terminal()), nl=False)


@main.command()
@vault_option
@today_option
@json_option
@click.option("--all", "everything", is_flag=True,
              help="Also report what ordinary notes hold: every unresolved link (Obsidian placeholders) and more.")
@click.option("--only", "only", multiple=True, metavar="KIND",
              help="Report only findings of this kind (unresolved-link, property, frontmatter, ...); repeatable.")
@fatal_errors
def doctor(vault, today, as_json, everything, only) -> None:
    """Check the vault and report what needs fixing. Writes nothing; exit 1 if it finds something.

    By default it reports what concerns vaultkit: contact, interview and company notes and
    the links from them, markers, front-matter, duplicates and referral cycles."""
    from functools import partial

    from .report import doctor_report, doctor_summary
    kinds = tuple(k.strip() for value in only for k in value.split(",") if k.strip())
    data = _read_only(partial(doctor_report, everything=everything, only=kinds), vault, today, as_json)
    findings = data["findings"]
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for item in findings:
            loc = item["path"] + (f":{item['line']}" if item.get("line") else "")
            click.echo(f"{loc}: {item['kind']}: {item['message']}")
        click.echo(doctor_summary(data))
    sys.exit(1 if findings else 0)


def _terminal() -> bool:
    """Whether stdout is a terminal (not when the process was started with it closed)."""
    return sys.stdout is not None and sys.stdout.isatty()


def entry() -> None:
    """The `vaultkit` command (and `python -m vaultkit`): `main`, then a quick exit.

    At the end of a pass the process holds every note's record and the whole index; the
    interpreter would free them object by object on its way out (~15 ms at 10,000 notes,
    ~50 ms at 50,000) for nothing. By then every write is on disk, the cache is closed,
    every child process is reaped, and the output is flushed here: the process ends at
    once, with the exit code `main` gave. An exception that is not an exit (a bug's
    traceback) goes the usual way."""
    try:
        main()  # (click's standalone mode: always ends in SystemExit)
    except SystemExit as done:
        code = done.code
        if code is None:
            code = 0
        elif not isinstance(code, int):
            raise  # a message to print: let the interpreter do it
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:  # (None: the process was started with that stream closed)
                    stream.flush()
        except OSError:  # (a closed pipe: the interpreter reports it as it always did)
            raise done from None
        logging.shutdown()
        os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
