"""The fast path of the front-matter reader (`fastyaml.read`) reads what PyYAML reads.

Random front-matter in and near the shape it accepts (flat `key: value` lines, flow lists,
block lists of scalars) and past its edges (nesting, comments, anchors, escapes, tabs,
odd indentation, keys PyYAML reads as bools): whenever the fast path accepts a text, its
mapping equals `yaml.safe_load`'s, value for value and type for type (a date is a date,
`yes` is True, `0x1F` is 31, `12:30` is 750), and the key lines and node count it gives
are those the PyYAML path computes.
"""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys

import yaml

from conftest import ROOT
from vaultkit import fastyaml, vault

KEYS = ("type", "name", "date", "time", "tags", "company", "a", "A", "x_y", "x-y", "_k", "k9",
        "Key", "on", "off", "yes", "No", "null", "true", "y", "n", "1", "12", "k" * 201, "é", "a b",
        "a.b", "a:b", "-a", "#a", "'a'", "k" * 1030)
PLAIN = ("contact", "Ann Lee", "12", "012", "0x1F", "0o17", "0b101", "1_000", "-3", "+4", "1:30",
         "190:20:30", "1.5", ".5", "1e3", "1.0e+3", ".inf", "-.Inf", ".nan", "1_0.5", "yes", "no",
         "on", "Off", "true", "False", "Y", "n", "~", "null", "Null", "NULL", "2026-11-20",
         "2026-1-2", "2026-02-30", "2026-11-20 10:00", "2026-11-20T10:00:00Z",
         "2026-11-20t10:00:00.5+01:00", "2026-11-20 10:00:00 -5", "10:00", "25:99", "a: b", "a #b",
         "a#b", "-a", "- a", "?x", "? x", "%x", "@x", "`x", "!x", "!!str 1", "&a x", "*a", "|", ">",
         "a,b", "a, b", "[a]", "{a}", "ünï", "a  b", "x ", "a'b", 'a"b', "https://x.y/z?q=1#f",
         "a\\b", "=", "<<", "a}", "a]b", "a:", "a:b", "x[y", "a{b", "a,", "a ,b",
         "a\x0bb", "a\x0cb", "a\x7fb", "a\x00b", "a\x1cb", "a\x85b", "a\u2028b", "a\xa0b", "a\ufeffb",
         "0.", "-", "--", "...", "---", "1e", "0x", "+", ".", "e5", "1__0")
QUOTED = ('"a"', "'a'", '""', "''", '"a b"', '"a, b"', '"[[Ann Lee]]"', "'[[Bo]]'", '"a\\"b"',
          "'it''s'", '"a\\nb"', '"12"', "'yes'", '"a', "'a", '"a"b', "'a' b", '"#x"', '"x" # c')


COMMON = ("contact", "Ann Lee", "12", "-3", "1.5", "yes", "off", "true", "null", "~", "2026-11-20",
          "2026-11-20T10:00:00Z", "10:00", "https://x.y/z", "a-b", "ux research", "Acme, Inc.")


def value(rng: random.Random, flow: bool = False) -> str:
    r = rng.random()
    if r < 0.35:
        return rng.choice(COMMON)
    if r < 0.55:
        return rng.choice(PLAIN)
    if r < 0.8 or flow:
        return rng.choice(QUOTED)
    items = [value(rng, True) if rng.random() < 0.8 else nested(rng) for _ in range(rng.randint(0, 4))]
    sep = rng.choice((", ", ",", " , ", ",  "))
    inner = sep.join(items)
    return rng.choice(("[{}]", "[ {} ]", "[{},]", "[{}", "[[{}]]")).format(inner)


def nested(rng: random.Random) -> str:
    """A flow list inside a flow list: `[[Ann Lee]]` unquoted, and what is near it."""
    inner = rng.choice((", ", ",")).join(value(rng, True) for _ in range(rng.randint(0, 3)))
    return rng.choice(("[{}]", "[ {} ]", "[{}", "{}]", "[[{}]]", "[{}] x", "[{}]]")).format(inner)


def front_matter(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 7)):
        key = rng.choice(KEYS) if rng.random() < 0.3 else rng.choice(KEYS[:7])
        r = rng.random()
        if r < 0.65:
            lines.append(f"{key}:{rng.choice((' ', ' ', '  '))}{value(rng)}{rng.choice(('', '', ' '))}")
        elif r < 0.85:
            lines.append(f"{key}:")
            indent = rng.choice(("", "  ", "  ", "    ", " "))
            for _ in range(rng.randint(0, 4)):
                dash = rng.choice(("- ", "- ", "-  ", "-", "- - "))
                item = value(rng, True) if rng.random() < 0.85 else value(rng)
                lines.append(f"{rng.choice((indent, indent, indent + ' '))}{dash}{item}")
        elif r < 0.97:
            lines.append(f"{key}:")
        else:
            lines.append(rng.choice(("# a comment", "", "  nested: 1", "\tx: 1", "k: v # c", "k: &a x",
                                     "k: *a", "k: |", "  text", "k: >-", "? k", "k : v", "k:v",
                                     "'k': v", "k: v\r", "\ufeffk: v", "k: [a,\n  b]", "k: {a: 1}")))
    text = "\n".join(lines)
    return text + "\n" if rng.random() < 0.9 else text


