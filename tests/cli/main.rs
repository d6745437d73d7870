//! End-to-end tests of the `idc-credential-report` binary.

mod athena;
mod aws_directory;
mod bad_input;
mod changes;
mod cloudwatch;
mod damaged;
mod emulators;
mod entitlements;
mod first_hour;
mod html;
mod judged;
mod lake;
mod lambda;
mod lookup;
mod output;
mod published;
mod regions;
mod removal;
mod resume;
mod review;
mod rules;
mod s3_faults;
mod s3_output;
mod util;
