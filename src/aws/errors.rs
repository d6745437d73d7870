//! Errors from AWS calls, phrased so that the user knows what to do.

use aws_smithy_types::error::metadata::ErrorMetadata;

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("access denied: {action} on {resource} ({message}). Allow the IAM action {action} for the credentials in use")]
    AccessDenied {
        action: &'static str,
        resource: String,
        message: String,
    },
    #[error("{action} was throttled {attempts} times in a row on {resource}: another tool may share the quota. Lower the request rate (see --help) or retry later")]
    Throttled {
        action: &'static str,
        resource: String,
        attempts: u32,
    },
    #[error("{action} on {resource} failed: {code}: {message}")]
    Service {
        action: &'static str,
        resource: String,
        code: String,
        message: String,
    },
    #[error("{action} on {resource}: no AWS credentials were found ({tried}): sign in with `aws sso login --profile NAME` and set AWS_PROFILE=NAME, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; to run without AWS, give --directory-snapshot FILE and --cloudtrail-logs DIR")]
    NoCredentials {
        action: &'static str,
        resource: String,
        /// The providers of the chain that were tried, or the SDK's own words.
        tried: String,
    },
    #[error("{action}: no AWS Region is set: set AWS_REGION (or `region` in your profile) to the Region of your IAM Identity Center instance, e.g. AWS_REGION=us-east-1")]
    NoRegion { action: &'static str },
    #[error("{action} on {resource}: cannot connect to AWS ({message}). Check the network and any proxy (HTTPS_PROXY){endpoint}")]
    Unreachable {
        action: &'static str,
        resource: String,
        message: String,
        /// `; AWS_ENDPOINT_URL is ...` when an endpoint override is set.
        endpoint: String,
    },
    #[error("{action} on {resource}: could not call AWS (attempts: {attempts}): {message}")]
    Transport {
        action: &'static str,
        resource: String,
        attempts: u32,
        message: String,
    },
    #[error("{action} on {resource} returned the same NextToken twice; stopping instead of looping forever")]
    PaginationLoop {
        action: &'static str,
        resource: String,
    },
    /// The reader's time budget ran out before this call: not a failure, a reason to stop
    /// and save what was read.
    #[error("the time budget ran out before {action} on {resource}")]
    OutOfTime {
        action: &'static str,
        resource: String,
    },
    #[error("{0}")]
    Other(String),
}

impl AwsError {
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::AccessDenied { .. } => Some("AccessDeniedException"),
            AwsError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The call was refused for lack of permission, or as not valid for this caller (e.g.
    /// an API that only the management account may call).
    pub fn is_access_or_validation(&self) -> bool {
        matches!(self, AwsError::AccessDenied { .. })
            || self
                .code()
                .is_some_and(|c| c.contains("Validation") || c.contains("AccessDenied"))
    }
}

/// How a failed attempt should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    Throttled,
    Transient,
    AccessDenied,
    Permanent,
}

const THROTTLING_CODES: [&str; 8] = [
    "MaxConcurrentQueriesException",
    // CloudWatch Logs: too many concurrent Logs Insights queries.
    "LimitExceededException",
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "ProvisionedThroughputExceededException",
];

/// `retryable_kind`: a service answer, or a network failure or timeout (not, say, missing
/// credentials, which no retry fixes).
pub(super) fn classify(
    metadata: &ErrorMetadata,
    status: Option<u16>,
    retryable_kind: bool,
) -> Failure {
    let code = metadata.code().unwrap_or_default();
    if THROTTLING_CODES.contains(&code) || status == Some(429) {
        Failure::Throttled
    } else if code.contains("AccessDenied")
        || code == "UnauthorizedException"
        || status == Some(403)
    {
        Failure::AccessDenied
    } else if !retryable_kind {
        Failure::Permanent
    } else if status.is_none()
        || status.is_some_and(|s| s >= 500)
        || code == "InternalServerException"
    {
        Failure::Transient
    } else {
        Failure::Permanent
    }
}
