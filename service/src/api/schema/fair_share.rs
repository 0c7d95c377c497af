//! Fair shares of the machine between callers: one token subject (the JWT
//! `sub`) may have at most `graphql.max_concurrent_per_subject` operations
//! executing at once. More wait for a turn, first come first served, and give
//! up after `graphql.queue_timeout` with TOO_MANY_REQUESTS (HTTP 429).
//!
//! Why: every request is bounded by the document budget and the complexity
//! limit, but a caller may send as many bounded requests at once as it likes,
//! and on two cores a few connections sending the largest accepted queries
//! kept both busy: another admin's dashboard went from 19 to 228 ms
//! (docs/reliability.md, "GraphQL abuse"). With a share per subject the heavy
//! caller queues behind itself, and the others keep their latency.
//!
//! A turn covers parsing, validation and execution, the work a caller can make
//! expensive. It is an async-graphql extension, so HTTP requests and WebSocket
//! operations are counted alike; a subscription holds its turn while it is
//! parsed and validated, not for its lifetime (it mostly waits for events).

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Request, ServerError, ServerResult, ValidationResult, Variables};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::api::errors::ApiError;
use crate::api::Principal;
use crate::config::graphql::GraphqlConfig;

/// The per-subject limits of one service. Cheap to clone (shared).
#[derive(Clone, Debug)]
pub struct FairShare {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    per_subject: usize,
    queue_timeout: Duration,
    /// One semaphore per subject with an operation executing or waiting;
    /// removed when the last one leaves, so the map stays as small as the
    /// number of active callers.
    subjects: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Operations refused after waiting, for `/metrics`.
    refused: AtomicU64,
}

/// The right to execute one operation; the subject's slot is freed on drop.
#[derive(Debug)]
pub struct Turn {
    permit: Option<OwnedSemaphorePermit>,
    subject: String,
    share: FairShare,
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.permit.take());
        self.share.forget_if_idle(&self.subject);
    }
}

impl FairShare {
    pub fn new(config: &GraphqlConfig) -> FairShare {
        FairShare {
            inner: Arc::new(Inner {
                per_subject: config.max_concurrent_per_subject,
                queue_timeout: config.queue_timeout,
                subjects: Mutex::new(HashMap::new()),
                refused: AtomicU64::new(0),
            }),
        }
    }

    /// Waits for one of `subject`'s slots, behind the operations of that
    /// subject that asked earlier, at most `queue_timeout`.
    pub async fn turn(&self, subject: &str) -> Result<Turn, ApiError> {
        let semaphore = {
            let mut subjects = self.inner.subjects.lock().expect("the subject map is never poisoned");
            subjects.entry(subject.to_string()).or_insert_with(|| Arc::new(Semaphore::new(self.inner.per_subject))).clone()
        };
        // The wait owns the clone, so a caller that gives up leaves none behind.
        match tokio::time::timeout(self.inner.queue_timeout, semaphore.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Turn { permit: Some(permit), subject: subject.to_string(), share: self.clone() }),
            // Timed out (the semaphore is never closed).
            _ => {
                self.forget_if_idle(subject);
                self.inner.refused.fetch_add(1, Ordering::Relaxed);
                Err(ApiError::TooManyRequests(format!(
                    "too many operations at once for `{subject}`: at most {} run at a time per token subject, \
                     and this one waited {} for its turn; try again shortly",
                    self.inner.per_subject,
                    humantime::format_duration(self.inner.queue_timeout)
                )))
            }
        }
    }

    /// Operations refused with TOO_MANY_REQUESTS since the start.
    pub fn refused(&self) -> u64 {
        self.inner.refused.load(Ordering::Relaxed)
    }

    /// Subjects with an operation executing or waiting.
    pub fn active_subjects(&self) -> usize {
        self.inner.subjects.lock().expect("the subject map is never poisoned").len()
    }

    /// Drops `subject`'s semaphore when nobody holds or awaits it: every
    /// holder and waiter has a clone, and clones are only made under the lock.
    fn forget_if_idle(&self, subject: &str) {
        let mut subjects = self.inner.subjects.lock().expect("the subject map is never poisoned");
        if subjects.get(subject).is_some_and(|s| Arc::strong_count(s) == 1) {
            subjects.remove(subject);
        }
    }
}

impl ExtensionFactory for FairShare {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FairShareExtension { share: self.clone(), turn: Mutex::new(None), operation_name: Mutex::new(None), subscription: AtomicBool::new(false) })
    }
}

