//! Issuing a warning, answering its tasks, cancelling and updating it, and its live
//! state — the service side of call and respond. The desk ([`super::desk`]) keeps the
//! events; the state at any moment is [`progress`] over them.
//!
//! A user with a jurisdiction sees, and answers, only the tasks of admin units within
//! it (a task outside reads as absent), and only warnings with such a task.

use super::super::ServiceError;
use super::super::budget::Budget;
use super::super::error::RequestError;
use super::super::scope::Jurisdiction;
use super::WarningAudience;
use super::desk::{Desk, DeskError, Issued};
use crate::analysis::admin::AdminIndex;
use crate::analysis::warnings::sheets::{Sheet, call_sheets as sheets_of, township_in};
use crate::analysis::warnings::tracking::{Answer, Progress, TaskState, progress};
use crate::analysis::warnings::{instant, rfc3339};
use crate::atlas::{Atlas, Disclosure};
use crate::render::cap::{CapMessage, CapReference, CapTime, CapToken, MsgType};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use std::collections::HashMap;

/// How an answer may have come.
pub const MEANS: [&str; 7] = [
    "phone",
    "sms",
    "radio",
    "in_person",
    "app",
    "loudspeaker",
    "other",
];

/// How far in the future an answer's time may be (clocks differ a little).
const CLOCK_SKEW_S: i64 = 60;

impl From<DeskError> for ServiceError {
    fn from(e: DeskError) -> ServiceError {
        match e {
            DeskError::NotFound(_) | DeskError::NoTask { .. } => {
                ServiceError::NotFound(e.to_string())
            }
            DeskError::Answered { .. } | DeskError::Closed { .. } => {
                ServiceError::Conflict(e.to_string())
            }
            DeskError::Journal(j) => j.into(),
            DeskError::Unavailable(m) => ServiceError::Unavailable(m),
        }
    }
}

/// Issues the warning `body` (its audience computed on `atlas`, the user's view);
/// `updates` names the warning it replaces. Returns the new id and the audience.
pub fn issue(
    desk: &Desk,
    atlas: &Atlas,
    body: &Json,
    budget: &Budget,
    who: &str,
    now: i64,
    updates: Option<&str>,
) -> Result<(String, WarningAudience), ServiceError> {
    let w = super::warning_audience(atlas, body, budget)?;
    if w.audience.tasks.is_empty() {
        return Err(ServiceError::Unprocessable(
            "the area reaches no duty contact: nobody to call (is there an admin layer with contact_name and contact_phone?)".into(),
        ));
    }
    let audience = json!({"totals": w.audience.totals, "units": w.audience.units});
    let id = desk.issue(
        who,
        now,
        w.warning.clone(),
        w.audience.tasks.clone(),
        audience,
        updates.map(str::to_string),
    )?;
    tracing::info!(
        id,
        who,
        level = w.warning.level.code(),
        tasks = w.audience.tasks.len(),
        "warning issued"
    );
    Ok((id, w))
}

/// An answer as `POST /api/warnings/{id}/acks` takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The task answered.
    pub task_id: String,
    /// Who answered (default: the user recording it).
    pub by: Option<String>,
    /// When (RFC 3339; default now).
    pub at: Option<String>,
    /// By what means (see [`MEANS`]).
    pub means: String,
    /// What they said.
    pub note: Option<String>,
}

/// A warning as `scope` may see it, or not found.
pub fn visible(desk: &Desk, id: &str, scope: &Jurisdiction) -> Result<Issued, ServiceError> {
    desk.get(id)
        .filter(|w| {
            w.tasks
                .iter()
                .any(|t| in_scope(scope, t.admin_code.as_deref()))
        })
        .ok_or_else(|| ServiceError::NotFound(format!("no warning {id:?}")))
}

fn in_scope(scope: &Jurisdiction, code: Option<&str>) -> bool {
    match code {
        Some(c) => scope.holds_code(c),
        None => scope.holds_code(""),
    }
}

