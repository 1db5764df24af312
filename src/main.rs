use clap::Parser as _;

// GraphQL answers are trees of many small allocations; glibc's allocator spent
// a quarter of a dashboard request's CPU time on them (bench/graphql.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    hindsight::cli::Cli::parse().run().await
}
