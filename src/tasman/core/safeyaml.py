"""YAML from outside (an agency's ``identity.yaml``, a partner's directory), read with a size
limit and without aliases.

``yaml.safe_load`` builds no objects from tags, but it does follow anchors and aliases: a few
hundred bytes of ``&a [*b, *b, ...]`` (the "billion laughs") load cheaply as shared lists and then
cost gigabytes the first time anything walks or prints them. The documents read here never need
an alias, so :func:`loads` refuses the first one with a ``yaml.YAMLError`` that says where it
is, and refuses a document over ``max_bytes`` before parsing it.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.nodes import Node

MAX_BYTES = 1 << 20


class _NoAliasLoader(yaml.SafeLoader):
    """``SafeLoader`` that stops at the first alias (``*name``) instead of resolving it."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ComposerError(None, None, f"an alias (*{event.anchor}) is not accepted here", event.start_mark)
        return super().compose_node(parent, index)


class TooLargeError(ValueError):
    """A YAML document over its size limit."""


def loads(text: str | bytes, max_bytes: int = MAX_BYTES) -> Any:
    """Parse one YAML document of at most ``max_bytes``, refusing aliases.

    Raises :class:`TooLargeError` (a ``ValueError``) for a document over the limit, and
    ``yaml.YAMLError`` for one that is malformed or holds an alias."""
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > max_bytes:
        raise TooLargeError(f"YAML document of {size} bytes is over the {max_bytes}-byte limit")
    return yaml.load(text, Loader=_NoAliasLoader)   # a SafeLoader subclass
