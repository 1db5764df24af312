//! People and who takes part in a post-mortem.

use async_graphql::{
    Context, Object, Result,
    connection::{Connection, Edge},
};
use uuid::Uuid;

use super::{
    Caller,
    error::GraphqlResult,
    root_page_cost,
    types::{Participant, ParticipantRole, Person},
};
use crate::services::{
    page::encode_cursor,
    participants::{self, ParticipantIn},
    people,
};
use crate::views::SeenPerson;

#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// The directory of people, in the order they were added (editors and
    /// admins: viewers see people only as pseudonyms inside post-mortems).
    #[graphql(complexity = "root_page_cost(first, child_complexity)")]
    async fn people(
        &self,
        ctx: &Context<'_>,
        team: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Person>> {
        let caller = Caller::get(ctx)?;
        let _s = caller.writer()?;
        let page = caller.page_request(first, after.as_deref())?;
        let list = people::list(&caller.state.db, team.as_deref(), &page)
            .await
            .gql()?;
        let mut connection = Connection::new(after.is_some(), list.next_cursor.is_some());
        connection.edges.extend(list.items.into_iter().map(|p| {
            Edge::new(
                encode_cursor(&p.id.to_string()),
                Person(SeenPerson::from_directory(p)),
            )
        }));
        Ok(connection)
    }

    /// One person of the directory (editors and admins).
    async fn person(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<Person>> {
        let caller = Caller::get(ctx)?;
        let _s = caller.writer()?;
        match people::get(&caller.state.db, id).await {
            Ok(person) => Ok(Some(Person(SeenPerson::from_directory(person)))),
            Err(crate::error::ApiError::NotFound(_)) => Ok(None),
            Err(other) => Err(other).gql(),
        }
    }
}

#[derive(Default)]
pub struct ParticipantMutation;

#[Object]
impl ParticipantMutation {
    /// Invites a person to a post-mortem as a reviewer or participant (editor).
    async fn add_participant(
        &self,
        ctx: &Context<'_>,
        postmortem_id: Uuid,
        person_id: Uuid,
        #[graphql(default_with = "ParticipantRole::Participant")] role: ParticipantRole,
    ) -> Result<Participant> {
        let caller = Caller::get(ctx)?;
        let s = caller.writer()?;
        let input = ParticipantIn {
            person_id,
            role: role.into(),
        };
        let row = participants::add(&s, postmortem_id, input).await.gql()?;
        let redactor = caller.redactor_of(postmortem_id).await?;
        Ok(Participant::new(row, &redactor))
    }

    /// Removes a person from a post-mortem (editor). True when removed.
    async fn remove_participant(
        &self,
        ctx: &Context<'_>,
        postmortem_id: Uuid,
        person_id: Uuid,
    ) -> Result<bool> {
        let caller = Caller::get(ctx)?;
        let s = caller.writer()?;
        participants::remove(&s, postmortem_id, person_id)
            .await
            .gql()?;
        Ok(true)
    }
}
