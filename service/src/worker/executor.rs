//! From a job's executor to a finished [`Outcome`]: command and magento jobs as
//! supervised process groups, http jobs as a request.

use std::path::PathBuf;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::marked::RUN_MARK_VAR;
use super::{run_http, spawn, Ending, Limits, Outcome, ProcessSpec};
use crate::config::Config;
use crate::domain::{Executor, Job};

/// Called once the process exists, with (pid, start ticks), so the run records
/// what recovery needs before anything else can go wrong.
pub type OnStarted<'a> = Box<dyn FnOnce(i32, u64) -> futures::future::BoxFuture<'a, ()> + Send + 'a>;

/// `mark` goes into the process's environment as `CRONKEEPER_RUN` (see
/// [`super::marked`]), after the job's own variables so a job cannot override it.
pub async fn execute(job: &Job, config: &Config, mark: &str, kill: CancellationToken, on_started: OnStarted<'_>) -> Outcome {
    let timeout = config.timeout_for(job);
    let marked = |mut env: Vec<(String, String)>| {
        env.push((RUN_MARK_VAR.to_owned(), mark.to_owned()));
        env
    };
    let limits = Limits { timeout, grace: config.kill_grace };
    match &job.executor {
        Executor::Command { argv, env, working_dir } => {
            let spec = ProcessSpec { argv: argv.clone(), env: marked(env.clone()), working_dir: working_dir.clone().map(PathBuf::from), output_cap: config.output_cap_bytes };
            run_process(spec, limits, kill, on_started).await
        }
        Executor::Magento { code } => match magento_argv(config, code.as_deref().unwrap_or(&job.code)) {
            Ok(argv) => {
                let working_dir = config.magento.root.clone();
                let spec = ProcessSpec { argv, env: marked(Vec::new()), working_dir, output_cap: config.output_cap_bytes };
                run_process(spec, limits, kill, on_started).await
            }
            Err(error) => failed(error),
        },
        Executor::Http { url, method, timeout_secs } => {
            let t = timeout_secs.map(Duration::from_secs).map_or(timeout, |t| t.min(timeout));
            run_http(url, method.as_deref().unwrap_or("GET"), t, kill).await
        }
    }
}

/// `<php> <magento_root>/bin/magento cronkeeper:job:run <code>`.
pub fn magento_argv(config: &Config, code: &str) -> Result<Vec<String>, String> {
    let root = config.magento.root.as_ref().ok_or("magento.root is not configured (set [magento] root or CRONKEEPER_MAGENTO_ROOT)")?;
    let bin = root.join("bin/magento");
    Ok(vec![config.magento.php.clone(), bin.display().to_string(), "cronkeeper:job:run".into(), code.into()])
}

/// A run's process is put on record (for recovery after a crash) once it has
/// lived this long. Most runs end sooner and so save a database write each;
/// recovery still finds a shorter-lived run's processes, by their run mark
/// (`worker::marked`), which they carry from the start.
const RECORD_PID_AFTER: Duration = Duration::from_millis(100);

async fn run_process(spec: ProcessSpec, limits: Limits, kill: CancellationToken, on_started: OnStarted<'_>) -> Outcome {
    match spawn(&spec).await {
        Ok(process) => {
            let (pid, start_ticks) = (process.pid(), process.start_ticks());
            let supervised = process.supervise(limits, kill);
            tokio::pin!(supervised);
            tokio::select! {
                biased;
                outcome = &mut supervised => return outcome,
                _ = tokio::time::sleep(RECORD_PID_AFTER) => {}
            }
            on_started(pid, start_ticks).await;
            supervised.await
        }
        Err(e) => failed(e.to_string()),
    }
}

fn failed(error: String) -> Outcome {
    Outcome { ending: Ending::Failed, exit_code: None, output: String::new(), error: Some(error) }
}
