//! The Lambda (`bootstrap` on `provided.al2023`): settings from the environment, the payload's
//! overrides, the remaining time as the deadline, and the library does the rest.

use idc_credential_report::service::{run_once, Invocation, Response, Settings};
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
    let settings = Settings::from_env(|name| std::env::var(name).ok())?;
    lambda_runtime::run(service_fn(|event| handle(&settings, event))).await
}

async fn handle(
    settings: &Settings,
    event: LambdaEvent<serde_json::Value>,
) -> Result<Response, Error> {
    let invocation: Invocation = serde_json::from_value(event.payload)?;
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
    let remaining = Duration::from_millis(event.context.deadline.saturating_sub(now_ms));
    let deadline = tokio::time::Instant::now() + remaining.saturating_sub(MARGIN);
    tracing::info!(request_id = %event.context.request_id, lookback_days = ?invocation.lookback_days, "report started");
    // Boxed: the pipeline's future is too deep for the compiler's default layout limit inline.
    let response = Box::pin(run_once(settings, &invocation, deadline))
        .await
        .inspect_err(|error| tracing::error!(%error, "report failed"))?;
    tracing::info!(rows = response.rows, used = response.used, unused = response.unused, warnings = response.warnings, report = %response.published.report_s3_uri, "report published");
    Ok(response)
}
