//! The `hindsight` command line.

use clap::{Parser, Subcommand};

use crate::{
    auth::{Role, TokenVerifier, parse_ttl},
    config::Settings,
    startup::{self, Application},
    telemetry,
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
            Command::Token { role, sub, ttl } => {
                println!(
                    "{}",
                    TokenVerifier::new(&settings.jwt)?.mint(&sub, role, ttl)?
                );
            }
            Command::GraphqlSchema => {}
        }
        Ok(())
    }
}
