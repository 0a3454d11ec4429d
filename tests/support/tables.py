"""Roe tables for the test servers: SQLite in memory standing in for ClickHouse, answering in the
shapes of `openapi-tables-control.yml`.

Seeded with `companies` (five rows: a revenue of 0.0, a null country) and `events` (1,500 rows, so
a query without a narrow LIMIT comes back `truncated`). A query is answered PENDING on its first
result poll and SUCCESS on the next; one whose SQL holds `/* slow */` stays PENDING, STARTED and
RETRY for three polls first. SQL SQLite refuses is a FAILURE whose `error` reads like ClickHouse's
(`Code: 62. DB::Exception: ...`). Undocumented, and chosen here: SQL that is not a SELECT or WITH
is a `400 {"sql": [...]}`; uploading a name that exists is a `400` bare list; a preview `limit`
past 50 is a `400` field map. Counters (`submitted`, `polls`, `uploads`, `deletions`) keep what was
asked, in order.
"""

from __future__ import annotations

import csv
import email.parser
import email.policy
import io
import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

COMPANIES = [
    (1, "Acme", "US", 120.5),
    (2, "Globex", "DE", 0.0),
    (3, "Initech", None, 64.0),
    (4, "Umbrella", "GB", 310.25),
    (5, "Hooli", "US", 98.0),
]
EVENT_ROWS = 1500
SLOW_MARK = "/* slow */"
CREATED_AT = "2026-01-05T10:00:00Z"
_TYPES = {"INTEGER": "Int64", "REAL": "Float64", "TEXT": "String"}


@dataclass
class Query:
    sql: str
    limit: int
    waits: list[str]
    """The states its next polls answer before it ends."""


