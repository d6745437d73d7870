//! Which permission sets count as privileged, for the review queue: names, each with `*`
//! standing for any text (`*Admin*`).

/// AWS's managed administrator, power-user and IAM job functions, and any name with `Admin`.
pub const DEFAULT_PRIVILEGED: [&str; 4] = [
    "AdministratorAccess",
    "PowerUserAccess",
    "IAMFullAccess",
    "*Admin*",
];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Privileged(Vec<String>);

impl Default for Privileged {
    fn default() -> Self {
        Privileged::new(DEFAULT_PRIVILEGED.iter().map(|p| p.to_string()).collect())
    }
}

impl Privileged {
    pub fn new(patterns: Vec<String>) -> Privileged {
        Privileged(patterns)
    }

    /// A comma-separated list of names, each with `*` for any text.
    pub fn parse(list: &str) -> Result<Privileged, String> {
        let names: Vec<String> = list.split(',').map(|n| n.trim().to_owned()).collect();
        if names.iter().any(String::is_empty) {
            return Err(format!(
                "{list:?} has an empty name: give permission set names separated by commas"
            ));
        }
        Ok(Privileged::new(names))
    }

    pub fn patterns(&self) -> &[String] {
        &self.0
    }

    /// Whether the permission set named `name` is privileged.
    pub fn contains(&self, name: &str) -> bool {
        !name.is_empty() && self.0.iter().any(|p| glob_matches(p, name))
    }
}

/// `*` matches any text, everything else itself (case-sensitive, as AWS names are).
fn glob_matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_names_aws_administrators_and_anything_admin() {
        let privileged = Privileged::default();
        for name in [
            "AdministratorAccess",
            "PowerUserAccess",
            "IAMFullAccess",
            "SecurityAdmin",
            "AdminReadOnly",
            "NetAdminTeam",
        ] {
            assert!(privileged.contains(name), "{name}");
        }
        for name in [
            "ReadOnlyAccess",
            "ViewOnlyAccess",
            "administrators",
            "",
            "AdministratorAccess2",
        ] {
            assert!(
                !privileged.contains(name) || name == "AdministratorAccess2",
                "{name}"
            );
        }
        assert!(
            privileged.contains("AdministratorAccess2"),
            "it contains Admin"
        );
    }

    #[test]
    fn stars_match_any_text() {
        for (pattern, name, matches) in [
            ("Billing", "Billing", true),
            ("Billing", "BillingX", false),
            ("Prod*", "ProdDeploy", true),
            ("*Deploy", "ProdDeploy", true),
            ("*Deploy", "ProdDeployX", false),
            ("A*B*C", "AxxBxxC", true),
            ("A*B*C", "AxxCxxB", false),
            ("AB*BA", "ABA", false),
            ("*", "anything", true),
        ] {
            assert_eq!(glob_matches(pattern, name), matches, "{pattern} {name}");
        }
    }
}
