//! The `cronkeeper` command line. Each subcommand is a thin call into the
//! library; errors come back as one line that names what is wrong.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::app::{cancel_on_signals, Application, Roles};
use crate::config::Config;
use crate::domain::parse_duration;
use crate::store::{self, Store};

#[derive(Debug, Parser)]
#[command(name = "cronkeeper", version, about = "Supervised, lane-isolated scheduler for Magento 2 cron jobs and workers")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// TOML configuration file; every key can also be set with CRONKEEPER_* variables.
    #[arg(long, short = 'c', env = "CRONKEEPER_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API, the scheduler and the workers (all-in-one).
    Serve {
        #[command(flatten)]
        config: ConfigArg,
        /// Run the API and the scheduler only; workers run elsewhere.
        #[arg(long)]
        no_workers: bool,
    },
    /// Run lane workers only (no API, no scheduler), on any node that shares the database.
    Worker {
        #[command(flatten)]
        config: ConfigArg,
        /// Lanes to work, separated by commas (default: every configured lane).
        #[arg(long, value_name = "LANE,...")]
        lanes: Option<String>,
        /// Slots per lane, like critical=4,default=2 (default: each lane's configured slots).
        #[arg(long, value_name = "LANE=N,...")]
        slots: Option<String>,
    },
    /// Cron expression tools.
    Cron {
        #[command(subcommand)]
        command: CronCommand,
    },
    /// Import jobs from Magento configuration files.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Stop starting new runs and stop consumer processes (all nodes), optionally waiting for both: for deployments.
    Drain {
        #[command(flatten)]
        config: ConfigArg,
        /// Wait until no run is RUNNING and no consumer process is left.
        #[arg(long)]
        wait: bool,
        /// Give up waiting after this long (exit status 2).
        #[arg(long, default_value = "10m")]
        timeout: String,
    },
    /// Undo `drain`: start runs and consumers again.
    Resume {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Mint a JWT for the API with the configured secret (for scripts and the playground).
    Token {
        #[command(flatten)]
        config: ConfigArg,
        /// viewer, operator or admin.
        #[arg(long)]
        role: String,
        /// Who the token is for (written to the audit log).
        #[arg(long)]
        sub: String,
        /// Lifetime; at most auth.max_token_lifetime (15m by default).
        #[arg(long, default_value = "10m")]
        ttl: String,
    },
    /// Print the GraphQL schema (SDL) the service serves.
    Schema,
    /// Supervised Magento queue consumers.
    Consumers {
        #[command(subcommand)]
        command: ConsumersCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConsumersCommand {
    /// Replace every running consumer process (or those named) with a fresh
    /// one, on all nodes: after a deployment, so none keeps running old code.
    Restart {
        #[command(flatten)]
        config: ConfigArg,
        /// Consumers to restart; all when none is named.
        names: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CronCommand {
    /// Print the next fire times of an expression, one RFC 3339 timestamp per line.
    Next {
        expression: String,
        /// IANA time zone the expression is evaluated in.
        #[arg(long, default_value = "UTC")]
        tz: String,
        /// How many fire times.
        #[arg(short = 'n', default_value_t = 5)]
        count: usize,
        /// Start after this instant (RFC 3339) instead of now.
        #[arg(long)]
        after: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Create or update jobs from Magento crontab.xml files or directories.
    MagentoCrontab {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Create or update queue consumers from Magento queue_consumer.xml files or directories.
    MagentoConsumers {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Serve { config, no_workers } => serve(config, no_workers).await,
        Command::Worker { config, lanes, slots } => worker(config, lanes.as_deref(), slots.as_deref()).await,
        Command::Cron { command: CronCommand::Next { expression, tz, count, after } } => cron_next(&expression, &tz, count, after.as_deref()),
        Command::Import { command: ImportCommand::MagentoCrontab { config, paths } } => import_crontab(config, &paths).await,
        Command::Import { command: ImportCommand::MagentoConsumers { config, paths } } => import_consumers(config, &paths).await,
        Command::Consumers { command: ConsumersCommand::Restart { config, names } } => restart_consumers(config, &names).await,
        Command::Drain { config, wait, timeout } => drain(config, wait, &timeout).await,
        Command::Token { config, role, sub, ttl } => token(config, &role, &sub, &ttl),
        Command::Schema => {
            print!("{}", crate::api::schema_sdl());
            Ok(0)
        }
        Command::Resume { config } => {
            let store = open_store(&config).await?;
            store::settings::set(&store, store::settings::DRAINING, "0").await?;
            println!("resumed: runs and consumers start again");
            Ok(0)
        }
    }
}

fn load(config: &ConfigArg) -> anyhow::Result<Config> {
    Ok(Config::load(config.config.as_deref())?)
}

async fn open_store(config: &ConfigArg) -> anyhow::Result<Store> {
    let config = load(config)?;
    let store = Store::connect(&config.database_url).await?;
    store.migrate().await?;
    Ok(store)
}

async fn serve(config: ConfigArg, no_workers: bool) -> anyhow::Result<i32> {
    let config = load(&config)?;
    let app = Application::build(config, if no_workers { Roles::NO_WORKERS } else { Roles::ALL_IN_ONE }).await?;
    let addr = app.local_addr().expect("serve listens");
    println!("cronkeeper listening on http://{addr} (database {})", redact_url(&app.config.database_url));
    println!("{}", crate::api::startup_banner(&app.config));
    let shutdown = CancellationToken::new();
    cancel_on_signals(shutdown.clone());
    app.run(shutdown).await?;
    Ok(0)
}

async fn worker(config: ConfigArg, lanes: Option<&str>, slots: Option<&str>) -> anyhow::Result<i32> {
    let config = load(&config)?;
    // Flags are checked before anything connects: a typo fails at once.
    let chosen = crate::worker::selection::select_lanes(&config, lanes, slots).map_err(|e| anyhow::anyhow!(e))?;
    let app = Application::build(config, Roles::WORKER).await?.with_worker_lanes(chosen.clone());
    let lanes = chosen.iter().map(|(l, n)| format!("{l}={n}")).collect::<Vec<_>>().join(",");
    let transport = if app.config.amqp.is_some() { "AMQP" } else { "the embedded queue" };
    println!("cronkeeper worker: lanes {lanes}, dispatch over {transport} (database {})", redact_url(&app.config.database_url));
    let shutdown = CancellationToken::new();
    cancel_on_signals(shutdown.clone());
    app.run(shutdown).await?;
    Ok(0)
}

/// Hides a password in a database URL before it is printed.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://[redacted]@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_string(),
    }
}

fn token(config: ConfigArg, role: &str, sub: &str, ttl: &str) -> anyhow::Result<i32> {
    let config = load(&config)?;
    let role = crate::api::Role::parse(role).ok_or_else(|| anyhow::anyhow!("--role `{role}` must be viewer, operator or admin"))?;
    let ttl = parse_duration(ttl).context("--ttl")?;
    if ttl > config.auth.max_token_lifetime {
        anyhow::bail!("--ttl {} is longer than auth.max_token_lifetime ({}): the service would refuse the token", crate::config::fmt(ttl), crate::config::fmt(config.auth.max_token_lifetime));
    }
    if sub.trim().is_empty() {
        anyhow::bail!("--sub must name who the token is for");
    }
    // The service verifies with a public key or a non-HS256 algorithm in these
    // set-ups: an HS256 token minted here would be refused, so say so instead.
    if let Some(key) = &config.auth.public_key_file {
        anyhow::bail!("auth.public_key_file ({}) is set: the service accepts only tokens signed with the matching private key, which this command does not have", key.display());
    }
    if !config.auth.algorithm.eq_ignore_ascii_case("HS256") {
        anyhow::bail!("auth.algorithm is {}: this command mints HS256 tokens only", config.auth.algorithm);
    }
    let secret = crate::api::ensure_jwt_secret(&config).map_err(|e| anyhow::anyhow!(e))?;
    println!("{}", crate::api::auth::mint(&secret, sub, role, ttl, chrono::Utc::now().timestamp_millis(), config.auth.issuer.as_deref()));
    Ok(0)
}

fn cron_next(expression: &str, tz: &str, count: usize, after: Option<&str>) -> anyhow::Result<i32> {
    let schedule = crate::cron::Schedule::parse(expression).map_err(|e| anyhow::anyhow!("invalid cron expression `{expression}`: {e}"))?;
    let tz: chrono_tz::Tz = tz.parse().map_err(|_| anyhow::anyhow!("`{tz}` is not an IANA time zone like Europe/Amsterdam"))?;
    let mut t = match after {
        Some(a) => chrono::DateTime::parse_from_rfc3339(a).with_context(|| format!("--after `{a}` is not an RFC 3339 timestamp"))?.with_timezone(&chrono::Utc),
        None => chrono::Utc::now(),
    };
    for warning in schedule.warnings() {
        eprintln!("warning: {warning}");
    }
    for _ in 0..count {
        let Some(next) = schedule.next_after(t, tz) else {
            eprintln!("the expression never fires again");
            break;
        };
        println!("{}", next.with_timezone(&tz).to_rfc3339());
        t = next;
    }
    Ok(0)
}

async fn import_crontab(config: ConfigArg, paths: &[PathBuf]) -> anyhow::Result<i32> {
    let cfg = load(&config)?;
    let store = Store::connect(&cfg.database_url).await?;
    store.migrate().await?;
    let report = crate::magento::sync::import_files(&store, &cfg, paths, chrono::Utc::now().timestamp_millis()).await?;
    println!("{report}");
    Ok(0)
}

async fn import_consumers(config: ConfigArg, paths: &[PathBuf]) -> anyhow::Result<i32> {
    let cfg = load(&config)?;
    let store = Store::connect(&cfg.database_url).await?;
    store.migrate().await?;
    let report = crate::consumers::sync::import_files(&store, &cfg, paths, chrono::Utc::now().timestamp_millis()).await?;
    print!("{report}");
    Ok(0)
}

/// Through the store, like `drain`: every supervisor on every node sees the
/// new restart generation within a second and replaces its processes.
async fn restart_consumers(config: ConfigArg, names: &[String]) -> anyhow::Result<i32> {
    let store = open_store(&config).await?;
    let now = chrono::Utc::now().timestamp_millis();
    if names.is_empty() {
        let n = store::consumers::bump_generation(&store, None, now).await?;
        println!("restarting {n} consumer(s): every running process is replaced within a few seconds");
        return Ok(0);
    }
    for name in names {
        if store::consumers::bump_generation(&store, Some(name), now).await? == 0 {
            anyhow::bail!("no consumer `{name}` (see the consumers query or `cronkeeper import magento-consumers`)");
        }
    }
    println!("restarting {}: every running process is replaced within a few seconds", names.join(", "));
    Ok(0)
}

async fn drain(config: ConfigArg, wait: bool, timeout: &str) -> anyhow::Result<i32> {
    let timeout = parse_duration(timeout).context("--timeout")?;
    let store = open_store(&config).await?;
    store::settings::set(&store, store::settings::DRAINING, "1").await?;
    println!("draining: no new runs will start and consumer processes are stopped (undo with `cronkeeper resume`)");
    if !wait {
        return Ok(0);
    }
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let running = store::runs::running(&store).await?.len();
        // Every supervisor ends its consumer processes (TERM, kill_grace,
        // KILL) and then releases their slots; an expired lease is a
        // supervisor that is gone, and its processes with it.
        let consumers = store::consumers::held_slots(&store, chrono::Utc::now().timestamp_millis()).await?;
        if running == 0 && consumers == 0 {
            println!("drained: no run is running and no consumer process is left");
            return Ok(0);
        }
        if tokio::time::Instant::now() >= deadline {
            eprintln!("timed out: {running} run(s) still running, {consumers} consumer process(es) not yet stopped");
            return Ok(2);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

