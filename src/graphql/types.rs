//! The GraphQL enums (the entity enums, spelled the GraphQL way) and the
//! children of a post-mortem: timeline entries, causes, action items, people.

use std::sync::Arc;

use async_graphql::{
    Context, ContextSelectionSet, Enum, Object, Positioned, Result, SimpleObject, Value,
    parser::types::Field,
};
use chrono::{NaiveDate, Utc};
use entity::{action_item, cause, participant, timeline_entry};
use uuid::Uuid;

use super::{
    Caller,
    plain::{Plain, PlainList, enumeration, leaf, nested, optional_leaf, optional_text, text},
    postmortems::PostMortem,
    timestamp::Timestamp,
};
use crate::{
    services::anonymity::{Directory, Redactor},
    views::{Seen, SeenPerson},
};

macro_rules! remote_enum {
    ($(#[$doc:meta])* $name:ident = $remote:literal { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
        #[graphql(remote = $remote)]
        pub enum $name { $($variant),+ }
    };
}

remote_enum!(
    /// Where a post-mortem is in its life: written, reviewed, shared.
    PostMortemStatus = "entity::PostmortemStatus" { Draft, InReview, Published }
);
/// Incident severity, SEV1 being the worst.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::Severity")]
pub enum Severity {
    #[graphql(name = "SEV1")]
    Sev1,
    #[graphql(name = "SEV2")]
    Sev2,
    #[graphql(name = "SEV3")]
    Sev3,
    #[graphql(name = "SEV4")]
    Sev4,
    #[graphql(name = "SEV5")]
    Sev5,
}
remote_enum!(
    /// PREVENTION: how could we have avoided it at all. DETECTION: how could we have
    /// detected it sooner. MITIGATION: how could we have fixed it faster and made it
    /// better for users while broken.
    CauseArea = "entity::CauseArea" { Prevention, Detection, Mitigation }
);
remote_enum!(
    /// Progress of an action item.
    ActionItemStatus = "entity::ActionItemStatus" { Open, InProgress, Done, WontDo }
);
remote_enum!(
    /// Urgency of an action item.
    Priority = "entity::Priority" { Urgent, High, Medium, Low }
);
remote_enum!(
    /// Whether an action item's latest change has reached its tracker.
    SyncState = "entity::SyncState" { NotSynced, Pending, Synced, Failed }
);
remote_enum!(
    /// What a person did in a post-mortem.
    ParticipantRole = "entity::ParticipantRole" { Author, Reviewer, Participant }
);

pub struct TimelineEntry(Seen<timeline_entry::Model>);

impl TimelineEntry {
    pub fn new(record: timeline_entry::Model, redactor: &Arc<Redactor>) -> Self {
        Self(Seen::new(record, redactor))
    }
}

/// One moment of an incident, written by hand or pre-filled from an event.
/// Names in its text follow the post-mortem's anonymization for this reader.
#[Object]
impl TimelineEntry {
    async fn id(&self) -> Uuid {
        self.0.id()
    }
    async fn postmortem_id(&self) -> Uuid {
        self.0.postmortem_id()
    }
    async fn occurred_at(&self) -> Timestamp {
        Timestamp(self.0.occurred_at())
    }
    /// `alert.triggered`, `deploy.failed`, `note`, `detected`, ...
    async fn kind(&self) -> &str {
        self.0.kind()
    }
    /// `manual`, or the kind of integration that pre-filled it.
    async fn source(&self) -> &str {
        self.0.source()
    }
    async fn title(&self) -> String {
        self.0.title()
    }
    async fn description(&self) -> String {
        self.0.description()
    }
    /// Null for a reader who may not see a person the link names.
    async fn link(&self) -> Option<String> {
        self.0.link()
    }
    async fn service(&self) -> Option<String> {
        self.0.service()
    }
    /// The stored event this entry came from, if pre-filled.
    async fn event_id(&self) -> Option<Uuid> {
        self.0.event_id()
    }
    /// Send back as `expectedVersion` to update only what you read.
    async fn version(&self) -> i32 {
        self.0.version()
    }
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at())
    }
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.updated_at())
    }
}

