# syntax=docker/dockerfile:1
# Build: docker build -t hindsight .
# Run:   docker run -p 8080:8080 -v hindsight-data:/data hindsight

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: source edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY entity/Cargo.toml entity/Cargo.toml
COPY migration/Cargo.toml migration/Cargo.toml
RUN mkdir -p src entity/src migration/src \
 && echo 'fn main() {}' > src/main.rs && touch src/lib.rs entity/src/lib.rs migration/src/lib.rs \
 && cargo build --release --locked \
 && rm -rf src entity/src migration/src
COPY . .
# Touch so cargo sees the real sources as newer than the placeholder build.
RUN touch src/main.rs src/lib.rs entity/src/lib.rs migration/src/lib.rs \
 && cargo build --release --locked \
 && cp target/release/hindsight /hindsight

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /data hindsight \
 && mkdir -p /data && chown hindsight /data
COPY --from=build /hindsight /usr/local/bin/hindsight
USER hindsight
WORKDIR /data
ENV HINDSIGHT_BIND=0.0.0.0:8080 \
    HINDSIGHT_DATABASE_URL=sqlite:///data/hindsight.db?mode=rwc \
    HINDSIGHT_DATA_DIR=/data/.hindsight \
    HINDSIGHT_LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["hindsight"]
CMD ["serve"]
