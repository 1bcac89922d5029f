//! The delivery hook: a command run once per task of an issued warning, to hand the
//! message to an SMS gateway, a PA system or a paging service (an HTTP endpoint is a
//! `curl` away: `curl -fsS --data-binary @- https://gateway/send`). Without a hook the
//! recipient list (`?format=csv`) is exported for manual calling.
//!
//! The command runs under `sh -c`, with the task as one line of JSON on its standard
//! input and in environment variables (`RISKATLAS_WARNING`, `RISKATLAS_TASK`,
//! `RISKATLAS_NAME`, `RISKATLAS_PHONE`, `RISKATLAS_LEVEL`, `RISKATLAS_STATUS` (`actual`,
//! `exercise` for a drill's warning, `test`), `RISKATLAS_HEADLINE`,
//! `RISKATLAS_INSTRUCTION`). Exit status 0 is delivered; anything else, or no exit
//! within [`COMMAND_TIMEOUT`], is a failed attempt, retried after `backoff` × the
//! attempt number, up to `attempts`. Every attempt's outcome is an event in the
//! warnings journal, so a failure is shown on the warning and never lost; deliveries a
//! restart interrupted are taken up again.

use super::desk::Desk;
use crate::analysis::warnings::Warning;
use crate::analysis::warnings::audience::Task;
use serde_json::json;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest one run of the command may take before it is killed and counted failed.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// Deliveries running at once.
const WORKERS: usize = 2;

/// How the hook is configured.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    /// The shell command.
    pub command: String,
    /// Attempts per task, the first included.
    pub attempts: u32,
    /// Wait before attempt n+1 is `backoff` × n.
    pub backoff: Duration,
}

/// One delivery to make.
#[derive(Debug, Clone)]
pub struct Job {
    /// The warning.
    pub warning_id: String,
    /// What it says.
    pub warning: Warning,
    /// The task to deliver.
    pub task: Task,
    /// Attempts made before (after a restart).
    pub attempts_before: u32,
}

/// The queue deliveries go through, and the workers that run them.
pub struct Deliverer {
    queue: Mutex<Sender<Job>>,
    /// How the hook is configured.
    pub hook: Hook,
}

impl Deliverer {
    /// Starts the workers; they record each outcome at `desk`.
    pub fn start(hook: Hook, desk: Arc<Desk>) -> Deliverer {
        let (send, receive) = channel::<Job>();
        let receive = Arc::new(Mutex::new(receive));
        for n in 0..WORKERS {
            let (receive, desk, hook) = (receive.clone(), desk.clone(), hook.clone());
            std::thread::Builder::new()
                .name(format!("warning-hook-{n}"))
                .spawn(move || work(&receive, &desk, &hook))
                .expect("a thread starts");
        }
        Deliverer {
            queue: Mutex::new(send),
            hook,
        }
    }

    /// Queues a delivery.
    pub fn send(&self, job: Job) {
        let queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        // The workers live as long as the process: a send cannot fail.
        let _ = queue.send(job);
    }
}

fn work(receive: &Mutex<Receiver<Job>>, desk: &Desk, hook: &Hook) {
    loop {
        let job = {
            let r = receive.lock().unwrap_or_else(|e| e.into_inner());
            match r.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        deliver(&job, desk, hook);
    }
}

/// Runs the command until it succeeds or the attempts run out, recording each attempt.
fn deliver(job: &Job, desk: &Desk, hook: &Hook) {
    for attempt in job.attempts_before + 1..=hook.attempts {
        if desk.is_closed(&job.warning_id) {
            return;
        }
        let outcome = run(&hook.command, job);
        let ok = outcome.is_ok();
        let detail = outcome.unwrap_or_else(|e| e);
        let last = ok || attempt == hook.attempts;
        if let Err(e) =
            desk.record_delivery(&job.warning_id, &job.task.id, attempt, ok, last, detail)
        {
            tracing::error!(
                warning = job.warning_id,
                task = job.task.id,
                "delivery outcome not recorded: {e}"
            );
            return;
        }
        if ok {
            return;
        }
        if !last {
            std::thread::sleep(hook.backoff * attempt);
        }
    }
}

/// One run of the command: Ok(what it printed) on exit 0, else Err(why).
fn run(command: &str, job: &Job) -> Result<String, String> {
    let t = &job.task;
    let w = &job.warning;
    let line = json!({
        "warning": job.warning_id, "task": t.id, "name": t.contact.name, "phone": t.contact.phone,
        "role": t.role, "about": t.about, "admin_code": t.admin_code,
        "level": w.level, "status": w.status, "hazard_type": w.hazard_type, "headline": w.headline, "instruction": w.instruction,
    })
    .to_string();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("RISKATLAS_WARNING", &job.warning_id)
        .env("RISKATLAS_TASK", &t.id)
        .env("RISKATLAS_NAME", &t.contact.name)
        .env("RISKATLAS_PHONE", &t.contact.phone)
        .env("RISKATLAS_LEVEL", w.level.code())
        // A drill's warning says so: a gateway must not send it as the real thing.
        .env(
            "RISKATLAS_STATUS",
            serde_json::to_value(w.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        )
        .env("RISKATLAS_HEADLINE", &w.headline)
        .env("RISKATLAS_INSTRUCTION", &w.instruction)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("the hook command did not start: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input still runs; a closed pipe is no failure.
        let _ = stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.write_all(b"\n"));
    }
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > COMMAND_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "no answer within {} s: killed",
                    COMMAND_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for the hook command: {e}")),
        }
    };
    let read = |pipe: Option<&mut dyn Read>| {
        let mut text = String::new();
        if let Some(p) = pipe {
            let _ = p.take(2000).read_to_string(&mut text);
        }
        text.trim().chars().take(500).collect::<String>()
    };
    let out = read(child.stdout.as_mut().map(|p| p as &mut dyn Read));
    let err = read(child.stderr.as_mut().map(|p| p as &mut dyn Read));
    if status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{status}: {}",
            if err.is_empty() { out } else { err }
        ))
    }
}