/// The call sheets of `w` as `scope` sees it ([`crate::analysis::warnings::sheets`]):
/// its tasks in scope by township of `atlas` (the user's view), or only `township`'s.
pub fn call_sheets<'a>(
    w: &'a Issued,
    atlas: &Atlas,
    scope: &Jurisdiction,
    township: Option<&str>,
) -> Result<Vec<Sheet<'a>>, ServiceError> {
    let admins = AdminIndex::new(atlas);
    let tasks = w
        .tasks
        .iter()
        .filter(|t| in_scope(scope, t.admin_code.as_deref()));
    let mut sheets = sheets_of(tasks, township_in(&admins));
    if let Some(code) = township {
        sheets.retain(|s| s.township.as_ref().is_some_and(|t| t.code == code));
        if sheets.is_empty() {
            return Err(ServiceError::NotFound(format!(
                "warning {:?} has no calls in a township {code:?} you can see",
                w.id
            )));
        }
    }
    Ok(sheets)
}

/// Records an answer to one of warning `id`'s tasks.
pub fn answer(
    desk: &Desk,
    id: &str,
    body: Json,
    who: &str,
    now: i64,
    scope: &Jurisdiction,
) -> Result<Issued, ServiceError> {
    let body: AnswerBody = super::super::requests::from_value(body)?;
    let invalid = |m: String| ServiceError::from(RequestError::Invalid(m));
    if !MEANS.contains(&body.means.as_str()) {
        return Err(invalid(format!(
            "means {:?} is not one of {}",
            body.means,
            MEANS.join(", ")
        )));
    }
    if body.note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(invalid("note must be at most 1000 characters".into()));
    }
    let w = visible(desk, id, scope)?;
    let task = w.tasks.iter().find(|t| t.id == body.task_id);
    if !task.is_some_and(|t| in_scope(scope, t.admin_code.as_deref())) {
        return Err(ServiceError::NotFound(format!(
            "warning {id:?} has no task {:?}",
            body.task_id
        )));
    }
    let at = match &body.at {
        None => now,
        Some(t) => instant(t).ok_or_else(|| {
            invalid(format!(
                "at {t:?} is not a time like 2026-07-20T14:05:00+08:00"
            ))
        })?,
    };
    if at < w.issued_at || at > now + CLOCK_SKEW_S {
        return Err(invalid(format!(
            "at {} must be between the warning's issue ({}) and now",
            rfc3339(at),
            rfc3339(w.issued_at)
        )));
    }
    let answer = Answer {
        task_id: body.task_id,
        by: body.by.unwrap_or_else(|| who.to_string()),
        at,
        means: body.means,
        note: body.note,
    };
    desk.answer(who, now, id, answer)?;
    visible(desk, id, scope)
}

/// Cancels warning `id`.
pub fn cancel(
    desk: &Desk,
    id: &str,
    body: Json,
    who: &str,
    now: i64,
    scope: &Jurisdiction,
) -> Result<Issued, ServiceError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CancelBody {
        reason: Option<String>,
    }
    let body: CancelBody = super::super::requests::from_value(body)?;
    visible(desk, id, scope)?;
    desk.cancel(who, now, id, body.reason)?;
    tracing::info!(id, who, "warning cancelled");
    visible(desk, id, scope)
}

/// What state a warning is in as a whole.
fn status(w: &Issued) -> String {
    match &w.closed {
        None => "active".into(),
        Some((_, by)) if by == "cancelled" => "cancelled".into(),
        Some((_, by)) => format!("superseded by {by}"),
    }
}

