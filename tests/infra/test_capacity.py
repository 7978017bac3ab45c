"""The pricing rules the cost model and the benchmarks share (infra.capacity): a figure in the
README's cost table is only as good as these."""

from __future__ import annotations

from infra.capacity import INDEX_ENTRY_OVERHEAD, KB, item_size, read_units, write_cost

INDEXES = {"by_org": ["gpk", "gsk"]}


def item(size_of_data: int, **attrs) -> dict:
    return {"pk": {"S": "c#1"}, "data": {"S": "x" * size_of_data}, **{k: {"S": v} for k, v in attrs.items()}}


def test_sizes_count_names_and_values_as_dynamodb_does():
    assert item_size({"n": {"N": "12345"}}) == 1 + 4  # 5 digits: 3 bytes, +1
    assert item_size({"ab": {"S": "回响"}}) == 2 + 6  # UTF-8 bytes
    assert item_size({"m": {"M": {"k": {"BOOL": True}}}}) == 1 + 3 + 1 + 1 + 1
    assert read_units(4 * KB, consistent=True) == 1 and read_units(4 * KB + 1, consistent=False) == 1.0


def test_a_write_costs_the_larger_image_per_started_kb_and_twice_in_a_transaction():
    small, large = item(10), item(1500)
    assert write_cost(small, large, {}).table_wru == 2
    assert write_cost(large, small, {}).table_wru == 2  # shrinking costs the old size
    assert write_cost(None, small, {}, transactional=True).table_wru == 2


def test_index_entries_are_written_only_where_the_index_changes():
    before = item(10, gpk="org#A", gsk="1")
    assert write_cost(before, before, INDEXES).index_wru == 0  # nothing changed
    assert write_cost(before, {**before, "data": {"S": "y"}}, INDEXES).index_entries == {
        "by_org": [item_size(before)]
    }  # the entry rewritten
    moved = write_cost(before, item(10, gpk="org#B", gsk="1"), INDEXES)
    assert len(moved.index_entries["by_org"]) == 2  # a delete and a put
    assert write_cost(item(10), item(20), INDEXES).index_entries == {}  # never in the index
    near_kb = item(KB - INDEX_ENTRY_OVERHEAD, gpk="org#A", gsk="1")
    assert write_cost(None, near_kb, INDEXES).index_wru == 2  # overhead crosses the KB


def test_a_transaction_doubles_the_table_not_the_index_unless_asked_for_the_upper_bound():
    cost = write_cost(None, item(10, gpk="org#A", gsk="1"), INDEXES, transactional=True)
    assert (cost.table_wru, cost.index_wru, cost.wru, cost.index_wru_if_doubled) == (2, 1, 3, 2)
    check = write_cost(
        item(10, gpk="org#A", gsk="1"), item(10, gpk="org#A", gsk="1"), INDEXES, transactional=True, check=True
    )
    assert (check.table_wru, check.index_wru) == (2, 0)  # a condition check
