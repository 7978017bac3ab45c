"""How DynamoDB on-demand prices a request: one set of rules for the cost model (infra.cost)
and the benchmarks' write counter (bench._common.WriteCounter), so their figures agree.

Item sizes follow DynamoDB's sizing: attribute names plus values; strings and binaries their
length, a number about one byte per two significant digits plus one, lists and maps 3 bytes
plus one per element. Moto answers ReturnConsumedCapacity with constants (and nothing for
TransactWriteItems), so the callers read each item before and after a write and price it here:

* the table: one WRU per started KB of the larger of the two images, twice inside
  TransactWriteItems (DynamoDB prepares and commits each item);
* a ConditionCheck inside a transaction: priced as a transactional write of the item it checks
  (the conservative reading; it changes nothing, so it touches no index);
* each global secondary index (every index here projects ALL): a write per index entry added,
  changed or removed (two when the item's index key changes: a delete and a put), one WRU per
  started KB of the entry (the item plus 100 bytes of index overhead); nothing when neither the
  key nor any attribute changed. Index entries are propagated after a transaction commits, as
  ordinary writes: not doubled (`index_wru`); `index_wru_if_doubled` is the upper bound if AWS
  billed them transactionally;
* reads: one RRU per started 4 KB strongly consistent, half eventually consistent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

KB = 1024
READ_UNIT_BYTES = 4 * KB
INDEX_ENTRY_OVERHEAD = 100  # bytes DynamoDB adds to each index entry's size

#: one attribute value in DynamoDB JSON: `{"S": "…"}`, `{"N": "12"}`, `{"L": [...]}`, …
AttributeValue: TypeAlias = Mapping[str, Any]
#: an item (or a key) in DynamoDB JSON: attribute name → value
Item: TypeAlias = Mapping[str, AttributeValue]


def attribute_size(value: AttributeValue) -> int:
    """Bytes of one attribute value in DynamoDB JSON (`{"S": "…"}`, `{"N": "12"}`, …)."""
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode("utf-8"))
    if kind == "N":
        digits = v.lstrip("-").replace(".", "").lstrip("0") or "0"
        return (len(digits.split("e")[0].split("E")[0]) + 1) // 2 + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in v)
    if kind == "NS":
        return sum(attribute_size({"N": n}) for n in v)
    if kind == "BS":
        return sum(len(b) for b in v)
    if kind == "L":
        return 3 + sum(1 + attribute_size(e) for e in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + attribute_size(e) for k, e in v.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Item | None) -> int:
    """Bytes of an item (DynamoDB JSON): attribute names plus values."""
    return sum(len(name.encode("utf-8")) + attribute_size(value) for name, value in (item or {}).items())


def write_units(size: int) -> int:
    """Write request units of writing an item of `size` bytes once: one per started KB."""
    return max(1, -(-size // KB))


def read_units(size: int, consistent: bool) -> float:
    """Read request units of reading `size` bytes (a GetItem's item, a Query's page)."""
    return max(1, -(-size // READ_UNIT_BYTES)) * (1.0 if consistent else 0.5)


@dataclass
class WriteCost:
    """What one item written costs: `table_wru`, and per index the sizes of the entries written."""

    table_wru: int = 0
    index_entries: dict[str, list[int]] = field(default_factory=dict)
    transactional: bool = False

    @property
    def index_wru(self) -> int:
        return sum(write_units(size + INDEX_ENTRY_OVERHEAD) for sizes in self.index_entries.values() for size in sizes)

    @property
    def index_wru_if_doubled(self) -> int:
        return self.index_wru * (2 if self.transactional else 1)

    @property
    def wru(self) -> int:
        return self.table_wru + self.index_wru


def _index_key(item: Item | None, attrs: Sequence[str]) -> tuple[str, ...] | None:
    if not item or any(a not in item for a in attrs):
        return None
    return tuple(str(item[a]) for a in attrs)


def write_cost(
    before: Item | None,
    after: Item | None,
    indexes: Mapping[str, Sequence[str]],
    transactional: bool = False,
    check: bool = False,
) -> WriteCost:
    """The cost of one item's write, from its images `before` and `after` (None: absent) and
    the table's GSIs (`{name: [hash attribute, range attribute?]}`). `check`: a ConditionCheck."""
    factor = 2 if transactional else 1
    cost = WriteCost(
        table_wru=factor * write_units(max(item_size(before), item_size(after))), transactional=transactional
    )
    if check:
        return cost
    for name, attrs in indexes.items():
        was, now = _index_key(before, attrs), _index_key(after, attrs)
        if was is None and now is None or (was == now and before == after):
            continue  # not in the index, or nothing in the entry changed
        if was == now:
            cost.index_entries[name] = [max(item_size(before), item_size(after))]
        else:
            cost.index_entries[name] = [item_size(x) for x, k in ((before, was), (after, now)) if k is not None]
    return cost