/// The progress of `w` at `at`, as `scope` sees it: tasks out of scope left out.
pub fn progress_of(w: &Issued, at: i64, scope: &Jurisdiction) -> Progress {
    let answers: HashMap<String, Answer> = w.answers.clone().into_iter().collect();
    let mut p = progress(
        &w.tasks,
        &answers,
        w.level(),
        w.issued_at,
        w.closed.as_ref().map(|c| c.0),
        at,
    );
    let shown: std::collections::HashSet<&str> = w
        .tasks
        .iter()
        .filter(|t| in_scope(scope, t.admin_code.as_deref()))
        .map(|t| t.id.as_str())
        .collect();
    p.tasks.retain(|s| shown.contains(s.id.as_str()));
    p.silent.retain(|s| shown.contains(s.as_str()));
    p.counts = HashMap::new();
    for s in &p.tasks {
        *p.counts.entry(s.state).or_default() += 1;
    }
    p
}

/// The live state of `w` at `at` as JSON: its tasks with their states, per admin unit,
/// the silent most urgent first, and the time to full acknowledgement.
pub fn state_json(
    w: &Issued,
    at: i64,
    scope: &Jurisdiction,
    disclosure: Disclosure,
    desk: &Desk,
) -> Json {
    let p = progress_of(w, at, scope);
    let states: HashMap<&str, &TaskState> = p.tasks.iter().map(|s| (s.id.as_str(), s)).collect();
    let tasks: Vec<Json> = w
        .tasks
        .iter()
        .filter_map(|t| {
            let s = states.get(t.id.as_str())?;
            let c = t.contact.shown(disclosure);
            Some(json!({
                "id": t.id, "depth": t.depth, "caller": t.caller, "role": t.role,
                "name": c.name, "phone": c.phone, "about": t.about, "admin_code": t.admin_code,
                "people": t.people, "state": s.state,
                "started": s.started.map(rfc3339), "due": s.due.map(rfc3339),
                "escalated_to": s.escalated_to, "escalations": s.escalations,
                "answer": s.answer.as_ref().map(|a| json!({"by": a.by, "at": rfc3339(a.at), "means": a.means, "note": a.note})),
                "delivery": w.deliveries.get(&t.id),
            }))
        })
        .collect();
    json!({
        "id": w.id,
        "status": status(w),
        "durable": desk.durable(),
        "deliveries": deliveries(w, desk, &states),
        "issued_at": rfc3339(w.issued_at),
        "issued_by": w.issued_by,
        "updates": w.updates,
        "warning": w.warning,
        "at": rfc3339(at),
        "counts": p.counts,
        "tasks_total": p.tasks.len(),
        "fully_acknowledged_at": p.fully_acknowledged_at.map(rfc3339),
        "minutes_to_full_acknowledgement": p.minutes_to_full_acknowledgement,
        "silent": p.silent,
        "units": units(w, &p),
        "tasks": tasks,
    })
}

/// The delivery hook's progress over the tasks shown: how many delivered, failed,
/// retrying and not yet tried; null without a hook.
fn deliveries(w: &Issued, desk: &Desk, shown: &HashMap<&str, &TaskState>) -> Json {
    if desk.hook().is_none() && w.deliveries.is_empty() {
        return Json::Null;
    }
    let mut counts: std::collections::BTreeMap<&str, usize> = [
        ("delivered", 0),
        ("failed", 0),
        ("retrying", 0),
        ("pending", 0),
    ]
    .into();
    for t in w.tasks.iter().filter(|t| shown.contains_key(t.id.as_str())) {
        let state = w.deliveries.get(&t.id).map_or("pending", |d| d.state);
        *counts.entry(state).or_default() += 1;
    }
    json!(counts)
}

/// Per admin unit: its duty officer's state (or, without one, the most urgent of its
/// tasks'), and how many of its tasks are answered.
fn units(w: &Issued, p: &Progress) -> Vec<Json> {
    let states: HashMap<&str, &TaskState> = p.tasks.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut by_code: std::collections::BTreeMap<&str, Vec<&TaskState>> = Default::default();
    for t in &w.tasks {
        if let (Some(code), Some(s)) = (t.admin_code.as_deref(), states.get(t.id.as_str())) {
            by_code.entry(code).or_default().push(s);
        }
    }
    let urgency = |s: &str| match s {
        "escalated" => 0,
        "waiting" => 1,
        "blocked" => 2,
        "closed" => 3,
        _ => 4,
    };
    by_code
        .into_iter()
        .map(|(code, tasks)| {
            let own = states.get(format!("admin/{code}").as_str()).map(|s| s.state);
            let worst = tasks.iter().map(|s| s.state).min_by_key(|s| urgency(s)).unwrap_or("answered");
            let answered = tasks.iter().filter(|s| s.state == "answered").count();
            json!({"admin_code": code, "state": own.unwrap_or(worst), "answered": answered, "tasks": tasks.len()})
        })
        .collect()
}

