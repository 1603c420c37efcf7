"""A build's facts held compactly: one msgpack blob per fact, decoded when it is read.

A dump build holds every fact of its request until the rows are made. As objects a fact of the
generated dump takes about 1.2 kB (statements, values, dates, qualifier dicts, their strings); as
a msgpack blob about a fifth of that. :class:`FactStore` keeps the blobs and each fact's id, so
the build filters and sorts by id without decoding and decodes a fact each time it reads one
(msgspec: about a microsecond). Without msgspec the facts are kept as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kcdata.types import Fact

try:  # the ``fast`` extra; the dump's hot loop uses it too (kcdata.facts.fast)
    import msgspec
except ImportError:  # pragma: no cover - depends on the environment
    msgspec = None

_ENCODE = msgspec.msgpack.Encoder().encode if msgspec is not None else None
_DECODE = msgspec.msgpack.Decoder(Fact).decode if msgspec is not None else None


class FactStore(Sequence[Fact]):
    """Facts in the order they were added, as compact blobs, each decoded when it is read
    (an equal :class:`~kcdata.types.Fact`, a new object each time)."""

    def __init__(self, facts: Iterable[Fact] = ()) -> None:
        self._items: list[Any] = []
        self.ids: list[str] = []
        """Each fact's id (``Q42:P27``), in order, readable without decoding."""
        self.extend(facts)

    def append(self, fact: Fact) -> None:
        self._items.append(_ENCODE(fact) if _ENCODE is not None else fact)
        self.ids.append(fact.id)

    def extend(self, facts: Iterable[Fact]) -> None:
        for fact in facts:
            self.append(fact)

    def relation(self, index: int) -> str:
        """The relation of fact ``index``, from its id."""
        return self.ids[index].rpartition(":")[2]

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        item = self._items[index]
        return _DECODE(item) if _DECODE is not None else item

    def __iter__(self) -> Iterator[Fact]:
        decode = _DECODE
        return (decode(item) for item in self._items) if decode is not None else iter(self._items)


def fact_ids(facts: Sequence[Fact]) -> Sequence[str]:
    """The ids of ``facts`` (a store's without decoding)."""
    return facts.ids if isinstance(facts, FactStore) else [f.id for f in facts]


__all__ = ["FactStore", "fact_ids"]
