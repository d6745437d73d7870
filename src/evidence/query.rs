//! The lifecycle of one evidence query, the same for every query service: start it, poll it
//! with backoff until it ends, cancel it at the deadline (so that it stops billing), read its
//! rows, and record what it cost. CloudTrail Lake, Athena and CloudWatch Logs each give only
//! their calls ([`QueryService`]).

use super::QueryRecord;
use crate::aws::{AwsError, PollPacer};
use std::collections::HashMap;
use std::future::Future;
use tokio::time::Instant;

/// One result row: column name to value (a NULL cell is left out).
pub(crate) type Row = HashMap<String, String>;

/// What one poll found.
pub(crate) enum Poll {
    Running,
    Finished {
        bytes_scanned: i64,
        events_scanned: i64,
        /// The rows, when the poll's answer carries them (Logs Insights).
        rows: Option<Vec<Row>>,
    },
    /// Failed or cancelled by someone else: `detail` is the service's reason, if it gives one.
    Ended {
        status: String,
        detail: String,
    },
}

/// The calls of one query service.
pub(crate) trait QueryService {
    /// How errors name a query: "CloudTrail Lake query".
    const QUERY: &'static str;
    /// What the service calls ending a query: "cancelled" or "stopped".
    const CANCELLED: &'static str;

    fn start(&self, sql: &str) -> impl Future<Output = Result<String, AwsError>>;
    fn poll(&self, query_id: &str) -> impl Future<Output = Result<Poll, AwsError>>;
    fn cancel(&self, query_id: &str) -> impl Future<Output = Result<(), AwsError>>;
    fn rows(&self, query_id: &str) -> impl Future<Output = Result<Vec<Row>, AwsError>>;
}

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("{query} {query_id} ended {status}{detail}")]
    Ended {
        query: &'static str,
        query_id: String,
        status: String,
        /// Empty, or `: ` and the service's reason.
        detail: String,
    },
    #[error("{query} {query_id} was still running at the deadline and was {cancelled} (raise --query-timeout, or narrow --lookback-days)")]
    Deadline {
        query: &'static str,
        query_id: String,
        cancelled: &'static str,
    },
}

/// Runs `sql` to its end (cancelling it at `deadline`) and reads its rows.
pub(crate) async fn run_query<S: QueryService>(
    service: &S,
    sql: String,
    deadline: Instant,
) -> Result<(QueryRecord, Vec<Row>), QueryError> {
    let started = Instant::now();
    let query_id = service.start(&sql).await?;
    let mut pacer = PollPacer::new(deadline);
    let (bytes_scanned, events_scanned, rows) = loop {
        match service.poll(&query_id).await? {
            Poll::Finished {
                bytes_scanned,
                events_scanned,
                rows,
            } => break (bytes_scanned, events_scanned, rows),
            Poll::Running => {}
            Poll::Ended { status, detail } => {
                let detail = match detail.is_empty() {
                    true => String::new(),
                    false => format!(": {detail}"),
                };
                return Err(QueryError::Ended {
                    query: S::QUERY,
                    query_id,
                    status,
                    detail,
                });
            }
        }
        if !pacer.wait().await {
            service.cancel(&query_id).await?;
            return Err(QueryError::Deadline {
                query: S::QUERY,
                query_id,
                cancelled: S::CANCELLED,
            });
        }
    };
    let rows = match rows {
        Some(rows) => rows,
        None => service.rows(&query_id).await?,
    };
    let record = QueryRecord {
        query_id,
        sql,
        bytes_scanned,
        events_scanned,
        run_time_ms: started.elapsed().as_millis() as u64,
        truncated: false,
    };
    Ok((record, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::time::Duration;

    /// A query service that answers polls from a script and records its calls.
    struct Scripted {
        polls: RefCell<Vec<Poll>>,
        calls: RefCell<Vec<&'static str>>,
    }

    impl Scripted {
        fn new(mut polls: Vec<Poll>) -> Self {
            polls.reverse();
            Scripted {
                polls: RefCell::new(polls),
                calls: RefCell::new(Vec::new()),
            }
        }
    }

    impl QueryService for Scripted {
        const QUERY: &'static str = "Test query";
        const CANCELLED: &'static str = "cancelled";

        async fn start(&self, _sql: &str) -> Result<String, AwsError> {
            self.calls.borrow_mut().push("start");
            Ok("q-1".into())
        }
        async fn poll(&self, _query_id: &str) -> Result<Poll, AwsError> {
            self.calls.borrow_mut().push("poll");
            Ok(self.polls.borrow_mut().pop().unwrap_or(Poll::Running))
        }
        async fn cancel(&self, _query_id: &str) -> Result<(), AwsError> {
            self.calls.borrow_mut().push("cancel");
            Ok(())
        }
        async fn rows(&self, _query_id: &str) -> Result<Vec<Row>, AwsError> {
            self.calls.borrow_mut().push("rows");
            Ok(vec![Row::from([("n".to_owned(), "1".to_owned())])])
        }
    }

    fn finished(rows: Option<Vec<Row>>) -> Poll {
        Poll::Finished {
            bytes_scanned: 10,
            events_scanned: 2,
            rows,
        }
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(600)
    }

    #[tokio::test(start_paused = true)]
    async fn a_query_is_polled_to_its_end_and_its_rows_read() {
        let service = Scripted::new(vec![Poll::Running, Poll::Running, finished(None)]);
        let (record, rows) = run_query(&service, "SELECT 1".into(), far()).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (
                record.query_id.as_str(),
                record.bytes_scanned,
                record.events_scanned
            ),
            ("q-1", 10, 2)
        );
        assert_eq!(
            *service.calls.borrow(),
            ["start", "poll", "poll", "poll", "rows"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn rows_that_came_with_the_last_poll_are_not_read_again() {
        let service = Scripted::new(vec![finished(Some(Vec::new()))]);
        let (_, rows) = run_query(&service, "SELECT 1".into(), far()).await.unwrap();
        assert!(rows.is_empty());
        assert_eq!(*service.calls.borrow(), ["start", "poll"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_query_still_running_at_the_deadline_is_cancelled() {
        let service = Scripted::new(Vec::new());
        let deadline = Instant::now() + Duration::from_secs(10);
        let error = run_query(&service, "SELECT 1".into(), deadline)
            .await
            .unwrap_err();
        assert!(matches!(error, QueryError::Deadline { .. }), "{error}");
        assert_eq!(service.calls.borrow().last(), Some(&"cancel"));
        assert!(Instant::now() <= deadline);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_query_says_why() {
        let ended = Poll::Ended {
            status: "FAILED".into(),
            detail: "no such column".into(),
        };
        let error = run_query(&Scripted::new(vec![ended]), "SELECT x".into(), far()).await;
        assert_eq!(
            error.unwrap_err().to_string(),
            "Test query q-1 ended FAILED: no such column"
        );
    }
}
