//! DataLoaders, made fresh for every request, so that nested fields of a page
//! cost one query per kind of child whatever the page's size.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    ErrorExtensions,
    dataloader::{DataLoader, HashMapCache},
};
use entity::{action_item, cause, participant, timeline_entry};
use sea_orm::DatabaseConnection;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::{
    error::{ApiError, ApiResult},
    services::{
        action_items,
        anonymity::Directory,
        causes, participants, people,
        postmortems::{self, PostmortemView},
        timeline,
    },
};

type Cached<T> = DataLoader<T, HashMapCache>;

/// One loader per kind of child, keyed by the parent's id. Each caches what it
/// loaded for the rest of the request, so a list resolver can fetch a whole
/// page's children at once ([`Loaders::prefetch`]) and the nested resolvers
/// find them there.
pub struct Loaders {
    pub timeline: Cached<TimelineLoader>,
    pub causes: Cached<CausesLoader>,
    pub action_items: Cached<ActionItemsLoader>,
    pub participants: Cached<ParticipantsLoader>,
    pub postmortems: Cached<PostmortemLoader>,
    /// Everyone, read once per request: people are few, and naming or
    /// scrubbing them in any post-mortem needs the whole directory anyway.
    directory: OnceCell<Arc<Directory>>,
    db: DatabaseConnection,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        fn make<T>(loader: T) -> Cached<T> {
            DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
        }
        Self {
            timeline: make(TimelineLoader(db.clone())),
            causes: make(CausesLoader(db.clone())),
            action_items: make(ActionItemsLoader(db.clone())),
            participants: make(ParticipantsLoader(db.clone())),
            postmortems: make(PostmortemLoader(db.clone())),
            directory: OnceCell::new(),
            db: db.clone(),
        }
    }

    /// Loads the children of a page of post-mortems in one query per kind,
    /// all at once, and caches them. The DataLoaders alone would batch too,
    /// but by timing: a long page resolved in several polls can split into
    /// several batches. This keeps a page's cost fixed.
    pub async fn prefetch(&self, ids: &[Uuid], wants: Wants) -> async_graphql::Result<()> {
        let db = &self.db;
        let (timeline, causes, action_items, participants, _) = futures_util::try_join!(
            optional(wants.timeline, timeline::for_postmortems(db, ids)),
            optional(wants.causes, causes::for_postmortems(db, ids)),
            optional(wants.people, action_items::for_postmortems(db, ids)),
            optional(wants.people, participants::for_postmortems(db, ids)),
            async {
                if wants.people {
                    self.directory().await?;
                }
                Ok(())
            },
        )?;
        if let Some(rows) = timeline {
            self.timeline.feed_many(every_key(ids, rows)).await;
        }
        if let Some(rows) = causes {
            self.causes.feed_many(every_key(ids, rows)).await;
        }
        if let Some(rows) = action_items {
            self.action_items.feed_many(every_key(ids, rows)).await;
        }
        if let Some(rows) = participants {
            self.participants.feed_many(every_key(ids, rows)).await;
        }
        Ok(())
    }

    /// The directory if this request has read it already.
    pub fn loaded_directory(&self) -> Option<&Arc<Directory>> {
        self.directory.get()
    }

    /// The people directory, read on first use (one query per request).
    pub async fn directory(&self) -> async_graphql::Result<Arc<Directory>> {
        let directory = self
            .directory
            .get_or_try_init(|| async {
                let people = people::all(&self.db).await?;
                Ok::<_, ApiError>(Arc::new(Directory::new(people)))
            })
            .await
            .map_err(|e| e.extend())?;
        Ok(directory.clone())
    }
}

/// Which children a page needs, from what the query selects.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wants {
    pub timeline: bool,
    pub causes: bool,
    /// Participants, action items and the directory: what naming people
    /// (and so any text) and the review need.
    pub people: bool,
}

async fn optional<V>(
    wanted: bool,
    load: impl Future<Output = ApiResult<HashMap<Uuid, Vec<V>>>>,
) -> async_graphql::Result<Option<HashMap<Uuid, Vec<V>>>> {
    if !wanted {
        return Ok(None);
    }
    load.await.map(Some).map_err(|e| e.extend())
}

/// An entry for every id, empty when it has no rows, so that the cache
/// answers for parents without children too.
fn every_key<V>(ids: &[Uuid], mut rows: HashMap<Uuid, Vec<V>>) -> Vec<(Uuid, Arc<Vec<V>>)> {
    ids.iter()
        .map(|id| (*id, Arc::new(rows.remove(id).unwrap_or_default())))
        .collect()
}

/// Children loaders answer for every key (an empty list when there are
/// none), so the cache remembers that too. Shared (`Arc`): every read of the
/// cache hands out a copy.
fn loaded<V>(
    result: ApiResult<HashMap<Uuid, Vec<V>>>,
    keys: &[Uuid],
) -> async_graphql::Result<HashMap<Uuid, Arc<Vec<V>>>> {
    let found = result.map_err(|e| e.extend())?;
    Ok(every_key(keys, found).into_iter().collect())
}

macro_rules! loader {
    ($(#[$doc:meta])* $name:ident, $value:ty, $load:path) => {
        $(#[$doc])*
        pub struct $name(DatabaseConnection);

        impl async_graphql::dataloader::Loader<Uuid> for $name {
            type Value = Arc<$value>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
                loaded($load(&self.0, keys).await, keys)
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
/// Post-mortems by id, for action items listed across post-mortems.
pub struct PostmortemLoader(DatabaseConnection);

impl async_graphql::dataloader::Loader<Uuid> for PostmortemLoader {
    type Value = PostmortemView;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        postmortems::by_ids(&self.0, keys)
            .await
            .map_err(|e| e.extend())
    }
}