/// Every warning `scope` may see, newest first, with its counts now.
pub fn list_json(desk: &Desk, now: i64, scope: &Jurisdiction) -> Json {
    let warnings: Vec<Json> = desk
        .list()
        .iter()
        .filter(|w| w.tasks.iter().any(|t| in_scope(scope, t.admin_code.as_deref())))
        .map(|w| {
            let p = progress_of(w, now, scope);
            json!({"id": w.id, "status": status(w), "level": w.warning.level, "hazard_type": w.warning.hazard_type,
                "headline": w.warning.headline, "issued_at": rfc3339(w.issued_at), "issued_by": w.issued_by,
                "counts": p.counts, "tasks_total": p.tasks.len(),
                "fully_acknowledged_at": p.fully_acknowledged_at.map(rfc3339)})
        })
        .collect();
    json!({"warnings": warnings, "durable": desk.durable()})
}

/// The request that issued `w`, again (its area as the scenario it became), to
/// recompute its audience for an export.
pub fn request_of(w: &Issued) -> Json {
    let mut body = serde_json::to_value(&w.warning).unwrap_or(Json::Null);
    if let Some(obj) = body.as_object_mut() {
        let scenario = obj.remove("scenario").unwrap_or(Json::Null);
        obj.retain(|_, v| !v.is_null());
        obj.insert("area".into(), json!({ "scenario": scenario }));
    }
    body
}

/// The CAP identifier of an issued warning: stable, from its id and issue time
/// (`riskatlas-W12-20260720T060000Z`).
fn identifier(w: &Issued, what: &str, at: i64) -> CapToken {
    let second: String = rfc3339(at)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    CapToken::parse(&format!("riskatlas-{}{what}-{second}", w.id))
        .expect("letters, digits and dashes")
}

/// The CAP message an issued warning stands for now: its `Alert`; an `Update`
/// referencing the warning it superseded; or, once cancelled, the `Cancel` referencing
/// it (and what it referenced).
pub fn message_of(desk: &Desk, w: &Issued, sender: &CapToken, sender_name: &str) -> CapMessage {
    let sent_at = |secs: i64| {
        CapTime::at(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64))
    };
    let reference = |x: &Issued| CapReference {
        sender: sender.clone(),
        identifier: identifier(x, "", x.issued_at),
        sent: sent_at(x.issued_at),
    };
    let updated: Vec<CapReference> = w
        .updates
        .as_ref()
        .and_then(|old| desk.get(old))
        .map(|old| vec![reference(&old)])
        .unwrap_or_default();
    let (identifier, sent, msg_type, references) = match &w.closed {
        Some((at, by)) if by == "cancelled" => {
            let mut refs = vec![reference(w)];
            refs.extend(updated);
            (
                identifier(w, "-cancel", *at),
                sent_at(*at),
                MsgType::Cancel,
                refs,
            )
        }
        _ if !updated.is_empty() => (
            identifier(w, "", w.issued_at),
            sent_at(w.issued_at),
            MsgType::Update,
            updated,
        ),
        _ => (
            identifier(w, "", w.issued_at),
            sent_at(w.issued_at),
            MsgType::Alert,
            Vec::new(),
        ),
    };
    CapMessage {
        identifier,
        sender: sender.clone(),
        sender_name: sender_name.to_string(),
        sent,
        status: w.warning.status,
        msg_type,
        references,
    }
}
