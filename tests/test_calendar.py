"""The calendar feed (config `calendar`): an iCalendar file of planned interviews and
follow-up dates, parsed back here with the `icalendar` library."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import icalendar

from conftest import snapshot

FILES = {
    ".vaultkit/config.toml": 'calendar = "interviews.ics"\n',
    "People/Ann Lee.md": "---\ntype: contact\ncompany: Acme\nnext_follow_up: 2026-12-10\n---\n",
    "People/Bo Chen.md": "---\ntype: contact\n---\n",
    "Interviews/2026-12-02 Ann Lee.md": ("---\ntype: interview\ncontact: [\"[[Ann Lee]]\", \"[[Bo Chen]]\"]\n"
                                         "date: 2026-12-02\ntime: \"14:30\"\nmedium: Video call\nstatus: planned\n---\n"),
    "Interviews/2026-12-20 Bo Chen.md": "---\ntype: interview\ncontact: \"[[Bo Chen]]\"\ndate: 2026-12-20\n---\n",
    "Interviews/2026-11-20 Bo Chen.md": "---\ntype: interview\ncontact: \"[[Bo Chen]]\"\ndate: 2026-11-20\n---\n",
}


def sync(cli, vault, *args):
    result = cli("sync", "--vault", vault, "--today", "2026-11-28", *args)
    assert result.exit_code == 0, result.output
    return result


def events(vault) -> list:
    cal = icalendar.Calendar.from_ical((vault / "interviews.ics").read_bytes())
    assert cal["version"] == "2.0" and cal["prodid"]
    return list(cal.walk("VEVENT"))


def test_planned_interviews_and_follow_ups_become_events(cli, make_vault):
    vault = make_vault(FILES)
    sync(cli, vault)
    found = events(vault)
    summaries = [str(e["summary"]) for e in found]
    assert summaries == ["Informational interview with Ann Lee, Bo Chen (Acme)",
                         "Follow up with Ann Lee",
                         "Informational interview with Bo Chen"]  # the done one is not there
    first = found[0]
    assert first.decoded("dtstart") == dt.datetime(2026, 12, 2, 14, 30)
    assert first.decoded("dtend") == dt.datetime(2026, 12, 2, 15, 30)
    assert str(first["location"]) == "Video call"
    url = urlparse(str(first["url"]))
    assert url.scheme == "obsidian" and parse_qs(url.query)["file"] == ["Interviews/Agendas/2026-12-02 Ann Lee, Bo Chen - agenda.md"]
    assert found[1].decoded("dtstart") == dt.date(2026, 12, 10)
    assert found[2].decoded("dtstart") == dt.date(2026, 12, 20)
    assert len({str(e["uid"]) for e in found}) == 3


def test_the_feed_is_stable_and_rewritten_only_when_it_changes(cli, make_vault):
    vault = make_vault(FILES)
    sync(cli, vault)
    uids = [str(e["uid"]) for e in events(vault)]
    before = snapshot(vault)
    assert "wrote 0 files" in sync(cli, vault, "--rebuild").output
    assert snapshot(vault) == before
    note = vault / "Interviews/2026-12-20 Bo Chen.md"
    note.write_text(note.read_text().replace("date: 2026-12-20", "date: 2026-12-21"))
    sync(cli, vault)
    after = events(vault)
    assert [str(e["uid"]) for e in after][:2] == uids[:2]  # the others keep their UIDs
    assert after[2].decoded("dtstart") == dt.date(2026, 12, 21)
    (vault / "interviews.ics").unlink()
    sync(cli, vault)
    assert (vault / "interviews.ics").exists()


def test_no_calendar_unless_asked_and_bad_paths_refused(cli, make_vault):
    plain = {k: v for k, v in FILES.items() if not k.startswith(".vaultkit")}
    vault = make_vault(plain)
    sync(cli, vault)
    assert not list(vault.rglob("*.ics"))
    for bad in ('calendar = ".git/x.ics"\n', 'calendar = "x.txt"\n', 'calendar = "../x.ics"\n'):
        other = make_vault({**plain, ".vaultkit/config.toml": bad}, name=f"bad{len(bad)}{bad[12]}")
        result = cli("sync", "--vault", other, "--today", "2026-11-28")
        assert result.exit_code == 2 and "calendar" in result.output, bad
