//! Queue depth from where the messages are: Magento's MySQL queue tables
//! ([`mysql`]) and RabbitMQ passive declares ([`amqp`]). Each figure is
//! `None` when the transport cannot tell it (RabbitMQ does not report
//! unacknowledged messages to a passive declare, for instance).

pub mod amqp;
pub mod mysql;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use crate::config::Config;

/// Which transport carries a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Transport {
    /// RabbitMQ.
    Amqp,
    /// Magento's `db` connection: the `queue_message_status` table.
    Mysql,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Amqp => "amqp",
            Transport::Mysql => "mysql",
        }
    }
}

/// One queue's figures at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDepth {
    pub name: String,
    pub transport: Transport,
    /// Messages waiting for a consumer (MySQL: new and retry-required).
    pub ready: Option<i64>,
    /// Delivered and not yet finished (MySQL: in progress).
    pub in_flight: Option<i64>,
    /// Given up on (MySQL: status error).
    pub errored: Option<i64>,
    /// Waiting to be retried (MySQL: retry required; also counted in `ready`).
    pub retrying: Option<i64>,
    /// Consumers attached, as the broker reports them (AMQP only).
    pub broker_consumers: Option<i64>,
    /// Seconds since the oldest ready message was written or last retried.
    pub oldest_age_seconds: Option<i64>,
}

impl QueueDepth {
    pub fn unknown(name: &str, transport: Transport) -> Self {
        Self {
            name: name.into(),
            transport,
            ready: None,
            in_flight: None,
            errored: None,
            retrying: None,
            broker_consumers: None,
            oldest_age_seconds: None,
        }
    }
}

/// The depth readers this process has, from `[queues]`.
#[derive(Clone)]
pub struct DepthSources {
    pub mysql: Option<mysql::MysqlQueues>,
    pub amqp: Option<amqp::AmqpQueues>,
}

impl DepthSources {
    /// The readers for `config`'s URLs, shared by everything in this process
    /// (supervisor, sampler, API), so each URL has one pool or connection.
    pub fn shared(config: &Config) -> Self {
        type Key = (Option<String>, String, Option<String>);
        static SHARED: OnceLock<Mutex<HashMap<Key, DepthSources>>> = OnceLock::new();
        let key = (
            config
                .queues
                .magento_database_url
                .as_ref()
                .map(|s| s.expose().to_string()),
            config.queues.magento_table_prefix.clone(),
            config
                .queues
                .amqp_url
                .as_ref()
                .map(|s| s.expose().to_string()),
        );
        let mut map = SHARED
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.entry(key)
            .or_insert_with(|| Self::from_config(config))
            .clone()
    }

    pub fn from_config(config: &Config) -> Self {
        Self {
            mysql: config
                .queues
                .magento_database_url
                .as_ref()
                .map(|u| mysql::MysqlQueues::new(u.expose(), &config.queues.magento_table_prefix)),
            amqp: config
                .queues
                .amqp_url
                .as_ref()
                .map(|u| amqp::AmqpQueues::new(u.expose())),
        }
    }

    /// The transport a consumer's queue is on: its Magento connection when
    /// given (`db` is MySQL, anything else AMQP), else AMQP when a broker is
    /// configured, else MySQL. `None` when no reader for it is configured.
    pub fn transport_for(&self, connection: Option<&str>) -> Option<Transport> {
        let wanted = match connection {
            Some("db") => Transport::Mysql,
            Some(_) => Transport::Amqp,
            None if self.amqp.is_some() => Transport::Amqp,
            None => Transport::Mysql,
        };
        match wanted {
            Transport::Mysql if self.mysql.is_some() => Some(wanted),
            Transport::Amqp if self.amqp.is_some() => Some(wanted),
            _ => None,
        }
    }

    /// Depths of the named queues (each with its transport). Every MySQL queue
    /// is read in one query; AMQP queues one passive declare each. A queue a
    /// source could not read comes back with unknown figures, and the error
    /// is logged, not returned: one broken source must not hide the others.
    pub async fn read(&self, wanted: &[(String, Transport)], all_mysql: bool) -> Vec<QueueDepth> {
        let mut out: BTreeMap<(String, Transport), QueueDepth> = BTreeMap::new();
        let mut mysql_read = false;
        if let Some(m) = &self.mysql {
            if all_mysql || wanted.iter().any(|(_, t)| *t == Transport::Mysql) {
                match m.depths().await {
                    Ok(found) => {
                        mysql_read = true;
                        for d in found {
                            let listed = wanted
                                .iter()
                                .any(|(n, t)| *t == Transport::Mysql && *n == d.name);
                            if all_mysql || listed {
                                out.insert((d.name.clone(), Transport::Mysql), d);
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read Magento's MySQL queue depths")
                    }
                }
            }
        }
        for (name, transport) in wanted {
            if out.contains_key(&(name.clone(), *transport)) {
                continue;
            }
            let depth = match (transport, &self.amqp) {
                (Transport::Amqp, Some(a)) => match a.depth(name).await {
                    Ok(d) => d,
                    Err(e) => {
                        tracing::warn!(queue = %name, error = %e, "cannot read an AMQP queue's depth");
                        QueueDepth::unknown(name, Transport::Amqp)
                    }
                },
                // A MySQL queue Magento has not created yet holds nothing.
                (Transport::Mysql, Some(_)) if mysql_read => QueueDepth {
                    ready: Some(0),
                    in_flight: Some(0),
                    errored: Some(0),
                    retrying: Some(0),
                    ..QueueDepth::unknown(name, Transport::Mysql)
                },
                _ => QueueDepth::unknown(name, *transport),
            };
            out.insert((name.clone(), *transport), depth);
        }
        out.into_values().collect()
    }
}
