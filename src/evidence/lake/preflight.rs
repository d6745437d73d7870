//! Before paying for a query: does the event data store exist, is it enabled, does it record
//! the read-only management events that `GetRoleCredentials` is (and the write events the
//! access changes are), and does its retention cover the window? Problems become manifest
//! warnings, not silence.

use crate::evidence::SourceWarning;
use aws_sdk_cloudtrail::operation::get_event_data_store::GetEventDataStoreOutput;
use aws_sdk_cloudtrail::types::{AdvancedEventSelector, EventDataStoreStatus};

pub(super) fn check(store: &GetEventDataStoreOutput, lookback_days: u32) -> Vec<SourceWarning> {
    let mut warnings = Vec::new();
    if store
        .status
        .as_ref()
        .is_some_and(|s| *s != EventDataStoreStatus::Enabled)
    {
        warnings.push(SourceWarning::new(
            "lake_store_not_enabled",
            format!(
                "the event data store is {}, not ENABLED: events after it stopped are missing",
                store
                    .status
                    .as_ref()
                    .map(|s| s.as_str())
                    .unwrap_or_default()
            ),
        ));
    }
    let selectors = store
        .advanced_event_selectors
        .as_deref()
        .unwrap_or_default();
    if !records_read_only_management_events(selectors) {
        warnings.push(SourceWarning::new(
            "no_read_only_events",
            "the event data store does not record read-only management events, so it has no GetRoleCredentials: every CLI/SDK-only user will show as UNUSED. Add read events to its selectors".into(),
        ));
    }
    if !records_management_events(selectors, ReadOnly::False) {
        warnings.push(SourceWarning::misses_changes(
            "the event data store does not record write management events, so it holds no access change (CreateAccountAssignment, CreateGroupMembership, SCIM PatchGroup, ...); add write events to its selectors",
        ));
    }
    if store.multi_region_enabled != Some(true) {
        warnings.push(SourceWarning::new(
            "removed_regions_unseen",
            "the event data store is not multi-Region, so it records its own Region only: uses made in a Region removed from the instance during the window (or in any other Region) cannot be seen. A multi-Region store records every Region".into(),
        ));
    }
    if let Some(days) = store.retention_period {
        if i64::from(days) < i64::from(lookback_days) {
            warnings.push(SourceWarning::new(
                "lake_retention_shorter_than_window",
                format!("the event data store keeps events {days} days, less than the {lookback_days}-day window: older uses are gone"),
            ));
        }
    }
    warnings
}

/// The Regions whose events the store records: the instance's (or, if they are not known,
/// none listed) for a multi-Region store, else the store's own Region alone.
pub(super) fn regions_recorded(
    store: &GetEventDataStoreOutput,
    instance_regions: &[String],
    region_in_use: Option<&aws_config::Region>,
) -> Vec<String> {
    if store.multi_region_enabled == Some(true) {
        return instance_regions.to_vec();
    }
    let home = store
        .event_data_store_arn
        .as_deref()
        .and_then(|arn| arn.split(':').nth(3))
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .or_else(|| region_in_use.map(|r| r.to_string()));
    home.into_iter().collect()
}

/// Whether some selector takes management events without excluding read-only ones.
fn records_read_only_management_events(selectors: &[AdvancedEventSelector]) -> bool {
    records_management_events(selectors, ReadOnly::True)
}

/// The `readOnly` value of the events asked about.
#[derive(Clone, Copy)]
enum ReadOnly {
    True,
    False,
}

/// Whether some selector takes management events without excluding those whose `readOnly`
/// is `wanted`.
fn records_management_events(selectors: &[AdvancedEventSelector], wanted: ReadOnly) -> bool {
    let (wanted, other) = match wanted {
        ReadOnly::True => ("true", "false"),
        ReadOnly::False => ("false", "true"),
    };
    selectors.iter().any(|selector| {
        let fields = &selector.field_selectors;
        let field = |name: &str| fields.iter().find(|f| f.field.eq_ignore_ascii_case(name));
        let management = field("eventCategory").is_some_and(|f| {
            f.equals
                .as_deref()
                .unwrap_or_default()
                .iter()
                .any(|v| v == "Management")
        });
        let excluded = field("readOnly").is_some_and(|f| {
            f.equals
                .as_deref()
                .unwrap_or_default()
                .iter()
                .all(|v| v == other)
                && f.equals.is_some()
                || f.not_equals
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .any(|v| v == wanted)
        });
        management && !excluded
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudtrail::types::AdvancedFieldSelector;

    fn selector(fields: &[(&str, &[&str])]) -> AdvancedEventSelector {
        let mut builder = AdvancedEventSelector::builder();
        for (field, equals) in fields {
            let mut f = AdvancedFieldSelector::builder().field(*field);
            for v in *equals {
                f = f.equals(*v);
            }
            builder = builder.field_selectors(f.build().unwrap());
        }
        builder.build().unwrap()
    }

    #[test]
    fn management_events_with_reads_qualify() {
        assert!(records_read_only_management_events(&[selector(&[(
            "eventCategory",
            &["Management"]
        )])]));
        assert!(records_read_only_management_events(&[selector(&[
            ("eventCategory", &["Management"]),
            ("readOnly", &["true"])
        ])]));
    }

    #[test]
    fn write_only_or_data_only_stores_do_not() {
        assert!(!records_read_only_management_events(&[selector(&[
            ("eventCategory", &["Management"]),
            ("readOnly", &["false"])
        ])]));
        assert!(!records_read_only_management_events(&[selector(&[(
            "eventCategory",
            &["Data"]
        )])]));
        assert!(!records_read_only_management_events(&[]));
    }

    #[test]
    fn read_only_stores_hold_no_changes() {
        let read_only = [selector(&[
            ("eventCategory", &["Management"]),
            ("readOnly", &["true"]),
        ])];
        assert!(!records_management_events(&read_only, ReadOnly::False));
        let all = [selector(&[("eventCategory", &["Management"])])];
        assert!(records_management_events(&all, ReadOnly::False));
        let write_only = [selector(&[
            ("eventCategory", &["Management"]),
            ("readOnly", &["false"]),
        ])];
        assert!(records_management_events(&write_only, ReadOnly::False));
    }
}
