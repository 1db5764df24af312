//! DataLoaders, made fresh for every request, so that nested fields of a page
//! cost one query per kind of child whatever the page's size.

use std::collections::HashMap;

use async_graphql::{ErrorExtensions, dataloader::DataLoader};
use entity::{action_item, cause, participant, person, timeline_entry};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    error::ApiResult,
    services::{
        action_items, causes, participants, people,
        postmortems::{self, PostmortemView},
        timeline,
    },
};

/// One loader per kind of child, keyed by the parent's id.
pub struct Loaders {
    pub timeline: DataLoader<TimelineLoader>,
    pub causes: DataLoader<CausesLoader>,
    pub action_items: DataLoader<ActionItemsLoader>,
    pub participants: DataLoader<ParticipantsLoader>,
    pub people: DataLoader<PeopleLoader>,
    pub postmortems: DataLoader<PostmortemLoader>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        fn make<T>(loader: T) -> DataLoader<T> {
            DataLoader::new(loader, tokio::spawn)
        }
        Self {
            timeline: make(TimelineLoader(db.clone())),
            causes: make(CausesLoader(db.clone())),
            action_items: make(ActionItemsLoader(db.clone())),
            participants: make(ParticipantsLoader(db.clone())),
            people: make(PeopleLoader(db.clone())),
            postmortems: make(PostmortemLoader(db.clone())),
        }
    }
}

fn loaded<V>(result: ApiResult<HashMap<Uuid, V>>) -> async_graphql::Result<HashMap<Uuid, V>> {
    result.map_err(|e| e.extend())
}

macro_rules! loader {
    ($(#[$doc:meta])* $name:ident, $value:ty, $load:path) => {
        $(#[$doc])*
        pub struct $name(DatabaseConnection);

        impl async_graphql::dataloader::Loader<Uuid> for $name {
            type Value = $value;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
                loaded($load(&self.0, keys).await)
            }
        }
    };
}

loader!(
    /// A post-mortem's timeline, in the order things happened.
    TimelineLoader, Vec<timeline_entry::Model>, timeline::for_postmortems
);
loader!(
    /// A post-mortem's causes.
    CausesLoader, Vec<cause::Model>, causes::for_postmortems
);
loader!(
    /// A post-mortem's action items.
    ActionItemsLoader, Vec<action_item::Model>, action_items::for_postmortems
);
loader!(
    /// A post-mortem's participants.
    ParticipantsLoader, Vec<participant::Model>, participants::for_postmortems
);
loader!(
    /// People by id: owners, authors, participants.
    PeopleLoader, person::Model, people::by_ids
);
loader!(
    /// Post-mortems by id, for action items listed across post-mortems.
    PostmortemLoader, PostmortemView, postmortems::by_ids
);
