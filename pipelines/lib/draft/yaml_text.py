"""Write a contract as block-style YAML with comments where a person has to look.

Contracts are read by people first: block style, keys in the order written, short lists
of plain values on one line, comments above a key (or after a value) saying why it is
there. No YAML library keeps comments, hence this small writer; every scalar it writes
is checked to read back as itself.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

INDENT = 2
FLOW_WIDTH = 90  # a list of plain values goes on one line up to this width
COMMENT_WIDTH = 100  # comment lines above a key are wrapped here
# Plain (unquoted) scalars: no indicator first, no ": " or " #" inside; in a flow list no
# commas or brackets either. Whatever passes is still read back to be sure.
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW_SPECIAL = set(",[]{}")
TODO = "TODO: review"
_GLUE = "\u00a0"  # a space textwrap does not break at


@dataclass
class Commented:
    """A value with comment lines above its key (or list item) and one after it."""

    value: Any
    above: list[str] = field(default_factory=list)
    after: str | None = None


class Quoted(str):
    """A string always written quoted: a marker such as None or 9999 must read as text."""

    __slots__ = ()


def unwrap(node: Any) -> tuple[Any, list[str], str | None]:
    if isinstance(node, Commented):
        return node.value, node.above, node.after
    return node, [], None


def to_yaml(document: dict[str, Any], header: Sequence[str] = ()) -> str:
    lines = [" ".join(("#", text)).rstrip() for text in header]
    lines += _mapping(document, 0)
    return "\n".join(lines) + "\n"


def scalar(value: Any, flow: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if not isinstance(value, Quoted) and _plain(text, flow):
        return text
    if "\n" in text or not text.isprintable():
        return json.dumps(text, ensure_ascii=False)  # a double-quoted YAML scalar
    return "'" + text.replace("'", "''") + "'"


def _plain(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or text[0] in _INDICATORS or not text.isprintable():
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and any(c in _FLOW_SPECIAL for c in text):
        return False
    try:
        return yaml.safe_load(text) == text
    except yaml.YAMLError:
        return False


def _comments(text: str, indent: int) -> list[str]:
    pad = " " * indent + "# "
    if not text:
        return [pad.rstrip()]
    # "TODO: review" stays on one line, so that searching for it finds every one.
    glued = text.replace(TODO, TODO.replace(" ", _GLUE))
    lines = textwrap.wrap(
        glued,
        COMMENT_WIDTH,
        initial_indent=pad,
        subsequent_indent=pad + "  ",
        break_on_hyphens=False,
    )
    return [line.replace(_GLUE, " ") for line in lines]


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _inline(value: Any) -> str | None:
    """An empty collection, or a short list of scalars, on one line."""
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [unwrap(v)[0] for v in value]
        if all(_is_scalar(v) for v in items) and not any(unwrap(v)[1] for v in value):
            text = "[" + ", ".join(scalar(v, flow=True) for v in items) + "]"
            if len(text) <= FLOW_WIDTH:
                return text
    return None


def _mapping(mapping: dict[str, Any], indent: int) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for key, node in mapping.items():
        value, above, after = unwrap(node)
        lines += [line for text in above for line in _comments(text, indent)]
        tail = f"  # {after}" if after else ""
        inline = scalar(value) if _is_scalar(value) else _inline(value)
        if inline is not None:
            lines.append(f"{pad}{key}: {inline}{tail}")
        elif isinstance(value, dict):
            lines.append(f"{pad}{key}:{tail}")
            lines += _mapping(value, indent + INDENT)
        else:
            lines.append(f"{pad}{key}:{tail}")
            lines += _sequence(value, indent)
    return lines


def _sequence(items: list[Any], indent: int) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for node in items:
        value, above, after = unwrap(node)
        lines += [line for text in above for line in _comments(text, indent)]
        tail = f"  # {after}" if after else ""
        if _is_scalar(value) or _inline(value) is not None:
            shown = scalar(value) if _is_scalar(value) else _inline(value)
            lines.append(f"{pad}- {shown}{tail}")
            continue
        if isinstance(value, list):
            lines.append(f"{pad}-{tail}")
            lines += _sequence(value, indent + INDENT)
            continue
        body = _mapping(value, indent + INDENT)
        # The item's first key goes on the dash's line; comments of that key stay above it.
        first = next(i for i, line in enumerate(body) if not line.lstrip().startswith("#"))
        body[first] = f"{pad}- {body[first][indent + INDENT :]}"
        if tail:
            body[first] += tail
        lines += body
    return lines
