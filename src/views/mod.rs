//! What a caller may see of each record: the only code that reads a record's
//! fields for output. REST DTOs, GraphQL objects (their plain-list tables
//! included) and the other renderings are built from a [`Seen`] and nothing
//! else; a `Seen` keeps its record private, so a serializer cannot reach a
//! field that has not been through the caller's [`Redactor`].
//!
//! Every field that can carry identity is decided here once: free text is
//! scrubbed, links that name someone are dropped, people are named and
//! referred to (their ids become per-post-mortem handles) as the reader may
//! see them, sync failures are told in neutral words, token subjects become
//! pseudonyms.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    ActionItemStatus, CauseArea, ParticipantRole, PostmortemStatus, Priority, Severity, SyncState,
    action_item, cause, event, participant, person, timeline_entry,
};
use uuid::Uuid;

use crate::services::{
    anonymity::{Directory, Redactor},
    postmortems::PostmortemView,
};

/// A record as one reader may see it.
pub struct Seen<T> {
    record: T,
    redactor: Arc<Redactor>,
}

impl<T> Seen<T> {
    pub fn new(record: T, redactor: &Arc<Redactor>) -> Self {
        Self {
            record,
            redactor: redactor.clone(),
        }
    }

    /// The naming rules this view was made with, for the views nested in it.
    pub fn redactor(&self) -> &Arc<Redactor> {
        &self.redactor
    }
}

/// Getters for fields that can never name anyone (ids of things, times,
/// enums, numbers): copied as stored.
macro_rules! as_stored {
    ($record:ty { $($field:ident: $ty:ty),+ $(,)? }) => {
        impl Seen<$record> {
            $(pub fn $field(&self) -> $ty { self.record.$field })+
        }
    };
}

as_stored!(timeline_entry::Model {
    id: Uuid,
    postmortem_id: Uuid,
    occurred_at: DateTime<Utc>,
    event_id: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
});

impl Seen<timeline_entry::Model> {
    /// `alert.triggered`, `deploy.failed`, `note`, ...: a word of hindsight's.
    pub fn kind(&self) -> &str {
        &self.record.kind
    }
    /// `manual` or the integration kind.
    pub fn source(&self) -> &str {
        &self.record.source
    }
    pub fn title(&self) -> String {
        self.redactor.text(&self.record.title)
    }
    pub fn description(&self) -> String {
        self.redactor.text(&self.record.description)
    }
    pub fn link(&self) -> Option<String> {
        self.redactor.link(self.record.link.as_deref())
    }
    pub fn service(&self) -> Option<String> {
        self.redactor.optional_text(self.record.service.as_deref())
    }
}

as_stored!(cause::Model {
    id: Uuid,
    postmortem_id: Uuid,
    area: CauseArea,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
});

impl Seen<cause::Model> {
    pub fn description(&self) -> String {
        self.redactor.text(&self.record.description)
    }
}

as_stored!(action_item::Model {
    id: Uuid,
    postmortem_id: Uuid,
    cause_id: Option<Uuid>,
    area: Option<CauseArea>,
    due_date: Option<NaiveDate>,
    priority: Option<Priority>,
    status: ActionItemStatus,
    tracker_id: Option<Uuid>,
    sync_state: SyncState,
    completed_at: Option<DateTime<Utc>>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
});

impl Seen<action_item::Model> {
    pub fn title(&self) -> String {
        self.redactor.text(&self.record.title)
    }
    pub fn description(&self) -> String {
        self.redactor.text(&self.record.description)
    }
    /// The owner's id as this reader may see it (a handle when anonymized).
    pub fn owner_id(&self) -> Option<Uuid> {
        self.record.owner_id.map(|o| self.redactor.person_ref(o))
    }
    /// The owner as this reader may see them: a name, or a pseudonym.
    pub fn owner_name(&self) -> Option<String> {
        self.record.owner_id.and_then(|o| self.redactor.person(o))
    }
    /// The owner, from the directory, as this reader may see them.
    pub fn owner(&self, directory: &Directory) -> Option<SeenPerson> {
        let owner = directory.get(self.record.owner_id?)?;
        Some(SeenPerson::in_postmortem(owner, &self.redactor))
    }
    /// Open or in progress, with a due date before `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        !self.record.status.is_closed() && self.record.due_date.is_some_and(|d| d < today)
    }
    pub fn external_key(&self) -> Option<&str> {
        self.record.external_key.as_deref()
    }
    pub fn external_url(&self) -> Option<String> {
        self.redactor.link(self.record.external_url.as_deref())
    }
    /// Why the last sync failed, as this reader may be told.
    pub fn last_sync_error(&self) -> Option<String> {
        self.redactor.sync_failure(
            self.record.last_sync_reason.as_deref(),
            self.record.last_sync_error.as_deref(),
            self.record.owner_id,
        )
    }
    pub fn recurrence(&self) -> Option<&str> {
        self.record.recurrence.as_deref()
    }
}

