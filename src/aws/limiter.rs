//! Pacing calls under a request-per-second quota.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The slowest pace a throttled limiter falls to, in requests per second.
const MIN_RATE: f64 = 0.5;

/// Hands out evenly spaced start times, one per call, shared by every task that calls the same
/// quota. Even spacing (no bursts of our own) keeps the service's token bucket from emptying,
/// so the run approaches the quota without being throttled.
///
/// When the service throttles anyway (the quota was set too high, or another tool shares it),
/// the pace halves, then regains about one request per second each second, never above the
/// configured rate: retries then find room instead of competing with new calls at the same
/// excessive pace.
#[derive(Debug)]
pub struct RateLimiter {
    max_rate: f64,
    pace: Mutex<Pace>,
}

#[derive(Debug)]
struct Pace {
    rate: f64,
    next: Instant,
    /// Slots before this instant were handed out at an older, faster pace; their throttling
    /// says nothing new and does not slow the pace again.
    settled_at: Instant,
}

impl RateLimiter {
    /// `rate` requests per second; values below 0.01 are taken as 0.01.
    pub fn per_second(rate: f64) -> Self {
        let now = Instant::now();
        RateLimiter {
            max_rate: rate.max(0.01),
            pace: Mutex::new(Pace {
                rate: rate.max(0.01),
                next: now,
                settled_at: now,
            }),
        }
    }

    /// Waits for this caller's turn and returns when it started, for [`Self::throttled`].
    pub async fn acquire(&self) -> Instant {
        let slot = {
            let mut pace = self.pace.lock().expect("limiter lock");
            let slot = pace.next.max(Instant::now());
            pace.next = slot + Duration::from_secs_f64(1.0 / pace.rate);
            slot
        };
        tokio::time::sleep_until(slot).await;
        slot
    }

    /// The call that started at `started` was throttled: slow down, once per pace.
    pub fn throttled(&self, started: Instant) {
        let mut pace = self.pace.lock().expect("limiter lock");
        if started < pace.settled_at {
            return;
        }
        pace.rate = (pace.rate / 2.0).max(MIN_RATE.min(self.max_rate));
        pace.settled_at = pace.next;
    }

    /// A call went through: regain speed additively (1/rate per call, one per second per second).
    pub fn succeeded(&self) {
        let mut pace = self.pace.lock().expect("limiter lock");
        if pace.rate < self.max_rate {
            pace.rate = (pace.rate + 1.0 / pace.rate).min(self.max_rate);
        }
    }

    /// The current pace in requests per second.
    #[cfg(test)]
    fn rate(&self) -> f64 {
        self.pace.lock().expect("limiter lock").rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_at_the_rate() {
        let limiter = RateLimiter::per_second(20.0);
        let start = Instant::now();
        for _ in 0..41 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_the_rate() {
        let limiter = std::sync::Arc::new(RateLimiter::per_second(10.0));
        let start = Instant::now();
        let tasks: Vec<_> = (0..21)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move { limiter.acquire().await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_halves_the_pace_once_per_burst() {
        let limiter = RateLimiter::per_second(40.0);
        let mut starts = Vec::new();
        for _ in 0..4 {
            starts.push(limiter.acquire().await);
        }
        // Four calls of the same burst come back throttled: one slow-down, not four.
        for started in &starts {
            limiter.throttled(*started);
        }
        assert_eq!(limiter.rate(), 20.0);
        // A call sent at the new pace and throttled again slows it further.
        let later = limiter.acquire().await;
        limiter.throttled(later);
        assert_eq!(limiter.rate(), 10.0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_recovers_but_never_exceeds_the_quota() {
        let limiter = RateLimiter::per_second(4.0);
        let started = limiter.acquire().await;
        limiter.throttled(started);
        assert_eq!(limiter.rate(), 2.0);
        for _ in 0..3 {
            limiter.succeeded();
        }
        assert!(limiter.rate() > 2.0 && limiter.rate() < 4.0);
        for _ in 0..100 {
            limiter.succeeded();
        }
        assert_eq!(limiter.rate(), 4.0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_never_falls_below_the_floor() {
        let limiter = RateLimiter::per_second(1.0);
        for _ in 0..10 {
            let started = limiter.acquire().await;
            limiter.throttled(started);
        }
        assert_eq!(limiter.rate(), MIN_RATE);
    }
}
