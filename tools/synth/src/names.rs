//! The directory's names: the named permission sets and groups every organization has, and
//! the team sets and groups past them.

pub const PERMISSION_SETS: [(&str, Option<&str>); 11] = [
    ("AdministratorAccess", Some("Full access to AWS services and resources")),
    (
        "ReadOnlyAccess",
        Some("=HYPERLINK(\"https://wiki.example.com/access\",\"Read-only access, imported from the access sheet\")"),
    ),
    ("Billing", Some("Billing and cost management for the finance team")),
    ("PowerUserAccess", None),
    ("ViewOnlyAccess", Some("View resources and basic metadata across services")),
    ("SecurityAudit", Some("Read security configuration metadata")),
    ("DatabaseAdministrator", None),
    ("NetworkAdministrator", Some("Network resources: VPC, Route 53, Direct Connect")),
    ("DataScientist", Some("SageMaker, Athena and the data lake")),
    ("SupportUser", Some("AWS Support cases and Trusted Advisor")),
    ("SystemAdministrator", None),
];
pub const GROUP_NAMES: [&str; 8] = [
    "Administrators",
    "Developers",
    "Auditors",
    "Finance",
    "DataScience",
    "SRE",
    "Security",
    "Contractors",
];

/// Permission sets past the named ones are `TeamNNDeveloper`, team NN's own set.
pub const FIRST_TEAM_SET: usize = PERMISSION_SETS.len();
/// Groups past the named ones are `TeamNN`: team NN's group.
pub const FIRST_TEAM_GROUP: usize = GROUP_NAMES.len();

/// The named groups first, then `Team01`, `Team02`, ...
pub fn group_name(i: usize) -> String {
    match GROUP_NAMES.get(i) {
        Some(name) => name.to_string(),
        None => format!("Team{:02}", i - FIRST_TEAM_GROUP + 1),
    }
}
