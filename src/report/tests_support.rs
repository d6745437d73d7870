//! Rows for other modules' unit tests.

use super::{Row, UserState};
use crate::directory::PrincipalType;

/// A USER row with every value empty and a 90-day window ending 2026-11-22.
pub(crate) fn empty_row() -> Row {
    Row {
        account_id: String::new(),
        account_name: String::new(),
        permission_set_name: String::new(),
        permission_set_arn: String::new(),
        permission_set_description: String::new(),
        assignment_type: PrincipalType::User,
        group_id: String::new(),
        group_name: String::new(),
        user_id: String::new(),
        user_name: String::new(),
        display_name: String::new(),
        email: String::new(),
        user_status: None,
        user_state: UserState::Found,
        last_console_use: None,
        last_cli_use: None,
        last_portal_sign_in: None,
        granted_at: None,
        granted_by: String::new(),
        member_since: None,
        member_added_by: String::new(),
        members_unknown_since: None,
        as_of: 1_795_305_600,
        judged_since: 1_787_529_600,
        window_start: 1_787_529_600,
        role_arn: String::new(),
        accepted: None,
    }
}
