//! Supervision of Magento's queue consumers, and the depth of every queue.
//!
//! Magento's `consumers_runner` cron starts `queue:consumers:start` processes
//! without watching them: it duplicates them, and never notices one that died
//! or hangs. cronkeeper keeps exactly the wanted number of processes per
//! consumer across all nodes instead, and shows every queue's depth.
//!
//! - [`definition`]: what a consumer is (command, instances, lane, budget,
//!   only-when-messages, nodes, restart policy) and the operator's switches.
//! - [`import`]: reading Magento's `queue_consumer.xml` files.
//! - [`lanes`]: which lane (and Magento area) an imported consumer gets.
//! - [`sync`]: merging Magento's list into the store (import and
//!   `syncMagentoConsumers`), keeping operator overrides; config consumers.
//! - [`supervisor`]: the once-a-second loop that takes fenced slots and
//!   ends what is no longer wanted; [`slot`]: the process in one slot.
//! - [`restart`]: replace at once, back off, or park a crash loop.
//! - [`idle`]: only-when-messages and the idle timeout, from the depth.
//! - [`depth`]: Magento's MySQL queue tables and RabbitMQ passive declares.
//! - [`history`]: the sampled depth history.
//! - [`overview`]: consumers and queues as the API and alerting show them.
//! - [`actions`]: the operations behind the GraphQL mutations.

pub mod actions;
pub mod definition;
pub mod depth;
pub mod history;
pub mod idle;
pub mod import;
pub mod lanes;
pub mod overview;
pub mod restart;
pub mod slot;
pub mod supervisor;
pub mod sync;

pub use definition::{ConsumerDefinition, ConsumerSource, StoredConsumer};
pub use depth::DepthSources;
pub use supervisor::Supervisor;
