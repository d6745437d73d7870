//! Talking to AWS. One place builds the SDK configuration ([`load_sdk_config`]); every call
//! goes through [`Caller`], which paces it under the service's quota, retries throttling and
//! server errors with jittered backoff, counts it, and turns failures into errors that say
//! which IAM action on which resource failed.
//!
//! The SDK's own retries are switched off: a retry must wait for the rate limiter like any
//! other call, or retries would pile onto a throttled API (the retry storm this avoids).

mod call;
mod errors;
mod limiter;
mod names;
mod paginate;
mod poll;
mod session;

pub use call::{ActionCount, CallStats, Caller, RetryPolicy};
pub use errors::AwsError;
pub use limiter::RateLimiter;
pub use names::{check_account, check_region, InvalidName};
pub use paginate::{paginate, paginate_from, PageHooks, PagesSoFar};
pub use poll::PollPacer;
pub use session::AwsSession;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

/// `config` with the credentials of `role_arn` when one is given (evidence in another
/// account); the role is assumed, and its credentials refreshed, by the SDK's STS provider.
pub async fn with_role(config: &SdkConfig, role_arn: Option<&str>) -> SdkConfig {
    let Some(role_arn) = role_arn else {
        return config.clone();
    };
    let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name("idc-credential-report")
        .configure(config)
        .build()
        .await;
    config
        .to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build()
}

/// The standard configuration chain (environment, profile, SSO, instance role; region;
/// `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`), with SDK retries off.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(60))
                .build(),
        )
        .load()
        .await
}
