//! One AWS call: paced, retried with jittered backoff, counted, and its failure explained.

use super::errors::{classify, AwsError, Failure};
use super::RateLimiter;
use aws_sdk_ssoadmin::config::http::HttpResponse;
use aws_sdk_ssoadmin::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use rand::Rng;
use serde::Serialize;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often and how patiently to retry throttling and server errors.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// "Full jitter": a random wait up to an exponentially growing cap, so that callers that
    /// were throttled together do not come back together.
    fn delay(&self, attempt: u32) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1 << attempt.min(16))
            .min(self.max_delay);
        rand::thread_rng().gen_range(Duration::ZERO..=cap)
    }
}

/// Calls made per IAM action, for the manifest and the benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ActionCount {
    pub calls: u64,
    pub throttled: u64,
    pub server_errors: u64,
}

#[derive(Debug, Default)]
pub struct CallStats(Mutex<BTreeMap<&'static str, ActionCount>>);

impl CallStats {
    fn update(&self, action: &'static str, change: impl FnOnce(&mut ActionCount)) {
        change(
            self.0
                .lock()
                .expect("stats lock")
                .entry(action)
                .or_default(),
        );
    }

    /// Calls made so far, all actions together.
    pub fn total_calls(&self) -> u64 {
        self.0
            .lock()
            .expect("stats lock")
            .values()
            .map(|c| c.calls)
            .sum()
    }

    pub fn snapshot(&self) -> BTreeMap<String, ActionCount> {
        let map = self.0.lock().expect("stats lock");
        map.iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }
}

/// Makes calls under a shared retry policy and counts them.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub policy: RetryPolicy,
    pub stats: Arc<CallStats>,
}

impl Caller {
    /// Runs `op` until it succeeds, fails for good, or runs out of attempts. Every attempt
    /// waits for `limiter` first. `action` is the IAM action (`sso:ListAccountAssignments`),
    /// `resource` what it was called on, both for error messages.
    pub async fn call<T, E, F, Fut>(
        &self,
        limiter: &RateLimiter,
        action: &'static str,
        resource: &str,
        mut op: F,
    ) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut attempt = 0;
        loop {
            let started = limiter.acquire().await;
            self.stats.update(action, |c| c.calls += 1);
            let error = match op().await {
                Ok(value) => {
                    limiter.succeeded();
                    CONNECTED.store(true, Ordering::Relaxed);
                    return Ok(value);
                }
                Err(error) => error,
            };
            attempt += 1;
            let status = error.raw_response().map(|r| r.status().as_u16());
            let failure = classify(error.meta(), status, is_retryable_kind(&error));
            match failure {
                Failure::Throttled => {
                    limiter.throttled(started);
                    self.stats.update(action, |c| c.throttled += 1);
                }
                Failure::Transient => self.stats.update(action, |c| c.server_errors += 1),
                _ => {}
            }
            // A first call that cannot connect at all (DNS, refused, timed out) fails at
            // once: retrying for half a minute would only hide the cause.
            let unreachable = is_connect_error(&error) && !CONNECTED.load(Ordering::Relaxed);
            let retryable = matches!(failure, Failure::Throttled | Failure::Transient);
            if retryable && !unreachable && attempt < self.policy.max_attempts {
                tokio::time::sleep(self.policy.delay(attempt)).await;
                continue;
            }
            return Err(describe(failure, error, action, resource, attempt));
        }
    }
}

/// "dispatch failure: other: an error occurred while loading credentials: ...", without the
/// debug dump that `DisplayErrorContext` appends.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(next) = source {
        parts.push(next.to_string());
        source = next.source();
    }
    parts.dedup();
    parts.join(": ")
}

/// Set once any call of this process got an answer: from then on a connection failure is a
/// blip worth retrying, not a network that cannot reach AWS.
static CONNECTED: AtomicBool = AtomicBool::new(false);

/// A request that never reached AWS: the name did not resolve, or the connection was refused
/// or timed out (the connector says `Connect`, hyper's name for establishing the connection).
fn is_connect_error<E, R>(error: &SdkError<E, R>) -> bool
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let SdkError::DispatchFailure(failure) = error else {
        return false;
    };
    let chain = error_chain(error).to_ascii_lowercase();
    let marks = [
        "(connect)",
        "dns error",
        "tcp connect error",
        "connection refused",
    ];
    (failure.is_io() || failure.is_timeout() || failure.is_other())
        && marks.iter().any(|mark| chain.contains(mark))
}

/// "tried Environment, Profile, ..." from the SDK's "Attempted:" list of the credential
/// chain (one provider per line), else its message on one line.
fn providers_tried(chain: &str) -> String {
    let Some((_, attempted)) = chain.split_once("Attempted:") else {
        return chain.replace('\n', " ");
    };
    let names: Vec<&str> = attempted
        .lines()
        .filter_map(|line| line.trim().split_once(':').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && !name.contains(' '))
        .collect();
    format!("tried {}", names.join(", "))
}

/// `; AWS_ENDPOINT_URL is URL` (and the service-specific ones) when an override is set.
fn endpoint_override() -> String {
    let set: Vec<String> = std::env::vars()
        .filter(|(name, _)| name.starts_with("AWS_ENDPOINT_URL"))
        .map(|(name, value)| format!("{name} is {value}"))
        .collect();
    match set.is_empty() {
        true => String::new(),
        false => format!("; {}", set.join(", ")),
    }
}

/// Whether a failure that is not a service answer could pass on retry: network errors and
/// timeouts can, and so can a connection closed before the reply was complete (which the
/// connector reports as "other": the request may have been applied, which every write of this
/// tool allows for); a request that could not even be built or signed (say, no credentials)
/// cannot.
fn is_retryable_kind<E, R>(error: &SdkError<E, R>) -> bool {
    match error {
        SdkError::ServiceError(_) => true,
        SdkError::DispatchFailure(failure) => {
            failure.is_io() || failure.is_timeout() || failure.is_other()
        }
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        _ => false,
    }
}

fn describe<E>(
    failure: Failure,
    error: SdkError<E, HttpResponse>,
    action: &'static str,
    resource: &str,
    attempts: u32,
) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let resource = resource.to_owned();
    let message = error
        .message()
        .map(str::to_owned)
        .unwrap_or_else(|| error_chain(&error));
    let chain = error_chain(&error);
    if chain.contains("Missing Region") || chain.contains("No region") {
        return AwsError::NoRegion { action };
    }
    if chain.contains("loading credentials") || chain.contains("no credentials") {
        return AwsError::NoCredentials {
            action,
            resource,
            tried: providers_tried(&chain),
        };
    }
    if is_connect_error(&error) {
        return AwsError::Unreachable {
            action,
            resource,
            message,
            endpoint: endpoint_override(),
        };
    }
    if !matches!(error, SdkError::ServiceError(_)) {
        return AwsError::Transport {
            action,
            resource,
            attempts,
            message,
        };
    }
    match failure {
        Failure::AccessDenied => AwsError::AccessDenied {
            action,
            resource,
            message,
        },
        Failure::Throttled => AwsError::Throttled {
            action,
            resource,
            attempts,
        },
        _ => AwsError::Service {
            action,
            resource,
            code: error.code().unwrap_or("Unknown").to_owned(),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        for attempt in 0..30 {
            assert!(policy.delay(attempt) <= policy.max_delay);
        }
    }
}
