//! Waiting for a long-running query (CloudTrail Lake, Athena, Logs Insights): polls that grow from 0.5 s to
//! 5 s apart, and a stop early enough before the deadline to cancel the query, so that
//! nothing keeps billing after the run gives up.

use std::time::Duration;
use tokio::time::Instant;

/// Time kept to cancel the query after the last poll.
const CANCEL_MARGIN: Duration = Duration::from_secs(2);

pub struct PollPacer {
    delay: Duration,
    deadline: Instant,
}

impl PollPacer {
    pub fn new(deadline: Instant) -> Self {
        PollPacer {
            delay: Duration::from_millis(500),
            deadline,
        }
    }

    /// Sleeps until the next poll; `false` when the deadline comes first (cancel now).
    pub async fn wait(&mut self) -> bool {
        if Instant::now() + self.delay + CANCEL_MARGIN >= self.deadline {
            return false;
        }
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 3 / 2).min(Duration::from_secs(5));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn polls_slow_down_and_stop_before_the_deadline() {
        let start = Instant::now();
        let mut pacer = PollPacer::new(start + Duration::from_secs(20));
        let mut polls = 0;
        while pacer.wait().await {
            polls += 1;
        }
        // 0.5 + 0.75 + 1.125 + 1.69 + 2.53 + 3.80 + 5 s = 15.4 s; another 5 s plus the margin passes 20.
        assert_eq!(polls, 7);
        assert!(start.elapsed() + CANCEL_MARGIN <= Duration::from_secs(20));
    }
}
