"""The Athena emulator's view of an events folder: files, their bytes and their partitions.

Athena reads S3 objects, not events, and bills (DataScannedInBytes) the stored bytes of the
objects it opens; partition pruning works by not opening the objects of partitions the
query excludes. So, unlike the Lake emulator, this keeps the file each event came from:

- A file in a trail's S3 layout,
  `.../AWSLogs/[<org id>/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<name>`, belongs to
  the partition its path names (`account`, `region`, `timestamp` = `yyyy/mm/dd`), as a
  projected table's `storage.location.template` maps it, whatever its events say.
- Any other file (the published fixtures, a console export) has no such path: each of its
  events gets the partition its own fields name (`recipientAccountId`, `awsRegion`, the
  date of `eventTime`; Hive's default-partition name where one is missing), and the file's
  bytes are shared among those partitions in proportion to their events.
- A file's bytes are its size on disk: the gzip size for `.json.gz`, the plain size for
  `.json`; that is what S3 stores and Athena scans.
- Events are not de-duplicated: a second delivery of an event is a second row, as in Athena
  (the tool's `count(DISTINCT eventid)` is what absorbs it).

File discovery and parsing are cloudtrail_events' (so CloudTrail-Digest and
CloudTrail-Insight folders are skipped, as by every emulator).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from cloudtrail_events import events_in_document, iter_event_files, read_json_file
from glue_tables import DEFAULT_PARTITION

LAYOUT = re.compile(
    r"(?:^|/)AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<account>\d{12})/CloudTrail/"
    r"(?P<region>[a-z0-9-]+)/(?P<day>\d{4}/\d{2}/\d{2})/[^/]+$"
)
EVENT_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T")


@dataclass(frozen=True, order=True)
class Partition:
    """One partition of the table: its `account`, `region` and `timestamp` (`yyyy/MM/dd`) values."""

    account: str
    region: str
    day: str

    @property
    def complete(self) -> bool:
        """Whether a projected table can hold it: every value known."""
        return DEFAULT_PARTITION not in (self.account, self.region, self.day)


@dataclass
class LogFile:
    """One file's events, each with its partition, and the file's bytes per partition."""

    path: Path
    org_id: str | None
    events: list[tuple[Partition, dict[str, Any]]]
    bytes_by_partition: dict[Partition, int]


def layout_partition(relative: str) -> tuple[str | None, Partition] | None:
    """The org id and partition a trail's S3 layout gives a file path, or None off the layout."""
    match = LAYOUT.search(relative)
    if match is None:
        return None
    return match["org"], Partition(match["account"], match["region"], match["day"])


def text_or_default(value: Any) -> str:
    return value if isinstance(value, str) and value else DEFAULT_PARTITION


def event_partition(event: dict[str, Any]) -> Partition:
    """The partition an event's own fields name, for files off the S3 layout."""
    day = EVENT_DAY.match(str(event.get("eventTime") or ""))
    return Partition(text_or_default(event.get("recipientAccountId")), text_or_default(event.get("awsRegion")),
                     "/".join(day.groups()) if day else DEFAULT_PARTITION)


def share_bytes(size: int, partitions: list[Partition]) -> dict[Partition, int]:
    """A file's bytes split among its events' partitions by event count (sums to `size`)."""
    counts = Counter(partitions)
    if not counts:
        return {}
    total = sum(counts.values())
    shares = {partition: size * count // total for partition, count in counts.items()}
    first = min(shares)
    shares[first] += size - sum(shares.values())
    return shares


def read_log_file(path: Path, root: Path) -> LogFile | None:
    """One file's events with their partitions; None (with a warning) if it holds no events."""
    events = events_in_document(read_json_file(path))
    if events is None:
        print(f"athena: skipping {path}: not a CloudTrail document", file=sys.stderr)
        return None
    size = path.stat().st_size
    relative = path.relative_to(root).as_posix() if path != root else path.name
    placed = layout_partition(relative)
    if placed is not None:
        org_id, partition = placed
        return LogFile(path, org_id, [(partition, event) for event in events], {partition: size})
    with_partitions = [(event_partition(event), event) for event in events]
    return LogFile(path, None, with_partitions, share_bytes(size, [p for p, _ in with_partitions]))


def iter_log_files(root: Path) -> Iterator[LogFile]:
    """The event files under `root` (sorted), each read with its partitions."""
    for path in iter_event_files(root):
        log_file = read_log_file(path, root)
        if log_file is not None:
            yield log_file
