//! The judged period on the bundled example: no access that began inside the window (granted,
//! a group joined, or its user created) is UNUSED or planned for removal, checked against the
//! example's own changes file and user summary rather than the report's own `judged_since`.

use crate::util::*;
use std::collections::HashSet;
use std::path::Path;

const WINDOW_START: &str = "2026-08-24T00:00:00Z";

/// The example's report, changes file and user summary, made into `s`.
fn example_report(s: &Scratch) -> (Vec<Row>, Vec<Row>, Vec<Row>) {
    let snapshot = example().join("snapshot.json");
    report_from_logs(s, &snapshot, &example().join("logs"), &[]);
    (
        read_rows(&s.path("logs.csv")),
        read_rows(&s.path("logs.changes.csv")),
        read_rows(&s.path("logs.users.csv")),
    )
}

/// The starts of access inside the window that the changes file and the users show.
struct Starts {
    grants: HashSet<(String, String, String, String)>,
    memberships: HashSet<(String, String)>,
    new_users: HashSet<String>,
}

impl Starts {
    fn of(changes: &[Row], users: &[Row]) -> Starts {
        let named = |c: &Row, name: &str| c["event_name"] == name;
        Starts {
            grants: changes
                .iter()
                .filter(|c| named(c, "CreateAccountAssignment"))
                .map(|c| {
                    let key = |k: &str| c[k].clone();
                    (
                        key("account_id"),
                        key("permission_set_arn"),
                        key("principal_type"),
                        key("principal_id"),
                    )
                })
                .collect(),
            memberships: changes
                .iter()
                .filter(|c| named(c, "CreateGroupMembership"))
                .map(|c| (c["group_id"].clone(), c["user_id"].clone()))
                .collect(),
            new_users: users
                .iter()
                .filter(|u| u["created_at"].as_str() > WINDOW_START)
                .map(|u| u["user_id"].clone())
                .collect(),
        }
    }

    fn began_inside(&self, r: &Row) -> bool {
        let principal = match r["assignment_type"].as_str() {
            "GROUP" => &r["group_id"],
            _ => &r["user_id"],
        };
        let grant = (
            r["account_id"].clone(),
            r["permission_set_arn"].clone(),
            r["assignment_type"].clone(),
            principal.clone(),
        );
        self.grants.contains(&grant)
            || self
                .memberships
                .contains(&(r["group_id"].clone(), r["user_id"].clone()))
            || self.new_users.contains(&r["user_id"])
    }
}

#[test]
fn on_the_example_no_access_that_began_inside_the_window_is_unused() {
    let s = Scratch::new();
    let (rows, changes, users) = example_report(&s);
    let starts = Starts::of(&changes, &users);
    let mut new = 0;
    for r in &rows {
        let began = starts.began_inside(r);
        match r["usage_status"].as_str() {
            "UNUSED" => assert!(
                !began,
                "UNUSED, but its access began inside the window: {r:?}"
            ),
            "NEW" => {
                assert!(began, "NEW without a start inside the window: {r:?}");
                assert!(r["judged_since"].as_str() > WINDOW_START, "{r:?}");
                new += 1;
            }
            _ => {}
        }
    }
    let issue_rows = [
        (
            "hannah.costa",
            "311261362911",
            "SecurityAudit",
            "2026-11-17T05:40:38Z",
        ),
        (
            "mivanova",
            "743691777329",
            "AdministratorAccess",
            "2026-11-14T04:18:35Z",
        ),
    ];
    for (user, account, set, granted) in issue_rows {
        let r = rows
            .iter()
            .find(|r| {
                r["user_name"] == user
                    && r["account_id"] == account
                    && r["permission_set_name"] == set
            })
            .unwrap();
        let verdict = (r["usage_status"].as_str(), r["judged_since"].as_str());
        assert_eq!(verdict, ("NEW", granted), "{user} {account} {set}");
    }
    let manifest = read_json(&s.path("logs.manifest.json"));
    assert_eq!(manifest["report"]["new"], new);
    assert!(new > 0 && manifest["report"]["unused"].as_u64().unwrap() > 0);
}

#[test]
fn on_the_example_plan_removal_plans_no_access_that_began_inside_the_window() {
    let s = Scratch::new();
    let (rows, changes, users) = example_report(&s);
    let starts = Starts::of(&changes, &users);
    let plan = s.path("plan.json").display().to_string();
    let report = s.path("logs.csv").display().to_string();
    assert_success(&run(&args(&[
        "plan-removal",
        "--report",
        &report,
        "--output",
        &plan,
        "--accept-warnings",
        "uses_without_assignment,unknown_users,stale_report",
    ])));
    let plan = read_json(Path::new(&plan));
    let planned = plan["assignments"].as_array().unwrap();
    assert!(!planned.is_empty(), "the example has unused access to plan");
    for item in planned {
        let text = |k: &str| item[k].as_str().unwrap().to_owned();
        let of_item: Vec<&Row> = rows
            .iter()
            .filter(|r| {
                let principal = match r["assignment_type"].as_str() {
                    "GROUP" => &r["group_id"],
                    _ => &r["user_id"],
                };
                r["account_id"] == text("account_id")
                    && r["permission_set_arn"] == text("permission_set_arn")
                    && *principal == text("principal_id")
            })
            .collect();
        assert!(!of_item.is_empty(), "{item}");
        for r in of_item {
            assert_eq!(r["usage_status"], "UNUSED", "{item} plans {r:?}");
            assert!(
                !starts.began_inside(r),
                "{item} plans access that began inside the window: {r:?}"
            );
        }
    }
}
