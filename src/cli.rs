//! The `hindsight` command line.

use clap::{Parser, Subcommand};

use entity::DeliveryState;

use crate::{
    auth::{Role, TokenVerifier, parse_ttl},
    config::Settings,
    services::{
        audit::Actor,
        deliveries::{DeliveryFilter, Replayer},
        prefill::Prefill,
        timeline::TimelineFeed,
    },
    startup::{self, Application},
    telemetry::{self, WebhookMetrics},
};

#[derive(Debug, Parser)]
#[command(
    name = "hindsight",
    version,
    about = "Blameless post-mortems: timelines from webhooks, action items in your tracker."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Record the configured keys' check values in the database in place of
    /// those recorded, after changing HINDSIGHT_JWT_SECRET on purpose; then
    /// restart every replica with the new value. A secret key is recorded only
    /// if it opens the secrets already stored.
    RecordKeys,
    /// Print a signed token for the configured HS256 key.
    Token {
        /// viewer, editor or admin.
        #[arg(long, default_value = "viewer")]
        role: Role,
        /// Who the token is for (usually an email).
        #[arg(long)]
        sub: String,
        /// How long it is valid: 90s, 15m, 24h, 7d.
        #[arg(long, default_value = "24h", value_parser = parse_ttl)]
        ttl: std::time::Duration,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` holds its output.
    GraphqlSchema,
    /// Run an integration's stored webhook deliveries again through today's
    /// parsers and its mapping rules; prints what it did as JSON. Replaying
    /// twice adds nothing.
    Replay {
        /// The integration's id.
        #[arg(long)]
        integration: uuid::Uuid,
        /// Which states to replay (repeat or comma-separate); by default
        /// unparsed and ignored.
        #[arg(long = "state", value_delimiter = ',', value_parser = parse_state)]
        states: Vec<DeliveryState>,
        /// Deliveries received at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// ... and before this time.
        #[arg(long)]
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
}

fn parse_state(text: &str) -> Result<DeliveryState, String> {
    serde_json::from_value(text.into())
        .map_err(|_| format!("`{text}` is not processed, ignored or unparsed"))
}

impl clap::ValueEnum for Role {
    fn value_variants<'a>() -> &'a [Self] {
        &[Role::Viewer, Role::Editor, Role::Admin]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }))
    }
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        let command = self.command.unwrap_or(Command::Serve);
        if let Command::GraphqlSchema = command {
            print!("{}", crate::graphql::sdl());
            return Ok(());
        }
        let settings = {
            // Token minting prints to stdout: keep its warnings on stderr only.
            telemetry::init_logging(
                std::env::var("HINDSIGHT_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")),
            );
            Settings::from_env()?
        };
        match command {
            Command::Serve => {
                Application::build(settings)
                    .await?
                    .run_until_stopped()
                    .await?
            }
            Command::Migrate => {
                let db = startup::connect(&settings.database_url).await?;
                startup::migrate(&db).await?;
                tracing::info!("migrations applied");
            }
            Command::RecordKeys => {
                let db = startup::connect(&settings.database_url).await?;
                startup::migrate(&db).await?;
                crate::services::key_checks::record(&db, &settings).await?;
            }
            Command::Token { role, sub, ttl } => {
                println!(
                    "{}",
                    TokenVerifier::new(&settings.jwt)?.mint(&sub, role, ttl)?
                );
            }
            Command::Replay {
                integration,
                mut states,
                since,
                until,
            } => {
                if states.is_empty() {
                    states = vec![DeliveryState::Unparsed, DeliveryState::Ignored];
                }
                // The server migrates; a second process migrating a live SQLite
                // file only meets its writes.
                let db = startup::connect(&settings.database_url).await?;
                let prefill = Prefill::new(settings.ingest.clone(), TimelineFeed::new(1));
                let replayer = Replayer {
                    db: &db,
                    prefill: &prefill,
                    metrics: &WebhookMetrics::default(),
                };
                let filter = DeliveryFilter {
                    states,
                    since,
                    until,
                };
                let actor = Actor::system("cli:replay");
                let report = replayer.replay(integration, &filter, &actor).await?;
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            Command::GraphqlSchema => {}
        }
        Ok(())
    }
}
