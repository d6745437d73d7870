//! idc-credential-report: a credential report for AWS IAM Identity Center.
//!
//! The pipeline, one module per stage:
//! [`directory`] (who holds what) -> [`evidence`] (who used what, when) ->
//! [`report`] (the join, one row per assignment and user) -> [`output`] (CSV and manifest).

#![warn(unreachable_pub)]

pub mod aws;
pub mod config;
pub mod directory;
pub mod evidence;
pub mod function;
pub mod output;
pub mod pipeline;
pub mod remediation;
pub mod report;
pub mod review;
pub mod store;
