use clap::Parser as _;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    hindsight::cli::Cli::parse().run().await
}
