"""Loads CloudTrail events from a folder tree, the way a trail's S3 bucket lays them out.

The AWS emulators (CloudTrail Lake now; Athena and LookupEvents later) all answer from the
same evidence the Rust tool reads from log files, so each test can check that every source
gives the same report. This module is that shared front half: it finds the files, reads
them and de-duplicates the events, and knows nothing about any one service's schema.

Accepted files, at any depth:
- `*.json.gz` and `*.json`;
- each holding `{"Records": [...]}` (a trail's delivery), a single event object (a
  published example), or a JSON list of events.
Folders named `CloudTrail-Digest` (signed hashes, not events) and `CloudTrail-Insight`
(Insights events, another schema) are skipped. A JSON file that is none of the above is
skipped with a warning on stderr rather than failing the load, so a stray manifest beside
the logs does not break a test, but does show.

CloudTrail may deliver an event more than once; events are de-duplicated by `eventID`,
keeping the first seen in sorted path order (deterministic across runs). Events without
an `eventID` are all kept.
"""

from __future__ import annotations

import gzip
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

SKIPPED_FOLDERS = frozenset({"CloudTrail-Digest", "CloudTrail-Insight"})
EVENT_SUFFIXES = (".json.gz", ".json")
# Keys that only a CloudTrail event object carries at its top level.
EVENT_MARKERS = frozenset({"eventID", "eventTime", "eventVersion", "eventName"})

Event = dict[str, Any]


@dataclass
class LoadedEvents:
    """The events of a tree, with what a test may want to assert about the load."""

    events: list[Event] = field(default_factory=list)
    files_read: int = 0
    duplicates_dropped: int = 0
    files_skipped: list[Path] = field(default_factory=list)


def iter_event_files(root: Path) -> Iterator[Path]:
    """Yields the event files under `root` (or `root` itself if it is a file), sorted."""
    if root.is_file():
        yield root
        return
    if not root.is_dir():
        raise FileNotFoundError(f"no such events folder: {root}")
    for path in sorted(root.rglob("*")):
        if not path.is_file() or not path.name.endswith(EVENT_SUFFIXES):
            continue
        if SKIPPED_FOLDERS.intersection(path.relative_to(root).parts[:-1]):
            continue
        yield path


def read_json_file(path: Path) -> Any:
    """Parses one file, decompressing it first when its name ends in `.gz`."""
    if path.name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return json.load(handle)
    with path.open("r", encoding="utf-8") as handle:
        return json.load(handle)


def events_in_document(document: Any) -> list[Event] | None:
    """The events a parsed file holds, or None when it is not a CloudTrail document."""
    if isinstance(document, dict) and isinstance(document.get("Records"), list):
        records = document["Records"]
    elif isinstance(document, dict) and EVENT_MARKERS.intersection(document):
        records = [document]
    elif isinstance(document, list):
        records = document
    else:
        return None
    return [record for record in records if isinstance(record, dict)]


def deduplicate(events: Iterable[Event]) -> tuple[list[Event], int]:
    """Keeps the first event of each `eventID`; returns the kept events and the drop count."""
    seen: set[str] = set()
    kept: list[Event] = []
    dropped = 0
    for event in events:
        event_id = event.get("eventID")
        if isinstance(event_id, str):
            if event_id in seen:
                dropped += 1
                continue
            seen.add(event_id)
        kept.append(event)
    return kept, dropped


def load_events(root: Path | str) -> LoadedEvents:
    """Reads every event file under `root` and returns the de-duplicated events."""
    loaded = LoadedEvents()
    collected: list[Event] = []
    for path in iter_event_files(Path(root)):
        events = events_in_document(read_json_file(path))
        if events is None:
            print(f"cloudtrail_events: skipping {path}: not a CloudTrail document", file=sys.stderr)
            loaded.files_skipped.append(path)
            continue
        loaded.files_read += 1
        collected.extend(events)
    loaded.events, loaded.duplicates_dropped = deduplicate(collected)
    return loaded
