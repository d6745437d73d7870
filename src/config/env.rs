//! Reading `IDC_*` variables: trimmed, and an empty value counts as unset (Terraform writes
//! empty strings for unset optional variables).

use super::{Entry, Setting, SettingsError};

/// Environment variables read through a function (the process environment, or a map in tests).
pub struct Env<F>(pub F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<String, SettingsError> {
        self.get(name)
            .ok_or_else(|| SettingsError(format!("{name} is not set")))
    }

    /// A setting's variable.
    pub(crate) fn setting(&self, setting: &Setting) -> Option<String> {
        self.get(setting.name(Entry::Environment))
    }

    /// A setting's comma-separated values.
    pub(crate) fn list(&self, setting: &Setting) -> Vec<String> {
        self.setting(setting)
            .unwrap_or_default()
            .split(',')
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A whole number, `default` when unset.
    pub fn whole_number<T: std::str::FromStr>(
        &self,
        name: &str,
        default: T,
    ) -> Result<T, SettingsError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| SettingsError(format!("{name} must be a whole number, not {v:?}"))),
        }
    }
}
