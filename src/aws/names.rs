//! Account ids and Region names as AWS writes them: checked before they reach a query text,
//! a snapshot or a setting, so that a typo fails at once and by name.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidName {
    #[error("{0:?} is not a 12-digit account id")]
    Account(String),
    #[error("{0:?} is not an AWS Region name")]
    Region(String),
}

pub fn check_account(account: &str) -> Result<(), InvalidName> {
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then_some(())
        .ok_or_else(|| InvalidName::Account(account.to_owned()))
}

pub fn check_region(region: &str) -> Result<(), InvalidName> {
    let valid = (4..=32).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    valid
        .then_some(())
        .ok_or_else(|| InvalidName::Region(region.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_aws_writes_pass() {
        assert!(check_account("111122223333").is_ok());
        assert!(check_account("1111' OR 1=1").is_err());
        assert!(check_region("us-east-1").is_ok());
        assert!(check_region("us-east-1'").is_err());
    }
}
