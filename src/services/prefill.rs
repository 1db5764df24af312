//! Timeline pre-fill: the events that belong to a post-mortem join its
//! timeline once, and its empty phase timestamps are filled from them.
//!
//! An event belongs when its correlation key is one of the post-mortem's
//! incident references, or when its service is one of the post-mortem's and it
//! happened inside the impact window widened by the configured margins. Deploys
//! of those services shortly before the first alert join as suspects.

use super::session::Writer;
use std::{
    collections::HashSet,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use entity::{
    PostmortemStatus, event, postmortem, postmortem_incident_ref, postmortem_service,
    prefill_tombstone, timeline_entry,
};
use sea_orm::{
    ActiveValue::Set, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait, TryInsertResult, prelude::*,
    sea_query::Query,
};

use super::{
    audit::{self, Action, Actor, Entry, Resource},
    begin_write, new_id, now, postmortems,
    timeline::TimelineFeed,
    update_versioned,
};
use crate::{config::IngestSettings, error::ApiResult};

/// Pre-fill's settings, and what open post-mortems name.
pub struct Prefill {
    pub settings: IngestSettings,
    open: OpenNames,
    /// Where pre-filled entries are announced to live timelines.
    feed: TimelineFeed,
}

/// The services and incident references of open post-mortems, read at most
/// once a second: most deliveries concern no open post-mortem, and this spares
/// each of them a query. Post-mortem writes here drop it between their commit
/// and their own pre-fill, so an event stored meanwhile is caught by one of
/// the two; a post-mortem opened on another replica is seen within a second.
#[derive(Default)]
struct OpenNames {
    snapshot: std::sync::RwLock<Option<(Instant, Arc<Names>)>>,
}

#[derive(Default)]
struct Names {
    services: HashSet<String>,
    refs: HashSet<String>,
}

const NAMES_FOR: Duration = Duration::from_secs(1);

impl Prefill {
    pub fn new(settings: IngestSettings, feed: TimelineFeed) -> Self {
        Self {
            settings,
            open: OpenNames::default(),
            feed,
        }
    }

    /// A post-mortem was opened, or its services, references or status changed.
    pub fn names_changed(&self) {
        if let Ok(mut snapshot) = self.open.snapshot.write() {
            *snapshot = None;
        }
    }

    async fn open_names(&self, db: &impl ConnectionTrait) -> ApiResult<Arc<Names>> {
        if let Ok(snapshot) = self.open.snapshot.read()
            && let Some((at, names)) = snapshot.as_ref()
            && at.elapsed() < NAMES_FOR
        {
            return Ok(names.clone());
        }
        let read_at = Instant::now();
        let open = || {
            Query::select()
                .column(postmortem::Column::Id)
                .from(postmortem::Entity)
                .and_where(
                    postmortem::Column::Status
                        .is_in([PostmortemStatus::Draft, PostmortemStatus::InReview]),
                )
                .to_owned()
        };
        let services: Vec<String> = postmortem_service::Entity::find()
            .select_only()
            .column(postmortem_service::Column::Service)
            .filter(postmortem_service::Column::PostmortemId.in_subquery(open()))
            .into_tuple()
            .all(db)
            .await?;
        let refs: Vec<String> = postmortem_incident_ref::Entity::find()
            .select_only()
            .column(postmortem_incident_ref::Column::IncidentRef)
            .filter(postmortem_incident_ref::Column::PostmortemId.in_subquery(open()))
            .into_tuple()
            .all(db)
            .await?;
        let names = Arc::new(Names {
            services: services.into_iter().collect(),
            refs: refs.into_iter().collect(),
        });
        if let Ok(mut snapshot) = self.open.snapshot.write() {
            *snapshot = Some((read_at, names.clone()));
        }
        Ok(names)
    }
}

/// Most events one pre-fill adds: a timeline is for people to read.
const MAX_EVENTS: u64 = 1000;
const SUSPECT_NOTE: &str = "Suspect: deploy before first alert.";

/// Events that belong to a post-mortem, and which of them are suspects.
struct Matches {
    events: Vec<event::Model>,
    suspects: HashSet<Uuid>,
}

fn span(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

async fn matching_events(
    db: &impl ConnectionTrait,
    pm: &postmortem::Model,
    services: &[String],
    refs: &[String],
    cfg: &IngestSettings,
) -> ApiResult<Matches> {
    use event::Column as C;
    let start = pm.impact_started_at.or(pm.detected_at);
    let mut any = Condition::any();
    if !refs.is_empty() {
        any = any.add(C::CorrelationKey.is_in(refs.iter().cloned()));
    }
    if let (false, Some(start)) = (services.is_empty(), start) {
        let end = pm.resolved_at.unwrap_or_else(now) + span(cfg.margin_after);
        any = any.add(
            Condition::all()
                .add(C::Service.is_in(services.iter().cloned()))
                .add(C::OccurredAt.gte(start - span(cfg.margin_before)))
                .add(C::OccurredAt.lte(end)),
        );
    }
    if any.is_empty() {
        return Ok(Matches {
            events: Vec::new(),
            suspects: HashSet::new(),
        });
    }
    let mut events = event::Entity::find()
        .filter(any)
        .order_by_asc(C::OccurredAt)
        .order_by_asc(C::Id)
        .limit(MAX_EVENTS)
        .all(db)
        .await?;
    let first_alert = events
        .iter()
        .filter(|e| e.kind == "alert.triggered")
        .map(|e| e.occurred_at)
        .min()
        .or(start);
    let mut suspects = HashSet::new();
    if let (false, Some(anchor)) = (services.is_empty(), first_alert) {
        let known: HashSet<Uuid> = events.iter().map(|e| e.id).collect();
        let deploys = event::Entity::find()
            .filter(C::Service.is_in(services.iter().cloned()))
            .filter(C::Kind.starts_with("deploy."))
            .filter(C::OccurredAt.gte(anchor - span(cfg.deploy_lookback)))
            .filter(C::OccurredAt.lt(anchor))
            .limit(MAX_EVENTS)
            .all(db)
            .await?;
        for deploy in deploys {
            suspects.insert(deploy.id);
            if !known.contains(&deploy.id) {
                events.push(deploy);
            }
        }
    }
    Ok(Matches { events, suspects })
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn entry(
    postmortem_id: Uuid,
    event: &event::Model,
    suspect: bool,
    at: DateTime<Utc>,
) -> timeline_entry::ActiveModel {
    let mut notes = Vec::new();
    if suspect {
        notes.push(SUSPECT_NOTE.to_owned());
    }
    if let Some(severity) = &event.severity {
        notes.push(format!("Severity: {severity}."));
    }
    if let Some(actor) = &event.actor {
        notes.push(format!("By {actor}."));
    }
    if let Some(key) = &event.correlation_key {
        notes.push(format!("Incident: {key}."));
    }
    let link = event
        .link
        .clone()
        .filter(|l| (l.starts_with("https://") || l.starts_with("http://")) && l.len() <= 2048);
    timeline_entry::ActiveModel {
        id: Set(new_id()),
        postmortem_id: Set(postmortem_id),
        occurred_at: Set(event.occurred_at),
        kind: Set(event.kind.clone()),
        source: Set(event.source.clone()),
        title: Set(truncate(&event.title, 500)),
        description: Set(notes.join(" ")),
        link: Set(link),
        service: Set(event.service.as_deref().map(|s| truncate(s, 100))),
        event_id: Set(Some(event.id)),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// Fills empty phase timestamps from the first trigger, the first
/// acknowledgement and the last resolution, never making them impossible
/// (before the impact started, or a resolution before another phase).
fn fill_phases(
    pm: &postmortem::Model,
    events: &[&event::Model],
) -> Option<postmortem::ActiveModel> {
    let first = |kind: &str| {
        events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.occurred_at)
            .min()
    };
    let last = |kind: &str| {
        events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.occurred_at)
            .max()
    };
    let after_impact = |at: &DateTime<Utc>| pm.impact_started_at.is_none_or(|i| *at >= i);
    let before_resolution = |at: &DateTime<Utc>| pm.resolved_at.is_none_or(|r| *at <= r);
    let mut filled = pm.clone();
    if filled.detected_at.is_none() {
        filled.detected_at =
            first("alert.triggered").filter(|t| after_impact(t) && before_resolution(t));
    }
    if filled.acknowledged_at.is_none() {
        filled.acknowledged_at =
            first("alert.acknowledged").filter(|t| after_impact(t) && before_resolution(t));
    }
    if filled.resolved_at.is_none() {
        let latest_phase = [
            filled.impact_started_at,
            filled.detected_at,
            filled.acknowledged_at,
            filled.mitigated_at,
            last("alert.triggered"),
        ]
        .into_iter()
        .flatten()
        .max();
        filled.resolved_at =
            last("alert.resolved").filter(|t| latest_phase.is_none_or(|p| *t >= p));
    }
    if filled == *pm {
        return None;
    }
    let mut model: postmortem::ActiveModel = pm.clone().into();
    model.detected_at = Set(filled.detected_at);
    model.acknowledged_at = Set(filled.acknowledged_at);
    model.resolved_at = Set(filled.resolved_at);
    model.version = Set(pm.version + 1);
    model.updated_at = Set(now());
    Some(model)
}

/// Events already on the timeline, and those a user deleted from it.
async fn settled_events(
    db: &impl ConnectionTrait,
    postmortem_id: Uuid,
) -> ApiResult<(HashSet<Uuid>, HashSet<Uuid>)> {
    let on_timeline: Vec<Option<Uuid>> = timeline_entry::Entity::find()
        .select_only()
        .column(timeline_entry::Column::EventId)
        .filter(timeline_entry::Column::PostmortemId.eq(postmortem_id))
        .filter(timeline_entry::Column::EventId.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let deleted: Vec<Uuid> = prefill_tombstone::Entity::find()
        .select_only()
        .column(prefill_tombstone::Column::EventId)
        .filter(prefill_tombstone::Column::PostmortemId.eq(postmortem_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok((
        on_timeline.into_iter().flatten().collect(),
        deleted.into_iter().collect(),
    ))
}

/// `POST /api/v1/postmortems/{id}/timeline/prefill`: [`prefill`] on behalf
/// of a writer.
pub async fn prefill_now(s: &Writer, postmortem_id: Uuid) -> ApiResult<Vec<timeline_entry::Model>> {
    let core = s.core();
    prefill(&core.db, postmortem_id, &core.prefill, s.actor()).await
}

/// Adds the post-mortem's missing events to its timeline and fills its empty
/// phase timestamps. Idempotent: a second run adds nothing. Returns the
/// entries added. Each entry added, and the timestamps filled, are recorded
/// as `actor`'s `prefill`.
pub(super) async fn prefill(
    db: &impl TransactionTrait,
    postmortem_id: Uuid,
    cfg: &Prefill,
    actor: &Actor,
) -> ApiResult<Vec<timeline_entry::Model>> {
    let txn = begin_write(db).await?;
    let pm = postmortems::get_record(&txn, postmortem_id).await?;
    let services = postmortems::services_of(&txn, &[postmortem_id])
        .await?
        .remove(&postmortem_id)
        .unwrap_or_default();
    let refs = postmortems::incident_refs_of(&txn, &[postmortem_id])
        .await?
        .remove(&postmortem_id)
        .unwrap_or_default();
    let matches = matching_events(&txn, &pm, &services, &refs, &cfg.settings).await?;
    let (on_timeline, deleted) = settled_events(&txn, postmortem_id).await?;
    let at = now();
    let rows: Vec<timeline_entry::ActiveModel> = matches
        .events
        .iter()
        .filter(|e| !on_timeline.contains(&e.id) && !deleted.contains(&e.id))
        .map(|e| entry(postmortem_id, e, matches.suspects.contains(&e.id), at))
        .collect();
    let added = match timeline_entry::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([
            timeline_entry::Column::PostmortemId,
            timeline_entry::Column::EventId,
        ])
        .exec_with_returning_many(&txn)
        .await?
    {
        TryInsertResult::Inserted(models) => models,
        TryInsertResult::Empty | TryInsertResult::Conflicted => Vec::new(),
    };
    let phase_events: Vec<&event::Model> = matches
        .events
        .iter()
        .filter(|e| !matches.suspects.contains(&e.id) && !deleted.contains(&e.id))
        .collect();
    for entry in &added {
        let changes = audit::changed(None, Some(entry));
        let record = Entry::new(Action::Prefill, Resource::TimelineEntry, entry.id, changes);
        audit::record(&txn, actor, record.in_postmortem(postmortem_id)).await?;
    }
    if let Some(model) = fill_phases(&pm, &phase_events) {
        let filled = update_versioned(&txn, model, postmortem::Column::Version, pm.version).await?;
        let changes = audit::changed(Some(&pm), Some(&filled));
        let record = Entry::new(Action::Prefill, Resource::Postmortem, pm.id, changes);
        audit::record(&txn, actor, record.in_postmortem(pm.id)).await?;
    }
    txn.commit().await?;
    for entry in &added {
        cfg.feed.publish_created(entry);
    }
    Ok(added)
}

/// After new events are stored: pre-fills every open post-mortem (draft or in
/// review) that names one of their services or incident references, as
/// `actor` (the integration the events came from).
pub async fn after_events(
    db: &(impl TransactionTrait + ConnectionTrait),
    events: &[event::Model],
    cfg: &Prefill,
    actor: &Actor,
) -> ApiResult<()> {
    let names = cfg.open_names(db).await?;
    let services: HashSet<&str> = events
        .iter()
        .filter_map(|e| e.service.as_deref())
        .filter(|s| names.services.contains(*s))
        .collect();
    let refs: HashSet<&str> = events
        .iter()
        .filter_map(|e| e.correlation_key.as_deref())
        .filter(|r| names.refs.contains(*r))
        .collect();
    if services.is_empty() && refs.is_empty() {
        return Ok(());
    }
    use postmortem::Column as C;
    let mut named = Condition::any();
    if !services.is_empty() {
        named = named.add(
            C::Id.in_subquery(
                Query::select()
                    .column(postmortem_service::Column::PostmortemId)
                    .from(postmortem_service::Entity)
                    .and_where(postmortem_service::Column::Service.is_in(services))
                    .to_owned(),
            ),
        );
    }
    if !refs.is_empty() {
        named = named.add(
            C::Id.in_subquery(
                Query::select()
                    .column(postmortem_incident_ref::Column::PostmortemId)
                    .from(postmortem_incident_ref::Entity)
                    .and_where(postmortem_incident_ref::Column::IncidentRef.is_in(refs))
                    .to_owned(),
            ),
        );
    }
    let open: Vec<Uuid> = postmortem::Entity::find()
        .select_only()
        .column(C::Id)
        .filter(C::Status.is_in([PostmortemStatus::Draft, PostmortemStatus::InReview]))
        .filter(named)
        .into_tuple()
        .all(db)
        .await?;
    for id in open {
        prefill(db, id, cfg, actor).await?;
    }
    Ok(())
}