impl Plain for TimelineEntry {
    fn field(&self, field: &Positioned<Field>, _: &ContextSelectionSet<'_>) -> Option<Value> {
        let e = &self.0;
        Some(match field.node.name.node.as_str() {
            "id" => leaf(&e.id()),
            "postmortemId" => leaf(&e.postmortem_id()),
            "occurredAt" => leaf(&Timestamp(e.occurred_at())),
            "kind" => text(e.kind()),
            "source" => text(e.source()),
            "title" => Value::String(e.title()),
            "description" => Value::String(e.description()),
            "link" => optional_text(e.link().as_deref()),
            "service" => optional_text(e.service().as_deref()),
            "eventId" => optional_leaf(e.event_id().as_ref()),
            "version" => leaf(&e.version()),
            "createdAt" => leaf(&Timestamp(e.created_at())),
            "updatedAt" => leaf(&Timestamp(e.updated_at())),
            _ => return None,
        })
    }
}

pub struct Cause(Seen<cause::Model>);

impl Cause {
    pub fn new(record: cause::Model, redactor: &Arc<Redactor>) -> Self {
        Self(Seen::new(record, redactor))
    }
}

/// A contributing cause, in one of the three areas.
#[Object]
impl Cause {
    async fn id(&self) -> Uuid {
        self.0.id()
    }
    async fn postmortem_id(&self) -> Uuid {
        self.0.postmortem_id()
    }
    async fn area(&self) -> CauseArea {
        self.0.area().into()
    }
    async fn description(&self) -> String {
        self.0.description()
    }
    async fn version(&self) -> i32 {
        self.0.version()
    }
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at())
    }
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.updated_at())
    }
}

impl Plain for Cause {
    fn field(&self, field: &Positioned<Field>, _: &ContextSelectionSet<'_>) -> Option<Value> {
        let c = &self.0;
        Some(match field.node.name.node.as_str() {
            "id" => leaf(&c.id()),
            "postmortemId" => leaf(&c.postmortem_id()),
            "area" => enumeration(CauseArea::from(c.area())),
            "description" => Value::String(c.description()),
            "version" => leaf(&c.version()),
            "createdAt" => leaf(&Timestamp(c.created_at())),
            "updatedAt" => leaf(&Timestamp(c.updated_at())),
            _ => return None,
        })
    }
}

/// A post-mortem's causes by area. Each area should hold more than one: no
/// incident has a single cause.
#[derive(SimpleObject, Default)]
pub struct CausesByArea {
    pub prevention: PlainList<Cause>,
    pub detection: PlainList<Cause>,
    pub mitigation: PlainList<Cause>,
}

impl CausesByArea {
    pub fn new(causes: &[cause::Model], redactor: &Arc<Redactor>) -> Self {
        let mut by_area = Self::default();
        for cause in causes {
            let list = match cause.area {
                entity::CauseArea::Prevention => &mut by_area.prevention,
                entity::CauseArea::Detection => &mut by_area.detection,
                entity::CauseArea::Mitigation => &mut by_area.mitigation,
            };
            list.0.push(Cause::new(cause.clone(), redactor));
        }
        by_area
    }
}

pub struct ActionItem(Seen<action_item::Model>);

impl ActionItem {
    pub fn new(record: action_item::Model, redactor: &Arc<Redactor>) -> Self {
        Self(Seen::new(record, redactor))
    }
}

