//! The GraphQL enums (the entity enums, spelled the GraphQL way) and the
//! children of a post-mortem: timeline entries, causes, action items, people.

use async_graphql::{ComplexObject, Context, Enum, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{action_item, cause, participant, person, timeline_entry};
use uuid::Uuid;

use super::{Caller, postmortems::PostMortem};

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

/// One moment of an incident, written by hand or pre-filled from an event.
pub struct TimelineEntry(pub timeline_entry::Model);

#[Object]
impl TimelineEntry {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn postmortem_id(&self) -> Uuid {
        self.0.postmortem_id
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// `alert.triggered`, `deploy.failed`, `note`, `detected`, ...
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// `manual`, or the kind of integration that pre-filled it.
    async fn source(&self) -> &str {
        &self.0.source
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn link(&self) -> Option<&str> {
        self.0.link.as_deref()
    }
    async fn service(&self) -> Option<&str> {
        self.0.service.as_deref()
    }
    /// The stored event this entry came from, if pre-filled.
    async fn event_id(&self) -> Option<Uuid> {
        self.0.event_id
    }
    /// Send back as `expectedVersion` to update only what you read.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A contributing cause, in one of the three areas.
pub struct Cause(pub cause::Model);

#[Object]
impl Cause {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn postmortem_id(&self) -> Uuid {
        self.0.postmortem_id
    }
    async fn area(&self) -> CauseArea {
        self.0.area.into()
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A post-mortem's causes by area. Each area should hold more than one: no
/// incident has a single cause.
#[derive(SimpleObject)]
pub struct CausesByArea {
    pub prevention: Vec<Cause>,
    pub detection: Vec<Cause>,
    pub mitigation: Vec<Cause>,
}

impl CausesByArea {
    pub fn new(causes: Vec<cause::Model>) -> Self {
        let mut by_area = Self {
            prevention: Vec::new(),
            detection: Vec::new(),
            mitigation: Vec::new(),
        };
        for cause in causes {
            match cause.area {
                entity::CauseArea::Prevention => by_area.prevention.push(Cause(cause)),
                entity::CauseArea::Detection => by_area.detection.push(Cause(cause)),
                entity::CauseArea::Mitigation => by_area.mitigation.push(Cause(cause)),
            }
        }
        by_area
    }
}

/// A commitment that came out of a post-mortem: one owner, one due date.
pub struct ActionItem(pub action_item::Model);

#[Object]
impl ActionItem {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn postmortem_id(&self) -> Uuid {
        self.0.postmortem_id
    }
    /// The post-mortem this item came out of.
    async fn postmortem(&self, ctx: &Context<'_>) -> Result<Option<PostMortem>> {
        let loaders = Caller::loaders(ctx)?;
        Ok(loaders
            .postmortems
            .load_one(self.0.postmortem_id)
            .await?
            .map(PostMortem))
    }
    async fn cause_id(&self) -> Option<Uuid> {
        self.0.cause_id
    }
    async fn area(&self) -> Option<CauseArea> {
        self.0.area.map(Into::into)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn owner_id(&self) -> Option<Uuid> {
        self.0.owner_id
    }
    /// The one person who owns it.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(owner) = self.0.owner_id else {
            return Ok(None);
        };
        Ok(Caller::loaders(ctx)?
            .people
            .load_one(owner)
            .await?
            .map(Person))
    }
    async fn due_date(&self) -> Option<NaiveDate> {
        self.0.due_date
    }
    async fn priority(&self) -> Option<Priority> {
        self.0.priority.map(Into::into)
    }
    async fn status(&self) -> ActionItemStatus {
        self.0.status.into()
    }
    /// Open or in progress, with a due date before today (UTC).
    async fn overdue(&self) -> bool {
        !self.0.status.is_closed() && self.0.due_date.is_some_and(|d| d < Utc::now().date_naive())
    }
    /// The tracker it is synced to.
    async fn tracker_id(&self) -> Option<Uuid> {
        self.0.tracker_id
    }
    /// The key in the tracker (`OPS-123`, `#45`).
    async fn external_key(&self) -> Option<&str> {
        self.0.external_key.as_deref()
    }
    /// Link to the issue in the tracker.
    async fn external_url(&self) -> Option<&str> {
        self.0.external_url.as_deref()
    }
    async fn sync_state(&self) -> SyncState {
        self.0.sync_state.into()
    }
    async fn last_sync_error(&self) -> Option<&str> {
        self.0.last_sync_error.as_deref()
    }
    /// When it was last marked done or won't do.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A person who owns action items, writes or reviews post-mortems.
pub struct Person(pub person::Model);

#[Object]
impl Person {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn team(&self) -> Option<&str> {
        self.0.team.as_deref()
    }
    async fn role_title(&self) -> Option<&str> {
        self.0.role_title.as_deref()
    }
    async fn joined_on(&self) -> Option<NaiveDate> {
        self.0.joined_on
    }
    async fn jira_account_id(&self) -> Option<&str> {
        self.0.jira_account_id.as_deref()
    }
    async fn github_login(&self) -> Option<&str> {
        self.0.github_login.as_deref()
    }
    async fn gitlab_user_id(&self) -> Option<&str> {
        self.0.gitlab_user_id.as_deref()
    }
    async fn linear_user_id(&self) -> Option<&str> {
        self.0.linear_user_id.as_deref()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A person's part in a post-mortem.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Participant {
    pub person_id: Uuid,
    pub role: ParticipantRole,
    pub added_at: DateTime<Utc>,
}

impl From<participant::Model> for Participant {
    fn from(m: participant::Model) -> Self {
        Self {
            person_id: m.person_id,
            role: m.role.into(),
            added_at: m.created_at,
        }
    }
}

#[ComplexObject]
impl Participant {
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Ok(Caller::loaders(ctx)?
            .people
            .load_one(self.person_id)
            .await?
            .map(Person))
    }
}
