"""The one YAML reader for files a partnership supplies (``config.yaml``, definition files).

``yaml.safe_load`` builds no Python objects, but it still expands aliases (a few lines of
``&a``/``*a`` can expand to billions of nodes: an "alias bomb") and silently keeps the last of
two equal keys. Settings files need neither, so :func:`load` refuses both, naming the line.

Examples
--------
>>> load("a: 1\\nb: [x, y]\\n")
{'a': 1, 'b': ['x', 'y']}
>>> try:
...     load("a: &x [1]\\nb: *x\\n")
... except YamlRefused as exc:
...     print(exc)
line 1: defines a YAML anchor (&x); anchors and aliases are not allowed in settings files, write the value out
>>> try:
...     load("a: 1\\na: 2\\n")
... except YamlRefused as exc:
...     print(exc)
line 2: key 'a' appears twice in the same map (first on line 1); keep one
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["YamlRefused", "load"]


class YamlRefused(yaml.YAMLError):
    """The text is YAML but uses a construct settings files may not use; ``line`` is 1-based."""

    def __init__(self, line: int | None, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line else message)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases/anchors and with duplicate keys refused."""

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlRefused(event.start_mark.line + 1,
                              f"uses a YAML alias (*{event.anchor}); anchors and aliases are not allowed "
                              "in settings files, write the value out")
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise YamlRefused(event.start_mark.line + 1,
                              f"defines a YAML anchor (&{anchor}); anchors and aliases are not allowed "
                              "in settings files, write the value out")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # noqa: ANN001 - PyYAML signature
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _value in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise YamlRefused(key_node.start_mark.line + 1,
                                      "uses a YAML merge key (<<); write the settings out")
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise YamlRefused(key_node.start_mark.line + 1, "has a map or list used as a key") from None
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise YamlRefused(line, f"key {key!r} appears twice in the same map "
                                            f"(first on line {seen[key]}); keep one")
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping)


def load(text: str) -> Any:
    """Parse settings YAML; raise :class:`YamlRefused` for aliases, anchors, merge keys and
    duplicate keys, and :class:`yaml.YAMLError` for invalid YAML."""
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
