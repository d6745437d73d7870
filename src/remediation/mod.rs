//! Acting on a report, safely: a plan of what to remove, reviewed by people, then applied with
//! every item re-checked against the live directory.
//!
//! - [`plan`]: report files -> plan. Pure: reads what the report run wrote, calls no AWS API.
//!   It refuses to plan from evidence that cannot prove non-use (the manifest's warnings).
//! - [`apply`]: plan -> deletions, each re-checked first, capped, and recorded call by call in
//!   an audit log, with the command that restores what was deleted.

pub mod apply;
mod assignment_removal;
pub mod function;
pub(crate) mod plan;
mod user_removal;

pub use apply::{apply_plan, ApplyOptions, AuditLog, Outcome};
pub use plan::{make_plan, plan_bytes, Plan, PlanOptions};

use crate::aws::AwsSession;
use crate::store::file::sha256_hex;
use crate::store::Location;

/// Reads the report at `report` (with its manifest and user summary) and plans from it.
pub async fn plan_removal(
    session: &AwsSession,
    report: &Location,
    options: &PlanOptions,
) -> Result<Plan, RemediationError> {
    let input = crate::review::previous::read_report(report, session).await?;
    make_plan(&input, options)
}

/// Reads a plan and the SHA-256 of its bytes.
pub async fn read_plan(
    session: &AwsSession,
    location: &Location,
) -> Result<(Plan, String), RemediationError> {
    let bytes = location.read_existing(session.config().await).await?;
    let plan = serde_json::from_slice(&bytes).map_err(|e| RemediationError::Input {
        location: location.to_string(),
        message: format!("not a removal plan of this tool: {e}"),
    })?;
    Ok((plan, sha256_hex(&bytes)))
}

/// Writes the audit log as JSON (never over an existing S3 object).
pub async fn write_audit_log(
    session: &AwsSession,
    location: &Location,
    log: &AuditLog,
) -> Result<(), RemediationError> {
    let mut body = serde_json::to_vec_pretty(log).expect("an audit log serializes");
    body.push(b'\n');
    Ok(location.write_new(session.config().await, &body).await?)
}

/// Why a plan could not be made or applied.
#[derive(Debug, thiserror::Error)]
pub enum RemediationError {
    #[error("{location}: {message}")]
    Input { location: String, message: String },
    #[error("refusing to plan: {0}")]
    Refused(String),
    #[error("refusing to apply the plan: {0}")]
    ApplyRefused(String),
    #[error(transparent)]
    Aws(#[from] crate::aws::AwsError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl From<crate::review::ReviewError> for RemediationError {
    fn from(error: crate::review::ReviewError) -> Self {
        use crate::review::ReviewError;
        match error {
            ReviewError::Input { location, message } => {
                RemediationError::Input { location, message }
            }
            ReviewError::Store(e) => RemediationError::Store(e),
            refused @ (ReviewError::Refused(_) | ReviewError::Previous(_)) => {
                RemediationError::Refused(refused.to_string())
            }
        }
    }
}
