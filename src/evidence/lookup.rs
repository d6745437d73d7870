//! Evidence from CloudTrail's free event history (`LookupEvents`), for small organizations
//! with neither CloudTrail Lake nor an organization trail: the Identity Center account's last
//! 90 days, one paginated lookup per event name and Region, held under the API's 2 requests/s
//! per account and Region. Each event's JSON goes through the log files' parser and rules.
//! The access changes come the same way, one lookup per change event name.

use super::aggregate::Aggregate;
use super::changes::ChangeKind;
use super::event::observe;
use super::{Evidence, SourceWarning, Window};
use crate::aws::{paginate, AwsError, Caller, RateLimiter};
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_smithy_types::DateTime;

/// How far back the event history goes.
pub(crate) const HISTORY_DAYS: u32 = 90;
/// LookupEvents' quota: 2 requests per second per account and Region.
const LOOKUP_RATE: f64 = 2.0;
/// The events of use; the access changes ([`ChangeKind`]) are looked up too.
const USE_EVENT_NAMES: [&str; 3] = ["Federate", "GetRoleCredentials", "UserAuthentication"];

#[derive(Debug, Clone)]
pub struct LookupOptions {
    /// The Regions to look up; empty: the instance's Regions, else the Region in use.
    pub regions: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("CloudTrail event history (LookupEvents) keeps {HISTORY_DAYS} days: --lookback-days {0} is longer. Use {HISTORY_DAYS} or less, or an evidence source that keeps more (CloudTrail Lake, Athena, log files)")]
    WindowTooLong(u32),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("CloudTrail event history: no Region to look up (name them with --cloudtrail-lookup REGION,..., or set the Region in use)")]
    NoRegion,
    #[error("LookupEvents in {region} returned event {event_id} that cannot be read: {error}")]
    Event {
        region: String,
        event_id: String,
        error: String,
    },
}

pub(crate) async fn read_lookup(
    config: &SdkConfig,
    options: &LookupOptions,
    window: &Window,
    caller: &Caller,
) -> Result<Evidence, LookupError> {
    if window.lookback_days > HISTORY_DAYS {
        return Err(LookupError::WindowTooLong(window.lookback_days));
    }
    let regions = match options.regions.as_slice() {
        [] => vec![config.region().ok_or(LookupError::NoRegion)?.to_string()],
        given => given.to_vec(),
    };
    let mut total = Aggregate::default();
    for region in &regions {
        total = total.merge(read_region(config, region, window, caller).await?);
    }
    let mut evidence = total.into_evidence("cloudtrail-lookup", &regions.join(","));
    evidence.source.warnings.push(SourceWarning::new(
        "removed_regions_unseen",
        format!("event history is read Region by Region, in the Regions listed now ({}): a Region removed from the instance during the window is no longer listed, and uses made there cannot be seen. If the instance had another Region in the window, add it to --cloudtrail-lookup", regions.join(", ")),
    ));
    evidence.source.regions = regions;
    let history_start = chrono::Utc::now() - chrono::Duration::days(i64::from(HISTORY_DAYS));
    if window.start() < history_start {
        evidence.source.warnings.push(SourceWarning::new(
            "lookup_window_older_than_history",
            format!("the window starts {}, more than {HISTORY_DAYS} days ago: the event history no longer holds its first days", window.start()),
        ));
    }
    Ok(evidence)
}

async fn read_region(
    config: &SdkConfig,
    region: &str,
    window: &Window,
    caller: &Caller,
) -> Result<Aggregate, LookupError> {
    let regional = config
        .to_builder()
        .region(aws_config::Region::new(region.to_owned()))
        .build();
    let client = aws_sdk_cloudtrail::Client::new(&regional);
    let limiter = RateLimiter::per_second(LOOKUP_RATE);
    let names = USE_EVENT_NAMES
        .into_iter()
        .chain(ChangeKind::ALL.map(ChangeKind::event_name));
    let lookups = names.map(|name| lookup(&client, &limiter, caller, region, name, window));
    let mut aggregate = Aggregate::default();
    for events in futures::future::try_join_all(lookups).await? {
        for (event_id, json) in events {
            aggregate.info.events_read += 1;
            let observation = observe(json.as_bytes()).map_err(|e| LookupError::Event {
                region: region.to_owned(),
                event_id,
                error: e.to_string(),
            })?;
            if let Some(observation) = observation {
                aggregate.observe(observation, window);
            }
        }
    }
    Ok(aggregate)
}

/// Every event named `name` in the window: (EventId, CloudTrailEvent JSON).
async fn lookup(
    client: &aws_sdk_cloudtrail::Client,
    limiter: &RateLimiter,
    caller: &Caller,
    region: &str,
    name: &str,
    window: &Window,
) -> Result<Vec<(String, String)>, AwsError> {
    let attribute = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::EventName)
        .attribute_value(name)
        .build()
        .expect("key and value are set");
    let resource = format!("{name} events in {region}");
    let resource = resource.as_str();
    let attribute = &attribute;
    paginate("cloudtrail:LookupEvents", resource, |token| async move {
        let out = caller
            .call(limiter, "cloudtrail:LookupEvents", resource, || {
                client
                    .lookup_events()
                    .lookup_attributes(attribute.clone())
                    .start_time(DateTime::from_secs(window.start_secs()))
                    // EndTime is exclusive in practice; the window's end is inclusive.
                    .end_time(DateTime::from_secs(window.end_secs() + 1))
                    .max_results(50)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        let events = out
            .events
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| Some((e.event_id.unwrap_or_default(), e.cloud_trail_event?)))
            .collect();
        Ok((events, out.next_token))
    })
    .await
}
