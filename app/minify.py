"""The shell's JavaScript and CSS as sent: without comments and indentation.

A first visit on a 2G line waits for every byte of the first screen's modules, and about a
third of their compressed size is comments and indentation (docs/pwa.md "Loading"). The files
in pwa/ stay as written; the server sends them minified (`app/pwa.py` `_snapshot`).

JavaScript is parsed with tree-sitter's JavaScript grammar, not matched with regular
expressions (regex-based minifiers get nested template literals wrong), and written back token
by token: comments dropped, spaces kept only where two tokens would otherwise run together, and
every line break kept, so a line number in an error report is still the line in the source
file. Strings, template literals and regular expressions are copied as they are. The result is
parsed again and must give the same tokens; if it does not, or the source does not parse, the
file is sent unchanged. CSS goes through rcssmin.
"""

from __future__ import annotations

import rcssmin
import tree_sitter_javascript
from tree_sitter import Language, Node, Parser

_JS = Language(tree_sitter_javascript.language())
# Copied whole: their insides are not tokens to respace.
_VERBATIM = frozenset({"string", "template_string", "regex", "hash_bang_line"})
_COMMENTS = frozenset({"comment", "html_comment"})
# Two tokens written together would read as one: words, `+ +`, `- -`, `/ /` (a comment), `1 .x`.
_JOINING = frozenset("+-/.")


def _atoms(root: Node) -> list[Node]:
    """The tree's tokens in source order (comments included), verbatim nodes as one token."""
    found: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.child_count == 0 or node.type in _VERBATIM:
            found.append(node)
        else:
            stack.extend(reversed(node.children))
    return found


def _word(ch: str) -> bool:
    return ch.isalnum() or ch in "_$\\" or ord(ch) > 127


def _needs_space(before: str, after: str) -> bool:
    if _word(before[-1]) and _word(after[0]):
        return True
    return before[-1] in _JOINING and after[0] in _JOINING or (before[-1].isdigit() and after[0] == ".")


def _tokens(source: bytes) -> list[Node] | None:
    """The source's tokens without comments, or None when it does not parse."""
    tree = Parser(_JS).parse(source)
    if tree.root_node.has_error:
        return None
    return [n for n in _atoms(tree.root_node) if n.type not in _COMMENTS]


def _signature(tokens: list[Node]) -> list[tuple[str, bytes]]:
    return [(n.type, n.text or b"") for n in tokens]


def _parse(source: bytes) -> list[tuple[str, bytes]] | None:
    """What two versions of a script must share to be the same program: their tokens."""
    tokens = _tokens(source)
    return None if tokens is None else _signature(tokens)


def js(source: bytes) -> bytes:
    """`source` minified, or unchanged when it does not parse or the result would differ."""
    tokens = _tokens(source)
    if tokens is None:
        return source
    out: list[bytes] = []
    end = 0
    previous = ""
    for node in tokens:
        text = node.text or b""
        word = text.decode()
        gap = source[end:node.start_byte]
        lines = gap.count(b"\n")
        if lines:
            out.append(b"\n" * lines)
        elif gap and previous and _needs_space(previous, word[:1] or " "):
            out.append(b" ")
        out.append(text)
        previous = word
        end = node.end_byte
    out.append(b"\n" * source[end:].count(b"\n"))
    result = b"".join(out)
    return result if _parse(result) == _signature(tokens) else source


def css(source: bytes) -> bytes:
    return rcssmin.cssmin(source.decode()).encode()
