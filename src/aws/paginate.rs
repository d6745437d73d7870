//! Listing every page of an AWS list call, with a guard against a token that comes back
//! twice (a service bug would otherwise loop forever), and resumable from pages already read.

use super::AwsError;
use std::future::Future;

/// Follows `NextToken` until the last page, refusing a token that comes back twice.
pub async fn paginate<T, F, Fut>(
    action: &'static str,
    resource: &str,
    page: F,
) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    paginate_from(action, resource, PagesSoFar::default(), &mut NoHooks, page).await
}

/// A listing's pages already read (by an earlier run) and the cursor to go on from.
#[derive(Debug)]
pub struct PagesSoFar<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

impl<T> Default for PagesSoFar<T> {
    fn default() -> Self {
        PagesSoFar {
            items: Vec::new(),
            next_token: None,
        }
    }
}

/// What a resumable reader does around each page: may it call again, and what to keep.
pub trait PageHooks<T> {
    /// Called before each page's request; an error stops the listing there.
    fn before_page(&mut self) -> Result<(), AwsError>;
    /// Called with each page read and the cursor after it (`None` on the last page).
    fn after_page(&mut self, items: &[T], next_token: Option<&str>) -> Result<(), AwsError>;
}

struct NoHooks;

impl<T> PageHooks<T> for NoHooks {
    fn before_page(&mut self) -> Result<(), AwsError> {
        Ok(())
    }
    fn after_page(&mut self, _: &[T], _: Option<&str>) -> Result<(), AwsError> {
        Ok(())
    }
}

/// [`paginate`] from `start`, with `hooks` around each page.
pub async fn paginate_from<T, F, Fut>(
    action: &'static str,
    resource: &str,
    start: PagesSoFar<T>,
    hooks: &mut dyn PageHooks<T>,
    mut page: F,
) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let PagesSoFar {
        mut items,
        next_token: mut token,
    } = start;
    let mut seen = std::collections::HashSet::new();
    loop {
        hooks.before_page()?;
        let (mut batch, next) = page(token.take()).await?;
        let next = next.filter(|t| !t.is_empty());
        hooks.after_page(&batch, next.as_deref())?;
        items.append(&mut batch);
        match next {
            None => return Ok(items),
            Some(next) if !seen.insert(next.clone()) => {
                return Err(AwsError::PaginationLoop {
                    action,
                    resource: resource.to_owned(),
                })
            }
            Some(next) => token = Some(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pagination_stops_on_a_repeated_token() {
        let result: Result<Vec<u32>, _> = paginate("x:List", "r", |_| async {
            Ok((vec![1], Some("same".to_owned())))
        })
        .await;
        assert!(matches!(result, Err(AwsError::PaginationLoop { .. })));
    }

    #[tokio::test]
    async fn pagination_collects_every_page() {
        let result = paginate("x:List", "r", |token| async move {
            Ok(match token.as_deref() {
                None => (vec![1, 2], Some("a".to_owned())),
                Some("a") => (vec![3], Some(String::new())),
                _ => unreachable!(),
            })
        })
        .await
        .unwrap();
        assert_eq!(result, vec![1, 2, 3]);
    }
}
