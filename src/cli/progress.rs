//! A progress bar on standard error, only when it is a terminal and there is much to read.

use idc_credential_report::pipeline::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub struct TerminalProgress(Option<ProgressBar>);

impl TerminalProgress {
    pub fn new() -> Self {
        TerminalProgress(std::io::stderr().is_terminal().then(ProgressBar::hidden))
    }
}

impl Progress for TerminalProgress {
    fn files_found(&self, count: u64) {
        if let Some(bar) = &self.0 {
            if count >= 100 {
                bar.set_length(count);
                bar.set_style(
                    ProgressStyle::with_template("{bar:40} {pos}/{len} log files {elapsed}")
                        .expect("valid template"),
                );
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
        }
    }
    fn file_done(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
    fn finished(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
    fn notice(&self, message: &str) {
        eprintln!("note: {message}");
    }
}

/// On a terminal, a line every few seconds with the AWS calls made so far, until dropped.
pub struct CallTicker(Option<tokio::task::JoinHandle<()>>);

impl CallTicker {
    pub fn start(stats: std::sync::Arc<idc_credential_report::aws::CallStats>) -> Self {
        if !std::io::stderr().is_terminal() {
            return CallTicker(None);
        }
        CallTicker(Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            tick.tick().await;
            loop {
                tick.tick().await;
                eprintln!("  ... {} AWS calls so far", stats.total_calls());
            }
        })))
    }
}

impl Drop for CallTicker {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}
