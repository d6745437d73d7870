//! The Lambda (`bootstrap` on `provided.al2023`): settings from the environment, the payload's
//! overrides, the remaining time as the deadline, and the library does the rest.
//! `IDC_FUNCTION=remediation` makes the same binary the remediation function.

// The runtime's future nests the pipeline's and both steps' futures; computing its layout
// needs more than the compiler's default query depth on a clean build.
#![recursion_limit = "256"]

use idc_credential_report::config::FunctionSettings;
use idc_credential_report::function::{Invocation, InvocationResult};
use idc_credential_report::remediation::function::{
    handle_remediation, RemediationRequest, RemediationResponse, RemediationSettings,
};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Time kept back from Lambda's deadline to cancel a query and publish the report.
const MARGIN: Duration = Duration::from_secs(60);

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_current_span(false)
        .init();
    let var = |name: &str| std::env::var(name).ok();
    if var("IDC_FUNCTION").as_deref() == Some("remediation") {
        let settings = RemediationSettings::from_env(var)?;
        return lambda_runtime::run(service_fn(|event| remediate(&settings, event))).await;
    }
    let settings = FunctionSettings::from_env(var)?;
    lambda_runtime::run(service_fn(|event| handle(&settings, event))).await
}

async fn remediate(
    settings: &RemediationSettings,
    event: LambdaEvent<RemediationRequest>,
) -> Result<RemediationResponse, Error> {
    let deadline = deadline_of(&event.context)?;
    tracing::info!(request_id = %event.context.request_id, request = ?event.payload, "remediation started");
    let response = handle_remediation(settings, event.payload, deadline)
        .await
        .inspect_err(|error| tracing::error!(%error, "remediation failed"))?;
    tracing::info!(response = ?response, "remediation finished");
    Ok(response)
}

/// Lambda's deadline less [`MARGIN`], on the runtime's clock.
fn deadline_of(context: &lambda_runtime::Context) -> Result<tokio::time::Instant, Error> {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
    let remaining = Duration::from_millis(context.deadline.saturating_sub(now_ms));
    Ok(tokio::time::Instant::now() + remaining.saturating_sub(MARGIN))
}

async fn handle(
    settings: &FunctionSettings,
    event: LambdaEvent<serde_json::Value>,
) -> Result<InvocationResult, Error> {
    let invocation: Invocation = serde_json::from_value(event.payload)?;
    let deadline = deadline_of(&event.context)?;
    tracing::info!(request_id = %event.context.request_id, step = ?invocation.step, run_id = ?invocation.run_id, lookback_days = ?invocation.lookback_days, "invocation started");
    // Boxed: the pipeline's future is too deep for the compiler's default layout limit inline.
    let answer = Box::pin(idc_credential_report::function::handle(
        settings,
        &invocation,
        deadline,
    ))
    .await
    .inspect_err(|error| tracing::error!(%error, "invocation failed"))?;
    match &answer {
        InvocationResult::Report(r) => {
            tracing::info!(rows = r.rows, used = r.used, unused = r.unused, warnings = r.warnings, report = %r.published.report_s3_uri, "report published")
        }
        InvocationResult::Read(read) => {
            tracing::info!(status = read.status, read = ?read.read, total = ?read.total, "directory read")
        }
    }
    Ok(answer)
}
