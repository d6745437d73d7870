//! Rows for other modules' unit tests.

use super::{Row, UserState};

/// A USER row of a user found in the directory, every value empty, in a 90-day window ending
/// 2026-11-22.
pub(crate) fn empty_row() -> Row {
    Row {
        user_state: UserState::Found,
        ..Row::empty(1_795_305_600, 1_787_529_600)
    }
}