@dataclass
class Tables:
    """The organization's tables in SQLite, and the queries submitted over them."""

    db: sqlite3.Connection = field(
        default_factory=lambda: sqlite3.connect(":memory:", check_same_thread=False)
    )
    queries: dict[str, Query] = field(default_factory=dict)
    submitted: list[str] = field(default_factory=list)
    """The SQL of every query submitted, in order."""
    polls: list[str] = field(default_factory=list)
    """The query id of every result poll, in order."""
    uploads: list[str] = field(default_factory=list)
    """The name of every table an upload created."""
    deletions: list[str] = field(default_factory=list)
    """The name of every table a delete dropped."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.db.execute(
            "CREATE TABLE companies (id INTEGER, company TEXT, country TEXT, revenue REAL)"
        )
        self.db.executemany("INSERT INTO companies VALUES (?, ?, ?, ?)", COMPANIES)
        self.db.execute("CREATE TABLE events (id INTEGER, kind TEXT)")
        self.db.executemany(
            "INSERT INTO events VALUES (?, ?)",
            [(n, "click" if n % 3 else "view") for n in range(EVENT_ROWS)],
        )

    def route(
        self, method: str, path: str, query: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, Any] | None:
        """The answer to a table request, or None when the path is not one of theirs."""
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:2] != ["v1", "tables"]:
            return None
        with self.lock:
            if method == "GET" and len(parts) == 2:
                return 200, self._list()
            if method == "POST" and parts[2:] == ["query"]:
                return self._submit(body)
            if method == "GET" and parts[2:3] == ["query"] and parts[4:] == ["result"]:
                return self._result(parts[3])
            if method == "POST" and parts[2:] == ["upload"]:
                return self._upload(body, headers.get("content-type", ""))
            if len(parts) < 3 or parts[2] not in self._names():
                return 404, {"detail": "Table not found"}
            name = parts[2]
            if method == "DELETE" and len(parts) == 3:
                self.db.execute(f'DROP TABLE "{name}"')
                self.deletions.append(name)
                return 204, None
            if method == "GET" and parts[3:] == ["describe"]:
                count = self.db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
                return 200, {
                    "table_name": name,
                    "columns": self._columns(name),
                    "row_count": count,
                    "updated_at": None,
                }
            if method == "GET" and parts[3:] == ["preview"]:
                return self._preview(name, parse_qs(query).get("limit", ["3"])[0])
        return 404, {"detail": "Not found."}

    def _names(self) -> list[str]:
        rows = self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        return [row[0] for row in rows]

    def _columns(self, name: str) -> list[dict[str, str]]:
        info = self.db.execute(f'PRAGMA table_info("{name}")').fetchall()
        return [{"name": row[1], "type": _TYPES.get(row[2], "String")} for row in info]

    def _list(self) -> dict[str, Any]:
        names = self._names()
        return {
            "results": [{"name": n, "columns": self._columns(n)} for n in names],
            "total": len(names),
        }

    def _preview(self, name: str, limit: str) -> tuple[int, Any]:
        if not limit.isdigit() or int(limit) > 50:
            return 400, {"limit": ["Ensure this value is less than or equal to 50."]}
        sql = f'SELECT * FROM "{name}" LIMIT ?'  # noqa: S608 - a name read from sqlite_master
        cursor = self.db.execute(sql, (int(limit),))
        rows = _dicts(cursor)
        return 200, {
            "table_name": name,
            "columns": self._columns(name),
            "rows": rows,
            "row_count": len(rows),
        }

    def _submit(self, body: bytes) -> tuple[int, Any]:
        try:
            asked = json.loads(body)
            sql, limit = asked["sql"], int(asked.get("limit", 1000))
        except (ValueError, KeyError, TypeError):
            return 400, {"sql": ["This field is required."]}
        if not 1 <= limit <= 1000:
            return 400, {"limit": ["Ensure this value is less than or equal to 1000."]}
        if sql.lstrip().split(None, 1)[0].upper() not in ("SELECT", "WITH"):
            return 400, {"sql": ["Only a single read-only SELECT or WITH ... SELECT is allowed."]}
        table_query_id = str(uuid.UUID(int=(0xB0 << 120) + len(self.submitted)))  # deterministic
        waits = ["PENDING", "STARTED", "RETRY", "PENDING"] if SLOW_MARK in sql else ["PENDING"]
        self.queries[table_query_id] = Query(sql, limit, waits)
        self.submitted.append(sql)
        return 202, {
            "table_query_id": table_query_id,
            "status": "PENDING",
            "created_at": CREATED_AT,
        }

    def _result(self, table_query_id: str) -> tuple[int, Any]:
        query = self.queries.get(table_query_id)
        if query is None:
            return 404, {"detail": "Not found."}
        self.polls.append(table_query_id)
        if query.waits:
            return 200, {"table_query_id": table_query_id, "status": query.waits.pop(0)}
        try:
            cursor = self.db.execute(query.sql)
            rows = [dict(zip([d[0] for d in cursor.description], r, strict=True)) for r in cursor]
        except sqlite3.Error as exc:
            return 200, {
                "table_query_id": table_query_id,
                "status": "FAILURE",
                "error": f"Code: 62. DB::Exception: {exc}. (SYNTAX_ERROR)",
                "columns": [],
                "rows": [],
                "row_count": 0,
                "truncated": False,
            }
        kept = rows[: query.limit]
        names = [d[0] for d in cursor.description]
        return 200, {
            "table_query_id": table_query_id,
            "status": "SUCCESS",
            "error": None,
            "columns": [{"name": n, "type": _type_of(kept, n)} for n in names],
            "rows": kept,
            "row_count": len(kept),
            "truncated": len(rows) > query.limit,
            "execution_time_ms": 1.5,
        }

    def _upload(self, body: bytes, content_type: str) -> tuple[int, Any]:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        fields: dict[str, bytes] = {}
        for part in message.iter_parts():
            payload = part.get_payload(decode=True)
            fields[str(part.get_param("name", header="content-disposition"))] = (
                payload if isinstance(payload, bytes) else b""
            )
        name = fields.get("table_name", b"").decode()
        if not name or "file" not in fields:
            return 400, {"file": ["No file was submitted."]}
        if name in self._names():
            return 400, [f"Table '{name}' already exists."]
        rows = list(csv.reader(io.StringIO(fields["file"].decode("utf-8"))))
        if not rows:
            return 400, ["The CSV file is empty."]
        with_headers = fields.get("with_headers", b"true") != b"false"
        header = rows.pop(0) if with_headers else [f"column_{n + 1}" for n in range(len(rows[0]))]
        columns = ", ".join(f'"{c}" TEXT' for c in header)
        self.db.execute(f'CREATE TABLE "{name}" ({columns})')
        marks = ", ".join("?" for _ in header)
        self.db.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)  # noqa: S608
        self.uploads.append(name)
        return 201, {
            "table_name": name,
            "organization_id": "11111111-2222-4333-8444-555555555555",
            "summary": {"written_rows": len(rows)},
        }


def _dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _type_of(rows: list[dict[str, Any]], name: str) -> str:
    values = [row[name] for row in rows if row[name] is not None]
    if values and all(isinstance(v, int) for v in values):
        return "Int64"
    if values and all(isinstance(v, int | float) for v in values):
        return "Float64"
    return "String"
