"""Run detections (registered or Sigma) over a DuckDB connection to the lake; return alerts.

The connection has the lake's views ``cloudtrail`` and ``flowlogs``. The run first loads the
events of the time window (``since``/``until``) into tables of the same names in a schema of
their own, first on DuckDB's search path, so the detections' SQL stays as written and the Parquet
is scanned once.
One failing query never aborts the run: it becomes an :class:`RunError` next to the alerts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from secpillar.detect.registry import ALERT_COLUMNS, Detection, ParamValue
from secpillar.model import Severity

WINDOW_SCHEMA = "secpillar_detect_window"


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert: a detection fired on a set of events."""

    detection_id: str
    title: str
    severity: Severity
    source: str
    """``cloudtrail``, ``flowlogs`` or ``sigma``."""
    guardduty: str | None
    attack: tuple[str, ...]
    tactic: str
    wa: tuple[str, ...]
    event_ids: tuple[str, ...]
    principal: str | None
    source_ip: str | None
    account: str | None
    region: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    count: int
    resource: str | None
    detail: str | None

    @property
    def uid(self) -> str:
        """Stable id: the same detection on the same events keeps its id across runs."""
        basis = ",".join(self.event_ids) or f"{self.principal}|{self.resource}|{self.first_seen}"
        return hashlib.sha256(f"{self.detection_id}\x00{basis}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class RunError:
    detection_id: str
    message: str


@dataclass
class RunResult:
    alerts: list[Alert] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def rows_to_alerts(det: Detection, rows: Iterable[Sequence[Any]]) -> list[Alert]:
    out = []
    for row in rows:
        rec = dict(zip(ALERT_COLUMNS, row, strict=True))
        out.append(
            Alert(
                detection_id=det.id,
                title=det.title,
                severity=det.severity,
                source="sigma" if det.id.startswith("sigma.") else det.source,
                guardduty=det.guardduty,
                attack=tuple(det.attack),
                tactic=det.tactic,
                wa=tuple(det.wa),
                event_ids=tuple(sorted(str(e) for e in rec["event_ids"] or () if e is not None)),
                principal=rec["principal"],
                source_ip=rec["source_ip"],
                account=rec["account"],
                region=rec["region"],
                first_seen=_as_utc(rec["first_seen"]),
                last_seen=_as_utc(rec["last_seen"]),
                count=int(rec["event_count"] or 0),
                resource=rec["resource"],
                detail=rec["detail"],
            )
        )
    return out


def _qualified(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The fully qualified name of the view or table ``name`` the connection resolves today."""
    row = con.execute(
        "SELECT database_name, schema_name FROM duckdb_views() "
        "WHERE view_name = ? AND NOT internal AND schema_name <> ? "
        "UNION ALL SELECT database_name, schema_name FROM duckdb_tables() "
        "WHERE table_name = ? AND schema_name <> ? LIMIT 1",
        [name, WINDOW_SCHEMA, name, WINDOW_SCHEMA],
    ).fetchone()
    if row is None:
        return name
    return f'"{row[0]}"."{row[1]}"."{name}"'


def prepare(con: duckdb.DuckDBPyConnection, since: datetime | None, until: datetime | None) -> None:
    """Load the events of ``[since, until)`` once into tables named ``cloudtrail`` and ``flowlogs``
    that shadow the lake's views (a schema first on the search path). Every detection then reads
    memory instead of scanning the Parquet again: about four times faster over a whole run."""
    lo = (since or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None)
    hi = (until or datetime(9999, 1, 1, tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None)
    key = f"{lo.isoformat()}/{hi.isoformat()}"
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {WINDOW_SCHEMA}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {WINDOW_SCHEMA}._window (span VARCHAR)")
    done = con.execute(f"SELECT span FROM {WINDOW_SCHEMA}._window").fetchone()
    if done is not None and done[0] == key:
        return
    sources = {name: _qualified(con, name) for name in ("cloudtrail", "flowlogs")}
    ct_filter = ""
    fl_filter = ""
    if since is not None or until is not None:
        ct_filter = (
            f" WHERE CAST(eventtime AS TIMESTAMP) >= TIMESTAMP '{lo.isoformat(sep=' ')}'"
            f" AND CAST(eventtime AS TIMESTAMP) < TIMESTAMP '{hi.isoformat(sep=' ')}'"
        )
        lo_s, hi_s = int(lo.replace(tzinfo=UTC).timestamp()), int(hi.replace(tzinfo=UTC).timestamp())
        fl_filter = f" WHERE start >= {lo_s} AND start < {hi_s}"
    order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    # loading in any order lets both cores insert at once: half the time over 1M events
    con.execute("SET preserve_insertion_order = false")
    try:
        for name, where in (("cloudtrail", ct_filter), ("flowlogs", fl_filter)):
            if sources[name] == name:
                continue  # the lake has no such view: detections over it will report the error
            con.execute(
                f"CREATE OR REPLACE TABLE {WINDOW_SCHEMA}.{name} AS SELECT * FROM {sources[name]}{where}"
            )
    finally:
        con.execute(f"SET preserve_insertion_order = {bool(order[0]) if order else True}")
    con.execute(f"DELETE FROM {WINDOW_SCHEMA}._window")
    con.execute(f"INSERT INTO {WINDOW_SCHEMA}._window VALUES (?)", [key])
    current = con.execute("SELECT current_setting('search_path')").fetchone()
    rest = str(current[0]) if current and current[0] else "main"
    if not rest.startswith(WINDOW_SCHEMA):
        con.execute(f"SET search_path = '{WINDOW_SCHEMA},{rest}'")


def run_detections(
    con: duckdb.DuckDBPyConnection,
    detections: Sequence[Detection],
    params: Mapping[str, Mapping[str, ParamValue]] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    on_done: Callable[[Detection], None] | None = None,
) -> RunResult:
    """Run every detection; alerts ordered by first seen, then detection id."""
    params = params or {}
    result = RunResult()
    prepare(con, since, until)
    for det in detections:
        try:
            sql = det.render(params.get(det.id))
            rows = con.execute(sql).fetchall()
            result.alerts.extend(rows_to_alerts(det, rows))
            result.ran.append(det.id)
        except duckdb.Error as exc:
            result.errors.append(RunError(det.id, str(exc).splitlines()[0]))
        if on_done is not None:
            on_done(det)
    floor = datetime.min.replace(tzinfo=UTC)
    result.alerts.sort(key=lambda a: (a.first_seen or floor, a.detection_id, a.event_ids))
    return result
