//! Action items across post-mortems: the `actionItems` query and the mutations.

use async_graphql::{
    Context, InputObject, MaybeUndefined, Object, Result,
    connection::{Connection, Edge},
};
use chrono::{NaiveDate, Utc};
use uuid::Uuid;

use super::{
    Caller,
    error::GraphqlResult,
    page_cost, precondition,
    types::{ActionItem, ActionItemStatus, CauseArea, Priority, SyncState},
};
use crate::services::{
    action_items::{self, ActionItemFilter, ActionItemIn, ActionItemPatch},
    page::encode_cursor,
};

/// Which action items to list. All filters combine.
#[derive(InputObject, Default)]
pub struct ActionItemsFilter {
    pub postmortem_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    /// Owned by someone in this team.
    pub team: Option<String>,
    pub status: Option<ActionItemStatus>,
    /// true: open or in progress and due before today (UTC); false: the others.
    pub overdue: Option<bool>,
    /// Due strictly before this date.
    pub due_before: Option<NaiveDate>,
    pub sync_state: Option<SyncState>,
}

#[derive(Default)]
pub struct ActionItemQuery;

#[Object]
impl ActionItemQuery {
    /// Action items across post-mortems, oldest first, as a Relay connection.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn action_items(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActionItemsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ActionItem>> {
        let caller = Caller::get(ctx)?;
        caller.read()?;
        let page = caller.page_request(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = ActionItemFilter {
            postmortem_id: f.postmortem_id,
            owner_id: f.owner_id,
            status: f.status.map(Into::into),
            overdue: f.overdue,
            due_before: f.due_before,
            team: f.team,
            sync_state: f.sync_state.map(Into::into),
        };
        let today = Utc::now().date_naive();
        let list = action_items::list(&caller.state.db, &filter, today, &page)
            .await
            .gql()?;
        let mut connection = Connection::new(after.is_some(), list.next_cursor.is_some());
        connection.edges.extend(
            list.items
                .into_iter()
                .map(|item| Edge::new(encode_cursor(&item.id.to_string()), ActionItem(item))),
        );
        Ok(connection)
    }

    async fn action_item(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<ActionItem>> {
        let caller = Caller::get(ctx)?;
        caller.read()?;
        match action_items::get(&caller.state.db, id).await {
            Ok(item) => Ok(Some(ActionItem(item))),
            Err(crate::error::ApiError::NotFound(_)) => Ok(None),
            Err(other) => Err(other).gql(),
        }
    }
}

/// A new action item: one owner and one due date make it a commitment.
#[derive(InputObject)]
pub struct ActionItemInput {
    pub title: String,
    #[graphql(default)]
    pub description: String,
    /// A cause of the same post-mortem; the item takes its area.
    pub cause_id: Option<Uuid>,
    pub area: Option<CauseArea>,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<NaiveDate>,
    pub priority: Option<Priority>,
    pub status: Option<ActionItemStatus>,
}

/// Changes to an action item: absent fields stay, `null` clears.
#[derive(InputObject)]
pub struct ActionItemPatchInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub cause_id: MaybeUndefined<Uuid>,
    pub area: MaybeUndefined<CauseArea>,
    pub owner_id: MaybeUndefined<Uuid>,
    pub due_date: MaybeUndefined<NaiveDate>,
    pub priority: MaybeUndefined<Priority>,
    pub status: Option<ActionItemStatus>,
}

fn convert<T, U: From<T>>(value: MaybeUndefined<T>) -> Option<Option<U>> {
    Option::<Option<T>>::from(value).map(|v| v.map(U::from))
}

#[derive(Default)]
pub struct ActionItemMutation;

#[Object]
impl ActionItemMutation {
    /// Adds an action item to a post-mortem (editor).
    async fn add_action_item(
        &self,
        ctx: &Context<'_>,
        postmortem_id: Uuid,
        input: ActionItemInput,
    ) -> Result<ActionItem> {
        let caller = Caller::get(ctx)?;
        caller.write()?;
        let input = ActionItemIn {
            title: input.title,
            description: input.description,
            cause_id: input.cause_id,
            area: input.area.map(Into::into),
            owner_id: input.owner_id,
            due_date: input.due_date,
            priority: input.priority.map(Into::into),
            status: input.status.map(Into::into),
        };
        let item = action_items::create(&caller.state.db, postmortem_id, input)
            .await
            .gql()?;
        Ok(ActionItem(item))
    }

    async fn update_action_item(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: ActionItemPatchInput,
        expected_version: Option<i32>,
    ) -> Result<ActionItem> {
        let caller = Caller::get(ctx)?;
        caller.write()?;
        let patch = ActionItemPatch {
            title: input.title,
            description: input.description,
            cause_id: input.cause_id.into(),
            area: convert(input.area),
            owner_id: input.owner_id.into(),
            due_date: input.due_date.into(),
            priority: convert(input.priority),
            status: input.status.map(Into::into),
        };
        let item =
            action_items::update(&caller.state.db, id, patch, precondition(expected_version))
                .await
                .gql()?;
        Ok(ActionItem(item))
    }

    /// Deletes an action item (admin).
    async fn delete_action_item(&self, ctx: &Context<'_>, id: Uuid) -> Result<bool> {
        let caller = Caller::get(ctx)?;
        caller.admin()?;
        action_items::delete(&caller.state.db, id).await.gql()?;
        Ok(true)
    }
}
