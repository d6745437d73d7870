"""The Athena emulator's query executions: the state each one is in as it is observed, its
statistics, and its results as GetQueryResults pages them.

- DataScannedInBytes is the bytes of the S3 objects the query must open (athena_data.py):
  for a partitioned table, the sum over the partitions that satisfy the query's top-level
  AND terms that read only partition columns (evaluated by DuckDB on the table of
  partitions, so `BETWEEN`, `IN`, `=`, `OR` among partition columns all prune); all files
  when the query has no such term, or is not a plain SELECT from the table (joins,
  subqueries in FROM). An unpartitioned table always scans every file. Nothing while
  QUEUED, half while RUNNING (and once stopped, what it had when stopped). A query that
  FAILED on its SQL scanned nothing.
- Timings: EngineExecutionTimeInMillis is DuckDB's time plus 300 ms; queue 80 ms,
  planning 120 ms, pre-processing 40 ms, service processing 25 ms; TotalExecutionTime the
  sum of queue, pre-processing, engine and service processing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from athena_config import FAILED, QUEUED, RUNNING, SUCCEEDED, TERMINAL, AthenaConfig
from athena_engine import ENGINE_OVERHEAD_MS, PLANNING_MS, PREPROCESSING_MS, QUEUE_MS, SERVICE_MS, Outcome
from emulator_queries import polled_state


MAX_REASON = 4096


INJECTED_REASON = "Query failed (failure injected by the Athena emulator)"


@dataclass
class Execution:
    """One query execution and what GetQueryExecution reports about it."""

    query_id: str
    query: str
    context: dict[str, Any]
    workgroup: str
    output: str
    submitted: float
    outcome: Outcome
    final_state: str
    reason: str | None
    state: str = QUEUED
    observations: int = 0
    completed: float | None = None
    stopped_from: str | None = None  # the state StopQueryExecution found

    def observe(self, config: AthenaConfig) -> str:
        """The state one more observation sees: QUEUED, then RUNNING, then the final state."""
        if self.state in TERMINAL:
            return self.state
        self.observations += 1
        state = polled_state(self.observations, config.polls_before_running, config.polls_before_finish,
                             QUEUED, RUNNING, self.final_state)
        if state == self.final_state:
            self.finish(state)
        else:
            self.state = state
        return self.state

    def finish(self, state: str) -> None:
        self.state = state
        self.completed = round(time.time(), 3)

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed is not None:
            status["CompletionDateTime"] = self.completed
        if self.state == FAILED:
            status["StateChangeReason"] = self.reason
            status["AthenaError"] = self.athena_error()
        return status

    def athena_error(self) -> dict[str, Any]:
        """Category 2 (USER), type 1000 for a query's own error; 1 (SYSTEM), 100 if injected."""
        user = self.outcome.failure is not None
        return {"ErrorCategory": 2 if user else 1, "ErrorType": 1000 if user else 100,
                "Retryable": False, "ErrorMessage": self.reason}

    def statistics(self) -> dict[str, Any]:
        """Timings and DataScannedInBytes for the current state."""
        if self.state == QUEUED or self.stopped_from == QUEUED:
            engine, scanned = 0, 0
        elif self.state == RUNNING or (self.stopped_from == RUNNING and self.outcome.failure is None):
            engine, scanned = self.outcome.engine_ms // 2, self.outcome.bytes_scanned // 2
        elif self.outcome.failure is not None:
            engine, scanned = ENGINE_OVERHEAD_MS, 0
        else:
            engine, scanned = self.outcome.engine_ms, self.outcome.bytes_scanned
        started = self.state != QUEUED and self.stopped_from != QUEUED
        return {
            "EngineExecutionTimeInMillis": engine,
            "DataScannedInBytes": scanned,
            "TotalExecutionTimeInMillis": QUEUE_MS + (PREPROCESSING_MS + engine + SERVICE_MS if started else 0),
            "QueryQueueTimeInMillis": QUEUE_MS,
            "ServicePreProcessingTimeInMillis": PREPROCESSING_MS if started else 0,
            "QueryPlanningTimeInMillis": PLANNING_MS if started else 0,
            "ServiceProcessingTimeInMillis": SERVICE_MS if self.state in TERMINAL else 0,
            "ResultReuseInformation": {"ReusedPreviousResult": False},
        }

    def describe(self) -> dict[str, Any]:
        return {
            "QueryExecutionId": self.query_id,
            "Query": self.query,
            "StatementType": "DML",
            "SubstatementType": "SELECT",
            "ResultConfiguration": {"OutputLocation": self.output},
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": self.context,
            "Status": self.status(),
            "Statistics": self.statistics(),
            "WorkGroup": self.workgroup,
            "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
        }


def final_state(outcome: Outcome, config: AthenaConfig) -> tuple[str, str | None]:
    """The state a query ends in, and its StateChangeReason."""
    if outcome.failure is not None:
        return FAILED, outcome.failure.reason[:MAX_REASON]
    if config.final_state == FAILED:
        return FAILED, config.state_change_reason or INJECTED_REASON
    return SUCCEEDED, None


def cells(values: list[str | None]) -> dict[str, Any]:
    """One result row: each value a VarCharValue, NULL an empty cell."""
    return {"Data": [{} if value is None else {"VarCharValue": value} for value in values]}


def column_info(names: list[str], types: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name,
             "Type": type_name, "Precision": precision, "Scale": 0, "Nullable": "UNKNOWN",
             "CaseSensitive": type_name == "varchar"} for name, (type_name, precision) in zip(names, types)]
