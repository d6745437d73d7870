//! `cloudwatch-setup`: what a log group must hold for this report, and the AWS CLI commands
//! that check it, for the operator to run (the tool itself only reads).

use super::sql::LogGroupRef;

/// The guide for `groups`, with a Logs Insights query that shows, per Region, the events the
/// report counts.
pub fn setup_guide(groups: &[LogGroupRef], lookback_days: u32) -> String {
    let identifiers: Vec<&str> = groups.iter().map(LogGroupRef::as_str).collect();
    let quoted: Vec<String> = identifiers.iter().map(|g| format!("'{g}'")).collect();
    format!(
        "# What idc-credential-report reads with --cloudwatch-log-group {list}
#
# Each log group must:
# - receive a trail's events (the organization trail; Control Tower's sends them to
#   aws-controltower/CloudTrailLogs): a multi-Region trail, since a multi-Region Identity
#   Center instance records sign-ins and credentials in each of its Regions, with management
#   events read and write (GetRoleCredentials, the CLI's evidence, is a read event);
# - be of class STANDARD (Logs Insights SQL cannot query Infrequent Access);
# - keep events at least {lookback_days} days (the report's window, --lookback-days).
# Each log event is one CloudTrail event as JSON; Logs Insights finds its fields
# (eventSource, eventName, userIdentity.onBehalfOf.userId, serviceEventDetails.role_name, ...).

# 1. The log groups: class and retention.
aws logs describe-log-groups --log-group-identifiers {spaced} \\
  --query 'logGroups[].{{name: logGroupName, class: logGroupClass, retention_days: retentionInDays}}'

# 2. The trail that writes to them: multi-Region, and its event selectors.
aws cloudtrail describe-trails \\
  --query 'trailList[?CloudWatchLogsLogGroupArn != `null`].{{name: Name, multi_region: IsMultiRegionTrail, organization: IsOrganizationTrail, log_group: CloudWatchLogsLogGroupArn}}'
aws cloudtrail get-event-selectors --trail-name TRAIL_NAME

# 3. The events the report counts, per Region, over the last day (expect GetRoleCredentials
#    if anyone uses the CLI, and every Region of the instance: sso-admin list-regions).
cat > idc-evidence-check.sql <<'SQL'
SELECT `awsRegion`, `eventName`, COUNT(*) AS events
FROM `logGroups(logGroupIdentifier: [{quoted}])`
WHERE `eventName` IN ('Federate', 'GetRoleCredentials', 'UserAuthentication')
GROUP BY `awsRegion`, `eventName`
SQL
aws logs start-query --query-language SQL --query-string file://idc-evidence-check.sql \\
  --start-time $(( $(date +%s) - 86400 )) --end-time $(date +%s)
aws logs get-query-results --query-id QUERY_ID
",
        list = identifiers.join(","),
        spaced = identifiers.join(" "),
        quoted = quoted.join(", "),
    )
}