/// One per operation (async-graphql creates extensions per request).
struct FairShareExtension {
    share: FairShare,
    /// Held until this extension is dropped with the operation, or, for a
    /// subscription, until it is validated.
    turn: Mutex<Option<Turn>>,
    operation_name: Mutex<Option<String>>,
    subscription: AtomicBool,
}

#[async_trait::async_trait]
impl Extension for FairShareExtension {
    async fn prepare_request(&self, ctx: &ExtensionContext<'_>, request: Request, next: NextPrepareRequest<'_>) -> ServerResult<Request> {
        // HTTP puts the caller into the request's data, a WebSocket into its session's.
        let principal = request
            .data
            .get(&TypeId::of::<Principal>())
            .and_then(|d| d.downcast_ref::<Principal>())
            .or_else(|| ctx.data_opt::<Principal>());
        // Unauthenticated operations never get here (the transports refuse
        // them first); should one, it shares the anonymous queue.
        let subject = principal.map(|p| p.subject.as_str()).unwrap_or("");
        let turn = self.share.turn(subject).await.map_err(|e| e.to_server_error())?;
        *self.turn.lock().expect("never poisoned") = Some(turn);
        *self.operation_name.lock().expect("never poisoned") = request.operation_name.clone();
        next.run(ctx, request).await
    }

    async fn parse_query(&self, ctx: &ExtensionContext<'_>, query: &str, variables: &Variables, next: NextParseQuery<'_>) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let name = self.operation_name.lock().expect("never poisoned").clone();
        self.subscription.store(is_subscription(&doc, name.as_deref()), Ordering::SeqCst);
        Ok(doc)
    }

    async fn validation(&self, ctx: &ExtensionContext<'_>, next: NextValidation<'_>) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await;
        if self.subscription.load(Ordering::SeqCst) {
            self.turn.lock().expect("never poisoned").take();
        }
        result
    }
}

/// Whether the operation `name` picks (or the only one) is a subscription.
/// An ambiguous choice is async-graphql's to refuse; it counts as no subscription.
fn is_subscription(doc: &ExecutableDocument, name: Option<&str>) -> bool {
    let mut chosen = doc.operations.iter().filter(|(n, _)| name.is_none() || n.map(|n| n.as_str()) == name);
    match (chosen.next(), chosen.next()) {
        (Some((_, op)), None) => op.node.ty == OperationType::Subscription,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(per_subject: usize, wait_ms: u64) -> FairShare {
        FairShare::new(&GraphqlConfig { max_concurrent_per_subject: per_subject, queue_timeout: Duration::from_millis(wait_ms) })
    }

    #[tokio::test]
    async fn a_subject_over_its_limit_waits_then_is_refused_while_others_go_ahead() {
        let share = share(2, 50);
        let (_a1, _a2) = (share.turn("alice").await.unwrap(), share.turn("alice").await.unwrap());
        let refused = share.turn("alice").await.unwrap_err();
        assert_eq!(refused.code(), "TOO_MANY_REQUESTS");
        assert!(refused.public_message().contains("at most 2"), "{}", refused.public_message());
        assert!(share.turn("bob").await.is_ok());
        assert_eq!(share.refused(), 1);
    }

    #[tokio::test]
    async fn waiting_callers_are_served_in_arrival_order() {
        let share = share(1, 5_000);
        let first = share.turn("alice").await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for i in 0..5 {
            let (share, order) = (share.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let _turn = share.turn("alice").await.unwrap();
                order.lock().unwrap().push(i);
            }));
            // Each waiter queued before the next one is spawned.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        drop(first);
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn idle_subjects_are_forgotten() {
        let share = share(1, 10);
        let turn = share.turn("alice").await.unwrap();
        assert!(share.turn("alice").await.is_err());
        assert_eq!(share.active_subjects(), 1);
        drop(turn);
        assert_eq!(share.active_subjects(), 0);
    }

    #[test]
    fn the_chosen_operation_decides_whether_it_is_a_subscription() {
        let doc = async_graphql::parser::parse_query("query A { me { role } } subscription B { runEvents { runId } }").unwrap();
        assert!(!is_subscription(&doc, Some("A")));
        assert!(is_subscription(&doc, Some("B")));
        assert!(!is_subscription(&doc, None), "ambiguous: async-graphql refuses it");
        let single = async_graphql::parser::parse_query("subscription { runEvents { runId } }").unwrap();
        assert!(is_subscription(&single, None));
    }
}
