"""Thank-you drafts carry a `mailto:` link (RFC 6068) that opens the letter in a mail app."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from conftest import TODAY

SEND = re.compile(r"^- \*\*Send:\*\* \[Open as an email\]\((mailto:[^)\s]+)\)$", re.M)


def contact(extra: str = "") -> str:
    return f"---\ntype: contact\n{extra}---\n"


def sync(cli, vault):
    result = cli("sync", "--vault", vault, "--today", TODAY)
    assert result.exit_code == 0, result.output


def draft_parts(text: str) -> tuple[str, str, str]:
    """(the mailto URL, the Subject line's text, the letter as the draft shows it)."""
    (url,) = SEND.findall(text)
    subject = re.search(r"^- \*\*Subject:\*\* (.+)$", text, re.M).group(1)
    letter = text[text.index("\n", text.index("- **Send:**")) + 2:text.index("\n\n## Before you send")]
    assert letter.startswith("Dear ")
    return url, subject, letter


def parsed(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(url)
    assert parts.scheme == "mailto"
    return unquote(parts.path), parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)


VAULT = {
    "People/Ann Lee.md": contact('company: "[[Acme & Söhne]]"\nemail: ann+jobs@acme.example\n'),
    "Companies/Acme & Söhne.md": "---\ntype: company\n---\n",
    "People/Bo Chen.md": contact('referred_by: "[[Ann Lee]]"\n'),
    "People/Cy Diaz.md": contact(),
    "Interviews/2026-11-20 Ann Lee.md": (
        '---\ntype: interview\ncontact: "[[Ann Lee]]"\ndate: 2026-11-20\nreferrals: ["[[Bo Chen]]"]\n---\n'
        "## Notes\n- Pay & titles: 50% remote? #hiring (really)\n"),
    "Interviews/2026-11-21 Cy Diaz.md": '---\ntype: interview\ncontact: "[[Cy Diaz]]"\ndate: 2026-11-21\n---\n',
}


def test_interview_thank_you_opens_as_an_email(cli, make_vault):
    vault = make_vault(VAULT)
    sync(cli, vault)
    text = (vault / "Thank-yous/2026-11-20 Ann Lee - thank-you.md").read_text("utf-8")
    url, subject, letter = draft_parts(text)
    to, fields = parsed(url)
    assert to == "ann+jobs@acme.example"
    assert fields["subject"] == [subject] == ["Thank you for your time on November 20, 2026"]
    assert fields["body"] == [letter.replace("\n", "\r\n")]
    assert "Pay & titles: 50% remote? #hiring (really)" in letter and "Acme & Söhne" in letter
    assert set(fields) == {"subject", "body"}
    # Encoded as RFC 6068 asks: %20 for a space (never +), CRLF line breaks, nothing raw.
    assert "+" not in url.removeprefix("mailto:ann+jobs@acme.example")
    assert "%20" in url and "%0D%0A%0D%0A" in url and not re.search(r"(?<!%0D)%0A", url)
    assert re.fullmatch(r"mailto:[A-Za-z0-9@.+%_~-]+\?subject=[A-Za-z0-9%._~-]+&body=[A-Za-z0-9%._~-]+", url)


def test_referral_thank_you_opens_as_an_email(cli, make_vault):
    vault = make_vault(VAULT)
    sync(cli, vault)
    text = (vault / "Thank-yous/Ann Lee - referral of Bo Chen.md").read_text("utf-8")
    url, subject, letter = draft_parts(text)
    to, fields = parsed(url)
    assert to == "ann+jobs@acme.example"
    assert fields["subject"] == [subject] == ["Thank you for introducing me to Bo Chen"]
    assert fields["body"] == [letter.replace("\n", "\r\n")]
    assert letter.startswith("Dear Ann,\n\n") and letter.endswith("[Your name]")


def test_without_an_email_the_draft_says_which_property_to_add(cli, make_vault):
    vault = make_vault(VAULT)
    sync(cli, vault)
    text = (vault / "Thank-yous/2026-11-21 Cy Diaz - thank-you.md").read_text("utf-8")
    assert "mailto:" not in text and "- **To:**" not in text
    assert "- **Send:** no email address for Cy Diaz yet — add `email:` to their contact note" in text
    assert 'vaultkit sync --regenerate "thank-you:' in text
    assert "\n\nDear Cy,\n" in text


def test_an_imported_email_reaches_the_thank_you(cli, make_vault, tmp_path):
    vault = make_vault({"Interviews/2026-11-20 Dana Wu.md":
                        '---\ntype: interview\ncontact: "[[Dana Wu]]"\ndate: 2026-11-20\n---\n'})
    (tmp_path / "c.vcf").write_bytes(b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Dana Wu\r\n"
                                     b"EMAIL:dana@wu.example\r\nEND:VCARD\r\n")
    assert cli("import", "contacts", tmp_path / "c.vcf", "--vault", vault,
               env={"VAULTKIT_TODAY": TODAY}).exit_code == 0
    sync(cli, vault)
    url, _, _ = draft_parts((vault / "Thank-yous/2026-11-20 Dana Wu - thank-you.md").read_text("utf-8"))
    assert parsed(url)[0] == "dana@wu.example"