/// A commitment that came out of a post-mortem: one owner, one due date.
#[Object]
impl ActionItem {
    async fn id(&self) -> Uuid {
        self.0.id()
    }
    async fn postmortem_id(&self) -> Uuid {
        self.0.postmortem_id()
    }
    /// The post-mortem this item came out of.
    async fn postmortem(&self, ctx: &Context<'_>) -> Result<Option<PostMortem>> {
        let loaders = Caller::loaders(ctx)?;
        Ok(loaders
            .postmortems
            .load_one(self.0.postmortem_id())
            .await?
            .map(PostMortem::new))
    }
    async fn cause_id(&self) -> Option<Uuid> {
        self.0.cause_id()
    }
    async fn area(&self) -> Option<CauseArea> {
        self.0.area().map(Into::into)
    }
    async fn title(&self) -> String {
        self.0.title()
    }
    async fn description(&self) -> String {
        self.0.description()
    }
    /// The owner's id; for a reader who may not see names, a handle that is
    /// different in every post-mortem and opens nothing in `people`.
    async fn owner_id(&self) -> Option<Uuid> {
        self.0.owner_id()
    }
    /// The owner as this reader may see them: a name, or a pseudonym with
    /// team, role and tenure (as `owner_name` over REST).
    async fn owner_name(&self) -> Option<String> {
        self.0.owner_name()
    }
    /// The one person who owns it.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let directory = Caller::loaders(ctx)?.directory().await?;
        Ok(self.0.owner(&directory).map(Person))
    }
    async fn due_date(&self) -> Option<NaiveDate> {
        self.0.due_date()
    }
    async fn priority(&self) -> Option<Priority> {
        self.0.priority().map(Into::into)
    }
    async fn status(&self) -> ActionItemStatus {
        self.0.status().into()
    }
    /// Open or in progress, with a due date before today (UTC).
    async fn overdue(&self) -> bool {
        self.0.overdue(Utc::now().date_naive())
    }
    /// The tracker it is synced to.
    async fn tracker_id(&self) -> Option<Uuid> {
        self.0.tracker_id()
    }
    /// The key in the tracker (`OPS-123`, `#45`).
    async fn external_key(&self) -> Option<&str> {
        self.0.external_key()
    }
    /// Link to the issue in the tracker.
    async fn external_url(&self) -> Option<String> {
        self.0.external_url()
    }
    async fn sync_state(&self) -> SyncState {
        self.0.sync_state().into()
    }
    /// Why the last sync failed: the tracker's own words for admins, a
    /// neutral reason (with the owner as this reader may see them) for others.
    async fn last_sync_error(&self) -> Option<String> {
        self.0.last_sync_error()
    }
    /// RRULE of a recurring check (FREQ, INTERVAL, COUNT or UNTIL); the due date is its first occurrence.
    async fn recurrence(&self) -> Option<&str> {
        self.0.recurrence()
    }
    /// When it was last marked done or won't do.
    async fn completed_at(&self) -> Option<Timestamp> {
        self.0.completed_at().map(Timestamp)
    }
    async fn version(&self) -> i32 {
        self.0.version()
    }
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at())
    }
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.updated_at())
    }
}

impl Plain for ActionItem {
    fn field(&self, field: &Positioned<Field>, ctx: &ContextSelectionSet<'_>) -> Option<Value> {
        let i = &self.0;
        Some(match field.node.name.node.as_str() {
            "id" => leaf(&i.id()),
            "postmortemId" => leaf(&i.postmortem_id()),
            "causeId" => optional_leaf(i.cause_id().as_ref()),
            "area" => i
                .area()
                .map_or(Value::Null, |a| enumeration(CauseArea::from(a))),
            "title" => Value::String(i.title()),
            "description" => Value::String(i.description()),
            "ownerId" => optional_leaf(i.owner_id().as_ref()),
            "ownerName" => i.owner_name().map_or(Value::Null, Value::String),
            "owner" => {
                let directory = loaded_directory(ctx)?;
                let owner = i.owner(directory).map(Person);
                nested(owner.as_ref(), field, ctx)?
            }
            "dueDate" => optional_leaf(i.due_date().as_ref()),
            "priority" => i
                .priority()
                .map_or(Value::Null, |p| enumeration(Priority::from(p))),
            "status" => enumeration(ActionItemStatus::from(i.status())),
            "overdue" => Value::Boolean(i.overdue(Utc::now().date_naive())),
            "trackerId" => optional_leaf(i.tracker_id().as_ref()),
            "externalKey" => optional_text(i.external_key()),
            "externalUrl" => optional_text(i.external_url().as_deref()),
            "syncState" => enumeration(SyncState::from(i.sync_state())),
            "lastSyncError" => optional_text(i.last_sync_error().as_deref()),
            "recurrence" => optional_text(i.recurrence()),
            "completedAt" => optional_leaf(i.completed_at().map(Timestamp).as_ref()),
            "version" => leaf(&i.version()),
            "createdAt" => leaf(&Timestamp(i.created_at())),
            "updatedAt" => leaf(&Timestamp(i.updated_at())),
            _ => return None,
        })
    }
}

/// The directory, if this request has read it already (plain lists cannot wait).
fn loaded_directory<'a>(ctx: &'a ContextSelectionSet<'_>) -> Option<&'a Arc<Directory>> {
    ctx.data::<Caller>().ok()?.loaders.loaded_directory()
}

/// A person, as [`SeenPerson`] shows them to this reader.
pub struct Person(pub SeenPerson);

