//! An accepted exception on a report row (set by `crate::review`): the row is shown ACCEPTED
//! and never planned for removal, but its usage status still says what the evidence says.

use super::Row;

/// Why a row is accepted as it is: an exception's reason, approver and last day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub reason: String,
    pub approved_by: String,
    pub expires: String,
}

impl Row {
    /// `ACCEPTED` when an exception covers the row, else empty.
    pub fn review_status(&self) -> &'static str {
        match self.accepted {
            Some(_) => "ACCEPTED",
            None => "",
        }
    }

    /// The exception's reason, approver and last day.
    pub fn review_note(&self) -> String {
        (self.accepted.as_ref()).map_or_else(String::new, |a| {
            format!(
                "{} (approved by {}, until {})",
                a.reason, a.approved_by, a.expires
            )
        })
    }
}
