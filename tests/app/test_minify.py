"""The shell's scripts and stylesheet as the server sends them (app/minify.py): smaller, and
the same program. A minifier that changed one token would break the app on every phone."""

from __future__ import annotations

import pytest

from app import minify
from tests.servers import ROOT

SCRIPTS = sorted((ROOT / "pwa").rglob("*.js"))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_script_of_the_app_is_sent_smaller_as_the_same_tokens(path) -> None:
    source = path.read_bytes()
    sent = minify.js(source)
    assert len(sent) < 0.85 * len(source)  # the comments and the indentation are gone
    assert minify._parse(sent) == minify._parse(source)  # token for token the same program
    assert sent.count(b"\n") == source.count(b"\n")  # an error's line number is the source's line


def test_template_literals_are_copied_as_written_even_nested_over_lines() -> None:
    # The case a regex-based minifier (rjsmin 1.3) gets wrong: it turns ", " into ",".
    source = (b"const line = (b) => `${b.title}${(b.articles || []).length\n"
              b"    ? `, ${t('x', { list: b.articles.join(', ') })}` : ''}`;  // a comment\n")
    template = source[source.index(b"`"):source.rindex(b"`") + 1]
    sent = minify.js(source)
    assert sent == b"const line=(b)=>" + template + b";\n"  # the literal as written, the comment gone
    assert sent.count(b"\n") == 2


@pytest.mark.parametrize(("source", "sent"), [
    (b"let a = b - -c;", b"let a=b- -c;"),       # not "b--c"
    (b"let a = b + +c;", b"let a=b+ +c;"),
    (b"let a = b / /x/.source.length;", b"let a=b/ /x/.source.length;"),  # not a // comment
    (b"let a = 1 .toString();", b"let a=1 .toString();"),
    (b"return typeof x === 'string' ? x : y", b"return typeof x==='string'?x:y"),
    (b"if (a) /* gone */ b();", b"if(a)b();"),
    (b"const r = /[/]\\/*/g; // regex with slashes", b"const r=/[/]\\/*/g;"),
])
def test_tokens_that_would_run_together_keep_a_space(source: bytes, sent: bytes) -> None:
    assert minify.js(source) == sent


def test_a_script_that_does_not_parse_is_sent_as_written() -> None:
    broken = b"function ( { // not JavaScript\n"
    assert minify.js(broken) is broken


def test_the_stylesheet_is_sent_without_comments_and_spacing() -> None:
    source = (ROOT / "pwa" / "styles.css").read_bytes()
    sent = minify.css(source)
    assert b"/*" not in sent and len(sent) < 0.85 * len(source)
    assert b".top{display:flex" in sent
