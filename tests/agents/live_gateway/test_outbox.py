"""The per-client queue policy: old ticks go first, order updates never silently."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agents.live_gateway import Outbox


def test_full_queue_drops_the_oldest_tick_for_a_new_message() -> None:
    box = Outbox(3)
    for message, tick in (("t1", True), ("u1", False), ("t2", True), ("u2", False)):
        assert box.offer(message, tick)
    assert box.dropped_ticks == 1
    assert [box.pop() for _ in range(4)] == ["u1", "t2", "u2", None]


def test_update_into_a_queue_of_updates_overflows_and_stays_overflowed() -> None:
    box = Outbox(2)
    assert box.offer("u1", False)
    assert box.offer("u2", False)
    assert box.offer("t1", True)  # a tick into a queue of updates is dropped, not fatal
    assert box.dropped_ticks == 1
    assert not box.offer("u3", False)
    assert box.overflowed
    assert not box.offer("t2", True)


@given(st.lists(st.booleans(), max_size=200), st.integers(min_value=1, max_value=20))
def test_updates_are_kept_in_order_until_overflow(kinds: list[bool], capacity: int) -> None:
    box = Outbox(capacity)
    accepted_updates, sent = [], []
    for index, tick in enumerate(kinds):
        message = f"{'t' if tick else 'u'}{index}"
        if box.offer(message, tick) and not tick:
            accepted_updates.append(message)
        assert len(box) <= capacity
        if index % 7 == 6:  # the sender catches up a little now and then
            popped = box.pop()
            if popped is not None:
                sent.append(popped)
    while (popped := box.pop()) is not None:
        sent.append(popped)
    assert [m for m in sent if m[0] == "u"] == accepted_updates
    assert sent == sorted(sent, key=lambda m: int(m[1:]))  # arrival order
    if not box.overflowed:  # every tick was either sent or counted as dropped
        assert box.dropped_ticks == kinds.count(True) - sum(m[0] == "t" for m in sent)
        assert len(accepted_updates) == kinds.count(False)