impl Seen<participant::Model> {
    pub fn person_id(&self) -> Uuid {
        self.redactor.person_ref(self.record.person_id)
    }
    pub fn name(&self) -> Option<String> {
        self.redactor.person(self.record.person_id)
    }
    pub fn role(&self) -> ParticipantRole {
        self.record.role
    }
    pub fn added_at(&self) -> DateTime<Utc> {
        self.record.created_at
    }
    pub fn person(&self, directory: &Directory) -> Option<SeenPerson> {
        let person = directory.get(self.record.person_id)?;
        Some(SeenPerson::in_postmortem(person, &self.redactor))
    }
}

/// A post-mortem as one reader may see it.
impl Seen<Arc<PostmortemView>> {
    pub fn id(&self) -> Uuid {
        self.record.record.id
    }
    pub fn title(&self) -> String {
        self.redactor.text(&self.record.record.title)
    }
    pub fn summary(&self) -> String {
        self.redactor.text(&self.record.record.summary)
    }
    pub fn status(&self) -> PostmortemStatus {
        self.record.record.status
    }
    pub fn severity(&self) -> Option<Severity> {
        self.record.record.severity
    }
    /// Service names, which people sometimes name after themselves.
    pub fn services(&self) -> Vec<String> {
        self.texts(&self.record.services)
    }
    /// Incident keys as shown: one that names someone is shown scrubbed.
    pub fn incident_refs(&self) -> Vec<String> {
        self.texts(&self.record.incident_refs)
    }
    fn texts(&self, texts: &[String]) -> Vec<String> {
        texts.iter().map(|t| self.redactor.text(t)).collect()
    }
    pub fn impact_started_at(&self) -> Option<DateTime<Utc>> {
        self.record.record.impact_started_at
    }
    pub fn detected_at(&self) -> Option<DateTime<Utc>> {
        self.record.record.detected_at
    }
    pub fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.record.record.acknowledged_at
    }
    pub fn mitigated_at(&self) -> Option<DateTime<Utc>> {
        self.record.record.mitigated_at
    }
    pub fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.record.record.resolved_at
    }
    /// The author's id as this reader may see it (a handle when anonymized).
    pub fn author_id(&self) -> Option<Uuid> {
        self.record
            .record
            .author_id
            .map(|a| self.redactor.person_ref(a))
    }
    pub fn author_name(&self) -> Option<String> {
        self.record
            .record
            .author_id
            .and_then(|a| self.redactor.person(a))
    }
    pub fn author(&self, directory: &Directory) -> Option<SeenPerson> {
        let author = directory.get(self.record.record.author_id?)?;
        Some(SeenPerson::in_postmortem(author, &self.redactor))
    }
    pub fn anonymized(&self) -> bool {
        self.record.record.anonymized
    }
    pub fn version(&self) -> i32 {
        self.record.record.version
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.record.record.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.record.record.updated_at
    }
    pub fn published_at(&self) -> Option<DateTime<Utc>> {
        self.record.record.published_at
    }
    /// Who published it: the token subject, or their pseudonym, or nothing.
    pub fn published_by(&self) -> Option<String> {
        self.redactor
            .subject(self.record.record.published_by.as_deref())
    }
    pub fn publish_override_reason(&self) -> Option<String> {
        self.redactor
            .optional_text(self.record.record.publish_override_reason.as_deref())
    }
}