def same(a, b) -> bool:
    """Equal and of the same types all the way down (1 == True == 1.0, but not here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


def test_the_fast_path_reads_what_pyyaml_reads():
    vault._yaml()  # sets the fast path up
    assert fastyaml._SIMPLE is not None, "the fast path is off: PyYAML's resolvers are not the safe loader's"
    rng = random.Random(4)
    accepted = 0
    for _ in range(10000):
        text = front_matter(rng)
        if not text.strip():
            continue  # blank front-matter never gets here (split_frontmatter: no properties)
        simple = fastyaml.read(text)
        if simple is None:
            continue
        accepted += 1
        meta, key_lines, nodes = simple
        expected = yaml.safe_load(text)
        assert same(meta, expected), (text, meta, expected)
        assert same(meta, yaml.load(text, Loader=vault._yaml()[2])), text  # the loader vaultkit uses
        assert key_lines == vault._key_lines(text), text
        count = vault._node_count(expected, 10**9)
        # A repeated key counts once per line (YAML keeps one value): never fewer.
        assert nodes == count if "__repeated__" not in key_lines else nodes >= count, text
    assert accepted > 1200  # many random texts stay in the shape it reads


def test_values_of_every_kind_come_out_as_pyyaml_builds_them():
    vault._yaml()
    text = ("a: 2026-11-20\nb: 12:30\nc: yes\nd: ~\ne: '12'\nf: [1, \"x\", 2026-01-02, null]\n"
            "g:\n  - off\n  - 0x1F\nh: 2026-11-20 10:00:00\ni: 2026-11-20 10:00\n")
    meta, _, _ = fastyaml.read(text)
    assert same(meta, yaml.safe_load(text))
    assert meta["a"] == dt.date(2026, 11, 20) and meta["b"] == 750 and meta["c"] is True
    assert meta["h"] == dt.datetime(2026, 11, 20, 10, 0) and meta["i"] == "2026-11-20 10:00"  # no seconds


def test_the_scalars_read_without_pyyaml_are_those_its_table_gives():
    """`_plain` reads three cases without PyYAML: a first character no resolver is keyed by,
    the bool and null words, an ISO day. PyYAML's own table must agree."""
    table = yaml.SafeLoader.yaml_implicit_resolvers
    assert set(table) == set(fastyaml._TYPED_FIRST) | {""}
    for c in fastyaml._WORD_FIRST:
        assert {tag for tag, _ in table[c]} <= {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}, c
    # Every word of the bool and null tables, in every case, and near misses.
    words = set(fastyaml._WORDS)
    for word in list(words) + ["y", "n", "Y", "N", "yess", "nul", "nulls", "o", "of", "offf", "tru", "fals"]:
        for mask in range(2 ** len(word)):
            words.add("".join(ch.upper() if mask >> i & 1 else ch.lower() for i, ch in enumerate(word)))
    letters = "yesnotrufalYESNOTRUFAL~x"
    words.update(a + b for a in letters for b in letters)
    words.update(a + b + c for a in "yYnNoOtTfF~" for b in letters for c in letters)
    vault._yaml()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for word in sorted(words):
        if word[0] not in fastyaml._WORD_FIRST:
            continue
        expected = yaml.load(f"k: {word}", Loader=loader)["k"]
        got = fastyaml._plain(word)
        assert got == expected and type(got) is type(expected), (word, got, expected)
    for day in ("2026-11-20", "2024-02-29", "0001-01-01", "9999-12-31"):
        assert fastyaml._plain(day) == yaml.safe_load(f"k: {day}")["k"]
    for bad in ("2026-02-30", "2026-13-01", "0000-01-01"):  # PyYAML raises on these too
        assert fastyaml._plain(bad) is fastyaml._FAIL


