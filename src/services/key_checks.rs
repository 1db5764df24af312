//! Check values of the keys a database was set up with. Every replica must
//! hold the same secret key (it encrypts what the others stored) and the same
//! JWT secret (a token one mints, another must accept); a replica whose key
//! gives another check value refuses to start and says what to set, instead of
//! failing one sync at a time with "stored secret does not decrypt".

use anyhow::{Context as _, bail};
use entity::{integration, key_check, tracker};
use hmac::{Hmac, Mac as _};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use super::now;
use crate::config::{JwtKey, Secret, Settings};

/// One key whose check value the database keeps.
struct Key<'a> {
    /// The row's name.
    name: &'static str,
    /// The setting that holds it, for the messages.
    variable: &'static str,
    secret: &'a Secret,
}

/// The keys replicas must share: the secret key, and the JWT key when it is
/// a shared secret (a public key from an identity provider is checked by the
/// provider's signature, and each replica may be pointed at it on its own).
fn keys(settings: &Settings) -> Vec<Key<'_>> {
    let mut keys = vec![Key {
        name: "secret_key",
        variable: "HINDSIGHT_SECRET_KEY",
        secret: &settings.secret_key,
    }];
    if let JwtKey::Hs256(secret) = &settings.jwt.key {
        keys.push(Key {
            name: "jwt_secret",
            variable: "HINDSIGHT_JWT_SECRET",
            secret,
        });
    }
    keys
}

/// HMAC-SHA256 of a fixed text under the key: equal for equal keys, and no
/// help in finding the key.
fn check_value(key: &Key<'_>) -> anyhow::Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.secret.expose())
        .map_err(|_| anyhow::anyhow!("{} cannot key an HMAC", key.variable))?;
    mac.update(b"hindsight key check v1: ");
    mac.update(key.name.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// At start: records the check values a fresh database lacks, and refuses
/// keys that differ from those recorded. Two replicas starting at once with
/// different keys on a fresh database: one records, the other is refused.
pub async fn verify(db: &impl ConnectionTrait, settings: &Settings) -> anyhow::Result<()> {
    for key in keys(settings) {
        let value = check_value(&key)?;
        let recorded = match find(db, key.name).await? {
            Some(recorded) => recorded,
            None => {
                if key.name == "secret_key" {
                    opens_stored_secrets(db, key.secret).await?;
                }
                let row = key_check::ActiveModel {
                    name: Set(key.name.to_owned()),
                    check_value: Set(value.clone()),
                    recorded_at: Set(now()),
                };
                key_check::Entity::insert(row)
                    .on_conflict_do_nothing_on([key_check::Column::Name])
                    .exec_without_returning(db)
                    .await
                    .context("recording a key check value")?;
                find(db, key.name)
                    .await?
                    .context("the key check value just recorded is gone")?
            }
        };
        if !bool::from(recorded.check_value.as_bytes().ct_eq(value.as_bytes())) {
            bail!("{}", mismatch(&key, &recorded));
        }
    }
    Ok(())
}

/// `hindsight record-keys`: records the configured keys' check values in place
/// of those recorded, after a key was changed on purpose (a new JWT secret).
/// A secret key is only recorded if it opens the secrets already stored:
/// nothing re-encrypts them under a new one.
pub async fn record(db: &impl ConnectionTrait, settings: &Settings) -> anyhow::Result<()> {
    for key in keys(settings) {
        if key.name == "secret_key" {
            opens_stored_secrets(db, key.secret).await?;
        }
        let row = key_check::ActiveModel {
            name: Set(key.name.to_owned()),
            check_value: Set(check_value(&key)?),
            recorded_at: Set(now()),
        };
        key_check::Entity::insert(row)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(key_check::Column::Name)
                    .update_columns([key_check::Column::CheckValue, key_check::Column::RecordedAt])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await
            .context("recording a key check value")?;
        tracing::info!(key = key.variable, "recorded the key's check value");
    }
    Ok(())
}

async fn find(db: &impl ConnectionTrait, name: &str) -> anyhow::Result<Option<key_check::Model>> {
    key_check::Entity::find_by_id(name.to_owned())
        .one(db)
        .await
        .context("reading the key check values")
}

/// A database from before check values were kept may already hold secrets:
/// the first key recorded must be the one that sealed them.
async fn opens_stored_secrets(db: &impl ConnectionTrait, key: &Secret) -> anyhow::Result<()> {
    let tracker = tracker::Entity::find().one(db).await?;
    let integration = integration::Entity::find().one(db).await?;
    let opens = tracker
        .iter()
        .map(|t| crate::secrets::open(key, &t.credentials, t.id.as_bytes()))
        .chain(
            integration
                .iter()
                .map(|i| crate::secrets::open(key, &i.secret_encrypted, i.id.as_bytes())),
        )
        .all(|opened| opened.is_ok());
    if !opens {
        bail!(
            "HINDSIGHT_SECRET_KEY does not open the tracker credentials and webhook secrets \
             already stored in this database: set it to the key that stored them (on a single \
             replica that generated its key, the one in HINDSIGHT_DATA_DIR/secret_key)"
        );
    }
    Ok(())
}

fn mismatch(key: &Key<'_>, recorded: &key_check::Model) -> String {
    let since = recorded.recorded_at.format("%Y-%m-%d %H:%M UTC");
    let what = match key.name {
        "secret_key" => "it encrypts the tracker credentials and webhook secrets the others stored",
        _ => "a token minted by one replica would be refused by another",
    };
    let change = match key.name {
        "secret_key" => "",
        _ => {
            " To change it on purpose, run `hindsight record-keys` once with the new value, then restart every replica."
        }
    };
    format!(
        "{variable} is not the key this database was set up with (its check value was recorded \
         {since}). Every replica must use the same one: {what}. Set {variable} to the value the \
         other replicas use; a key generated into HINDSIGHT_DATA_DIR is one replica's own.{change}",
        variable = key.variable,
    )
}