/// A person: from the directory for a reader allowed to read it, or as they
/// appear in one post-mortem, where a reader who may not see names gets a
/// pseudonym with team, role and tenure, a handle for an id, and nothing that
/// identifies them (email, join date, tracker identities).
pub struct SeenPerson {
    record: person::Model,
    /// `None`: the directory itself, shown to readers allowed to read it.
    redactor: Option<Arc<Redactor>>,
}

impl SeenPerson {
    /// From the directory (`/api/v1/people`, GraphQL `people`), for callers
    /// the use case has let read it.
    pub fn from_directory(record: person::Model) -> Self {
        Self {
            record,
            redactor: None,
        }
    }

    pub fn in_postmortem(record: &person::Model, redactor: &Arc<Redactor>) -> Self {
        Self {
            record: record.clone(),
            redactor: Some(redactor.clone()),
        }
    }

    fn anonymized(&self) -> bool {
        self.redactor.as_ref().is_some_and(|r| r.is_anonymizing())
    }

    fn identifying<'a>(&self, value: Option<&'a str>) -> Option<&'a str> {
        if self.anonymized() { None } else { value }
    }

    pub fn id(&self) -> Uuid {
        match &self.redactor {
            Some(r) => r.person_ref(self.record.id),
            None => self.record.id,
        }
    }
    pub fn display_name(&self) -> String {
        match &self.redactor {
            Some(r) if r.is_anonymizing() => r.person(self.record.id).unwrap_or_default(),
            _ => self.record.display_name.clone(),
        }
    }
    pub fn email(&self) -> Option<&str> {
        self.identifying(Some(&self.record.email))
    }
    pub fn team(&self) -> Option<&str> {
        self.record.team.as_deref()
    }
    pub fn role_title(&self) -> Option<&str> {
        self.record.role_title.as_deref()
    }
    /// Null when anonymized: the pseudonym says the tenure.
    pub fn joined_on(&self) -> Option<NaiveDate> {
        self.record.joined_on.filter(|_| !self.anonymized())
    }
    pub fn jira_account_id(&self) -> Option<&str> {
        self.identifying(self.record.jira_account_id.as_deref())
    }
    pub fn github_login(&self) -> Option<&str> {
        self.identifying(self.record.github_login.as_deref())
    }
    pub fn gitlab_user_id(&self) -> Option<&str> {
        self.identifying(self.record.gitlab_user_id.as_deref())
    }
    pub fn linear_user_id(&self) -> Option<&str> {
        self.identifying(self.record.linear_user_id.as_deref())
    }
    pub fn version(&self) -> i32 {
        self.record.version
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.record.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.record.updated_at
    }
}

as_stored!(event::Model {
    id: Uuid,
    integration_id: Uuid,
    occurred_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
    time_source: entity::TimeSource,
});

/// An event from a webhook, which belongs to no post-mortem: its redactor is
/// [`crate::services::anonymity::outside_postmortems`].
impl Seen<event::Model> {
    pub fn kind(&self) -> &str {
        &self.record.kind
    }
    pub fn title(&self) -> String {
        self.redactor.text(&self.record.title)
    }
    pub fn service(&self) -> Option<String> {
        self.redactor.optional_text(self.record.service.as_deref())
    }
    pub fn severity(&self) -> Option<&str> {
        self.record.severity.as_deref()
    }
    pub fn link(&self) -> Option<String> {
        self.redactor.link(self.record.link.as_deref())
    }
    /// The source's own name for who acted: a login or an address that may
    /// name someone the directory has never heard of, so only readers who see
    /// names get it.
    pub fn actor(&self) -> Option<&str> {
        self.record
            .actor
            .as_deref()
            .filter(|_| !self.redactor.is_anonymizing())
    }
    pub fn correlation_key(&self) -> Option<String> {
        self.redactor
            .optional_text(self.record.correlation_key.as_deref())
    }
    pub fn source(&self) -> &str {
        &self.record.source
    }
    pub fn external_id(&self) -> Option<String> {
        self.redactor
            .optional_text(self.record.external_id.as_deref())
    }
    pub fn raw_event_type(&self) -> &str {
        &self.record.raw_event_type
    }
}
