//! End-to-end tests of the `idc-credential-report` binary.

mod bad_input;
mod output;
mod published;
mod rules;
mod util;
