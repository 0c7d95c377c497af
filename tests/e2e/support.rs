//! `spawn_app()`: the real `cronkeeper` binary on a free port, a fresh SQLite
//! database in a temporary directory, and a store handle onto the same file so
//! tests can seed runs and read outcomes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cronkeeper::domain::{Run, RunStatus};
use cronkeeper::store::runs::{self, NewRun, RunFilter, RunSort};
use cronkeeper::store::{Direction, Page, Store};

pub const BIN: &str = env!("CARGO_BIN_EXE_cronkeeper");

pub struct App {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub port: u16,
    pub child: Option<Child>,
    pub store: Store,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Writes `extra` after the base settings (listen, database, fast timers) and starts the service.
pub async fn spawn_app(extra: &str) -> App {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("cronkeeper.toml");
    let base = format!(
        "listen = \"127.0.0.1:{port}\"\ndatabase_url = \"sqlite://{db}\"\ndata_dir = \"{data}\"\nkill_grace = \"1s\"\ndrain_timeout = \"3s\"\nheartbeat_interval = \"1s\"\nheartbeat_expiry = \"10s\"\n",
        db = dir.path().join("ck.db").display(),
        data = dir.path().display()
    );
    std::fs::write(&config, format!("{base}{extra}")).unwrap();
    let child = start(&config, dir.path());
    wait_healthy(port).await;
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("ck.db").display())).await.unwrap();
    App { dir, config, port, child: Some(child), store }
}

fn start(config: &Path, dir: &Path) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("service.log")).unwrap();
    Command::new(BIN)
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "info,sqlx=warn")
        .env("CRONKEEPER_JWT_SECRET", "e2e-test-secret-e2e-test-secret-0123456789")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start cronkeeper")
}

pub async fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cronkeeper did not become healthy on port {port}");
}

impl App {
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("service.log")).unwrap_or_default()
    }

    /// SIGKILL: no drain, no cleanup, as a crash or the OOM killer would.
    pub fn kill_9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
        child.wait().unwrap()
    }

    pub async fn restart(&mut self) {
        assert!(self.child.is_none());
        self.child = Some(start(&self.config, self.dir.path()));
        wait_healthy(self.port).await;
    }

    pub async fn runs_of(&self, code: &str) -> Vec<Run> {
        let filter = RunFilter { job_code: Some(code.into()), ..Default::default() };
        runs::list(&self.store, &filter, RunSort::Id, Direction::Asc, Page { limit: 10_000, offset: 0 }).await.unwrap()
    }

    /// Queues a manual run now, as `runJobNow` does.
    pub async fn queue_now(&self, code: &str, lane: &str) -> i64 {
        let now = chrono::Utc::now().timestamp_millis();
        let new = NewRun::manual(code, lane, RunStatus::Queued, now);
        runs::insert(&self.store, &new, now).await.unwrap().unwrap()
    }

    /// Polls until `check` holds for the job's runs, or panics with them and the log.
    pub async fn wait_for(&self, code: &str, within: Duration, check: impl Fn(&[Run]) -> bool) -> Vec<Run> {
        let deadline = Instant::now() + within;
        loop {
            let found = self.runs_of(code).await;
            if check(&found) {
                return found;
            }
            if Instant::now() > deadline {
                panic!("condition not met within {within:?}; runs: {found:#?}\nlog:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One GraphQL request with a bearer token; the whole answer, errors included.
pub async fn graphql(port: u16, token: &str, query: &str) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Is a process with this pid alive (not a zombie)?
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => {
            let state = s.rsplit(')').next().unwrap_or("").trim_start().chars().next();
            !matches!(state, Some('Z') | Some('X') | None)
        }
        Err(_) => false,
    }
}

pub fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}