impl Person {
    /// A person as they appear in one post-mortem.
    pub async fn in_postmortem(
        ctx: &Context<'_>,
        person: impl FnOnce(&Directory) -> Option<SeenPerson>,
    ) -> Result<Option<Self>> {
        let directory = Caller::loaders(ctx)?.directory().await?;
        Ok(person(&directory).map(Self))
    }
}

/// A person who owns action items, writes or reviews post-mortems. Inside a
/// post-mortem, a reader who may not see names (viewers always, editors when
/// it is anonymized) gets a pseudonym as `displayName` ("Engineer B, sre,
/// joined 3 days before"), a handle as `id` (different in every post-mortem)
/// and no email, join date or tracker identities.
#[Object]
impl Person {
    async fn id(&self) -> Uuid {
        self.0.id()
    }
    /// The name, or the pseudonym with team, role and tenure.
    async fn display_name(&self) -> String {
        self.0.display_name()
    }
    /// Null for readers who may not see names.
    async fn email(&self) -> Option<&str> {
        self.0.email()
    }
    async fn team(&self) -> Option<&str> {
        self.0.team()
    }
    async fn role_title(&self) -> Option<&str> {
        self.0.role_title()
    }
    /// Null for readers who may not see names (the pseudonym says the tenure).
    async fn joined_on(&self) -> Option<NaiveDate> {
        self.0.joined_on()
    }
    async fn jira_account_id(&self) -> Option<&str> {
        self.0.jira_account_id()
    }
    async fn github_login(&self) -> Option<&str> {
        self.0.github_login()
    }
    async fn gitlab_user_id(&self) -> Option<&str> {
        self.0.gitlab_user_id()
    }
    async fn linear_user_id(&self) -> Option<&str> {
        self.0.linear_user_id()
    }
    async fn version(&self) -> i32 {
        self.0.version()
    }
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at())
    }
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.updated_at())
    }
}

impl Plain for Person {
    fn field(&self, field: &Positioned<Field>, _: &ContextSelectionSet<'_>) -> Option<Value> {
        let p = &self.0;
        Some(match field.node.name.node.as_str() {
            "id" => leaf(&p.id()),
            "displayName" => Value::String(p.display_name()),
            "email" => optional_text(p.email()),
            "team" => optional_text(p.team()),
            "roleTitle" => optional_text(p.role_title()),
            "joinedOn" => optional_leaf(p.joined_on().as_ref()),
            "jiraAccountId" => optional_text(p.jira_account_id()),
            "githubLogin" => optional_text(p.github_login()),
            "gitlabUserId" => optional_text(p.gitlab_user_id()),
            "linearUserId" => optional_text(p.linear_user_id()),
            "version" => leaf(&p.version()),
            "createdAt" => leaf(&Timestamp(p.created_at())),
            "updatedAt" => leaf(&Timestamp(p.updated_at())),
            _ => return None,
        })
    }
}

pub struct Participant(Seen<participant::Model>);

impl Participant {
    pub fn new(record: participant::Model, redactor: &Arc<Redactor>) -> Self {
        Self(Seen::new(record, redactor))
    }
}

/// A person's part in a post-mortem.
#[Object]
impl Participant {
    /// The person's id; for a reader who may not see names, a handle that is
    /// different in every post-mortem.
    async fn person_id(&self) -> Uuid {
        self.0.person_id()
    }
    /// The person as this reader may see them: a name, or a pseudonym with
    /// team and tenure (as `name` over REST).
    async fn name(&self) -> Option<String> {
        self.0.name()
    }
    async fn role(&self) -> ParticipantRole {
        self.0.role().into()
    }
    async fn added_at(&self) -> Timestamp {
        Timestamp(self.0.added_at())
    }
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Person::in_postmortem(ctx, |directory| self.0.person(directory)).await
    }
}

impl Plain for Participant {
    fn field(&self, field: &Positioned<Field>, ctx: &ContextSelectionSet<'_>) -> Option<Value> {
        let p = &self.0;
        Some(match field.node.name.node.as_str() {
            "personId" => leaf(&p.person_id()),
            "name" => p.name().map_or(Value::Null, Value::String),
            "role" => enumeration(ParticipantRole::from(p.role())),
            "addedAt" => leaf(&Timestamp(p.added_at())),
            "person" => {
                let directory = loaded_directory(ctx)?;
                let person = p.person(directory).map(Person);
                nested(person.as_ref(), field, ctx)?
            }
            _ => return None,
        })
    }
}
