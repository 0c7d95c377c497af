//! RabbitMQ depths by passive declare: `queue.declare` with `passive` set
//! creates nothing and answers the queue's ready message count and consumer
//! count. A queue that does not exist closes the channel with 404; the next
//! read opens a new channel, and the connection is reopened when it drops.

use std::sync::Arc;
use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};
use tokio::sync::Mutex;

use super::{QueueDepth, Transport};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct AmqpQueues {
    url: Arc<str>,
    link: Arc<Mutex<Option<(Connection, Channel)>>>,
}

impl AmqpQueues {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.into(),
            link: Arc::new(Mutex::new(None)),
        }
    }

    pub async fn depth(&self, queue: &str) -> Result<QueueDepth, String> {
        let mut link = self.link.lock().await;
        let usable = link
            .as_ref()
            .is_some_and(|(c, ch)| c.status().connected() && ch.status().connected());
        if !usable {
            *link = Some(self.open(link.take()).await?);
        }
        let (_, channel) = link.as_ref().expect("just opened");
        let options = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        match tokio::time::timeout(
            CONNECT_TIMEOUT,
            channel.queue_declare(queue.into(), options, FieldTable::default()),
        )
        .await
        {
            Ok(Ok(q)) => Ok(QueueDepth {
                ready: Some(q.message_count() as i64),
                broker_consumers: Some(q.consumer_count() as i64),
                ..QueueDepth::unknown(queue, Transport::Amqp)
            }),
            Ok(Err(e)) => {
                // The broker closed the channel (404 for a missing queue).
                Err(describe(&e))
            }
            Err(_) => {
                *link = None;
                Err("RabbitMQ did not answer within 5 s".into())
            }
        }
    }

    /// A channel on the existing connection if it is still up, else a new connection.
    async fn open(
        &self,
        previous: Option<(Connection, Channel)>,
    ) -> Result<(Connection, Channel), String> {
        if let Some((conn, _)) = previous {
            if conn.status().connected() {
                if let Ok(Ok(ch)) =
                    tokio::time::timeout(CONNECT_TIMEOUT, conn.create_channel()).await
                {
                    return Ok((conn, ch));
                }
            }
        }
        let conn = tokio::time::timeout(
            CONNECT_TIMEOUT,
            Connection::connect(&self.url, ConnectionProperties::default()),
        )
        .await
        .map_err(|_| "cannot reach RabbitMQ within 5 s".to_string())?
        .map_err(|e| format!("cannot connect to RabbitMQ: {}", describe(&e)))?;
        let ch = conn.create_channel().await.map_err(|e| describe(&e))?;
        Ok((conn, ch))
    }
}

/// lapin's error, which never contains the URL's password.
fn describe(e: &lapin::Error) -> String {
    e.to_string()
}
