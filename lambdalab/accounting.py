"""Where every event went: one ledger entry per event that enters lambdalab.

An event (an asynchronous invocation, an SQS message, a stream record) ends
in exactly one place (:data:`PLACES`): ``processed`` by the function,
``dead_lettered`` (a dead-letter queue or an SQS redrive queue), sent to an
on-failure ``destination``, ``dropped`` (with the reason: retries exhausted,
event age exceeded, record expired, ...), or still ``in_flight`` when the run
stopped. Retries and duplicates are counted, not hidden.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .table import Table, pandas

PLACES = ("processed", "dead_lettered", "destination", "dropped", "in_flight")


class Ledger:
    """Entries keyed by event id; with ``keep_entries=False`` only the counts are kept."""

    def __init__(self, keep_entries: bool = True) -> None:
        self.keep_entries = keep_entries
        self.entries: dict[str, dict[str, Any]] = {}
        self.places: Counter[str] = Counter()
        self.open = 0
        self.retries = 0

    def enter(self, event_id: str, source: str, function: str, now: float) -> None:
        self.open += 1
        if self.keep_entries:
            if event_id in self.entries:
                raise ValueError(f"event {event_id} entered twice")
            self.entries[event_id] = {
                "event_id": event_id,
                "source": source,
                "function": function,
                "received": now,
                "settled": None,
                "place": "in_flight",
                "reason": "",
                "attempts": 0,
            }

    def attempt(self, event_id: str) -> None:
        if self.keep_entries:
            self.entries[event_id]["attempts"] += 1

    def settle(self, event_id: str, place: str, now: float, reason: str = "") -> None:
        """The event's final place; settling an event twice is a bug and raises."""
        if place not in PLACES or place == "in_flight":
            raise ValueError(f"unknown final place {place!r}")
        self.open -= 1
        self.places[place] += 1
        if self.keep_entries:
            entry = self.entries[event_id]
            if entry["place"] != "in_flight":
                raise ValueError(f"event {event_id} settled twice ({entry['place']}, then {place})")
            entry.update(settled=now, place=place, reason=reason)

    def counts(self) -> dict[str, int]:
        """Events per place, ``in_flight`` included."""
        return {place: (self.open if place == "in_flight" else self.places[place]) for place in PLACES}

    def frame(self) -> Any:
        """Every entry as a pandas DataFrame, or without pandas a :class:`~lambdalab.table.Table` (``settled``:
        None while in flight, where a DataFrame may show NaN)."""
        if not self.keep_entries:
            raise RuntimeError("entries were not kept: create the simulation with keep_records=True")
        columns = ["event_id", "source", "function", "received", "settled", "place", "reason", "attempts"]
        pd = pandas()
        if pd is None:
            return Table.from_records(self.entries.values(), columns)
        return pd.DataFrame(list(self.entries.values()), columns=columns)
