//! The SDK configuration of one run, loaded once and only if a step needs AWS (an offline
//! report never loads it, so it needs no credentials).

use super::load_sdk_config;
use aws_config::SdkConfig;
use tokio::sync::OnceCell;

#[derive(Default)]
pub struct AwsSession(OnceCell<SdkConfig>);

impl AwsSession {
    pub async fn config(&self) -> &SdkConfig {
        self.0.get_or_init(load_sdk_config).await
    }
}