def test_a_scalar_starting_with_a_digit_that_cannot_be_a_number_is_a_string_as_pyyaml_says():
    """`_plain` reads a digit-first scalar holding a character outside `_NUMERIC_CHARS` as a
    string without PyYAML. Only the int, float and timestamp patterns are keyed by a digit,
    and PyYAML agrees on every such scalar: typed words, and random mixes of the characters
    those patterns use with a few they do not."""
    table = yaml.SafeLoader.yaml_implicit_resolvers
    numeric = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}
    for c in "0123456789":
        assert {tag for tag, _ in table[c]} == numeric, c
    vault._yaml()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    samples = ["2026-W48", "3 weeks", "10am", "1st", "2nd round", "12h", "1e5", "0x1F", "0b101", "017",
               "1_000", "12:30", "1:20:30.5", "1.5e+3", "2026-11-20T10:00:00Z", "2026-11-20 10:00:00 -5",
               "2026-11-20t10:00:00.5", "0xABCDEFG", "3.14abc", "4 Z", "9\u00e9", "2026-11-20\u00a0"]
    rng = random.Random(7)
    pool = sorted(fastyaml._NUMERIC_CHARS - {" ", "\t"}) * 3 + list("WkmsyzgGhH\u00e9/") + [" "]
    for _ in range(3000):
        samples.append(rng.choice("0123456789") + "".join(rng.choice(pool) for _ in range(rng.randrange(1, 12))))
    for text in samples:
        text = text.rstrip()
        try:
            expected = yaml.load(f"k: {text}", Loader=loader)["k"]
        except yaml.YAMLError:
            continue  # (not a plain scalar: `:` then a blank, or ` #`)
        except ValueError:
            assert fastyaml._plain(text) is fastyaml._FAIL, text  # PyYAML raises it again
            continue
        got = fastyaml._plain(text)
        if got is fastyaml._FAIL:
            continue  # (left to PyYAML)
        assert got == expected and type(got) is type(expected), (text, got, expected)
        if not fastyaml._NUMERIC_CHARS.issuperset(text):
            assert type(expected) is str, text


def run_probe(code: str, stdin: bytes = b"") -> list[str]:
    """The words `code` prints, run by a fresh Python on this checkout's vaultkit."""
    done = subprocess.run([sys.executable, "-c", code], input=stdin, cwd=ROOT, capture_output=True, check=True)
    return done.stdout.decode().split()


def test_a_note_of_texts_dates_and_flags_is_read_without_importing_pyyaml():
    """The common front-matter (texts, links, an ISO day, a bool) needs no PyYAML: a sync that
    parses one such note does not pay for importing it; a number still takes PyYAML."""
    probe = (
        "import sys\n"
        "from vaultkit.vault import parse_note\n"
        "rec = parse_note('People/Ann.md', sys.stdin.buffer.read())\n"
        "print(rec.fields.get('date'), rec.kind, 'yaml' in sys.modules)\n"
    )
    common = b"---\ntype: contact\nstatus: met\ncompany: \"[[Acme]]\"\ndate: 2026-11-20\nremote: yes\n---\nHi\n"
    assert run_probe(probe, common) == ["2026-11-20", "contact", "False"]
    numbered = common.replace(b"remote: yes", b"rating: 4")
    assert run_probe(probe, numbered) == ["2026-11-20", "contact", "True"]


def test_an_unquoted_wikilink_property_is_read_without_pyyaml_as_pyyaml_reads_it():
    """`referred_by: [[Ann Lee]]` typed without quotes is YAML for a list holding a list:
    the fast path reads it (and a block list of them) without PyYAML, and the note's
    record is the one PyYAML's reading gives (a comment line sends the same front-matter
    to PyYAML)."""
    probe = (
        "import sys\n"
        "from vaultkit.vault import parse_note\n"
        "rec = parse_note('People/Bo.md', sys.stdin.buffer.read())\n"
        "print(repr(sorted((l.target, l.prop) for l in rec.links)).replace(' ', ''), 'yaml' in sys.modules)\n"
    )
    note = (b"---\ntype: contact\nreferred_by: [[Ann Lee]]\ntags: [a, [b, 'c']]\n"
            b"met_at:\n  - [[Acme]]\n  - \"[[Beta|B]]\"\n---\nHi\n")
    assert run_probe(probe, note) == ["[('Acme','met_at'),('AnnLee','referred_by'),('Beta','met_at')]", "False"]
    text = note.decode().split("---\n")[1]
    meta, _, _ = fastyaml.read(text)
    assert same(meta, yaml.safe_load(text))
    assert fastyaml.read(text + "# a comment\n") is None
    fast = vault.parse_note("People/Bo.md", note)
    slow = vault.parse_note("People/Bo.md", note.replace(b"---\nHi", b"# a comment\n---\nHi"))
    assert (fast.kind, fast.fields, fast.links) == (slow.kind, slow.fields, slow.links)


def test_a_changed_yaml_loader_turns_the_fast_path_off():
    """If PyYAML's safe loader was changed in this process (a bool read as text), the fast
    path steps aside for every text, its shortcuts included: the loader reads the note."""
    probe = (
        "import yaml\n"
        "loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)\n"
        "loader.add_constructor('tag:yaml.org,2002:bool', lambda l, n: l.construct_scalar(n))\n"
        "from vaultkit import fastyaml, vault\n"
        "print(fastyaml.read('k: yes\\nd: 2026-11-20\\nn: Ann\\n'))\n"
        "meta, _, _, problem = vault.split_frontmatter('A.md', '---\\nk: yes\\n---\\nbody\\n')\n"
        "print(repr(meta['k']))\n"
    )
    assert run_probe(probe) == ["None", "'yes'"]
