"""The weekly networking review: `Reviews/YYYY-Www.md`, created by the first sync of the
ISO week, its block refreshed by every sync of that week, past weeks never touched again."""

from __future__ import annotations

from conftest import snapshot

from vaultkit.markers import block_inner

VAULT = {
    "People/Ann Lee.md": "---\ntype: contact\nstatus: met\n---\n",
    "People/Bo Chen.md": "---\ntype: contact\nreferred_by: \"[[Ann Lee]]\"\nlast_contacted: 2026-11-20\n---\n",
    "People/Cy Diaz.md": "---\ntype: contact\n---\n",
    "Interviews/2026-11-10 Ann Lee.md": ("---\ntype: interview\ncontact: \"[[Ann Lee]]\"\ndate: 2026-11-10\n"
                                         "status: done\nthank_you_sent: 2026-11-12\nreferrals: [\"[[Cy Diaz]]\"]\n---\n"),
    "Interviews/2026-11-24 Bo Chen.md": ("---\ntype: interview\ncontact: \"[[Bo Chen]]\"\ndate: 2026-11-24\n"
                                         "status: done\n---\n"),
}


def sync(cli, vault, today):
    result = cli("sync", "--vault", vault, "--today", today)
    assert result.exit_code == 0, result.output
    return result


def review(vault, week):
    return block_inner((vault / f"Reviews/{week}.md").read_text("utf-8"), "review")


def test_the_week_note_is_created_with_this_weeks_figures(cli, make_vault):
    vault = make_vault(VAULT)
    sync(cli, vault, "2026-11-28")  # a Saturday of ISO week 48 (Monday 2026-11-23)
    text = review(vault, "2026-W48")
    assert "**Week 2026-W48** (2026-11-23 … 2026-11-28)" in text
    assert "- Interviews held: 1\n" in text  # Bo on the 24th; Ann's was in week 46
    # Cy was referred on 2026-11-10 and never contacted: more than 14 days ago.
    assert "- [[Cy Diaz]], referred by [[Ann Lee]] on 2026-11-10" in text
    assert "| 2026-W46 | 1 | 1 | 1 | 1.0 | 2 days | – |" in text  # Ann: thanked two days later
    assert "xychart-beta" in text and "  bar [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]" in text
    fm = (vault / "Reviews/2026-W48.md").read_text("utf-8")
    assert "vaultkit_key: review:2026-W48" in fm and "generated_by: vaultkit" in fm


def test_the_block_is_refreshed_during_the_week_and_past_weeks_stay(cli, make_vault):
    vault = make_vault(VAULT)
    sync(cli, vault, "2026-11-25")
    assert "- Interviews held: 1\n" in review(vault, "2026-W48")
    (vault / "Interviews/2026-11-26 Cy Diaz.md").write_text(
        "---\ntype: interview\ncontact: \"[[Cy Diaz]]\"\ndate: 2026-11-26\nstatus: done\n---\n")
    sync(cli, vault, "2026-11-27")
    assert "- Interviews held: 2\n" in review(vault, "2026-W48")
    assert "Referrals gone stale** (not contacted within 14 days)\n- _none_" in review(vault, "2026-W48")
    before = (vault / "Reviews/2026-W48.md").read_bytes()
    sync(cli, vault, "2026-12-01")  # a new week: a new note, last week's left as it was
    assert (vault / "Reviews/2026-W49.md").exists()
    assert (vault / "Reviews/2026-W48.md").read_bytes() == before
    again = snapshot(vault)
    sync(cli, vault, "2026-12-01")
    assert snapshot(vault) == again  # nothing to do the second time


def test_a_deleted_review_is_not_made_again_and_can_be_turned_off(cli, make_vault):
    vault = make_vault(VAULT)
    sync(cli, vault, "2026-11-28")
    (vault / "Reviews/2026-W48.md").unlink()
    sync(cli, vault, "2026-11-28")
    assert not (vault / "Reviews/2026-W48.md").exists()
    other = make_vault({**VAULT, ".vaultkit/config.toml": 'reviews_folder = ""\n'}, name="off")
    sync(cli, other, "2026-11-28")
    assert not (other / "Reviews").exists()


def test_a_vault_without_a_job_search_gets_no_review(cli, make_vault):
    vault = make_vault({"Notes/Recipe.md": "# Soup\n"})
    sync(cli, vault, "2026-11-28")
    assert not (vault / "Reviews").exists()


def test_the_median_is_the_one_the_statistics_module_gives():
    import random
    import statistics

    from vaultkit.review import median

    rng = random.Random(7)
    for n in range(1, 60):
        values = [rng.randint(0, 30) for _ in range(n)]
        got, expected = median(values), statistics.median(values)
        assert got == expected and type(got) is type(expected), values
