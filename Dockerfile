# syntax=docker/dockerfile:1
# A static musl binary on an empty image: ~3 MB, no shell, no package manager. TLS roots
# are compiled in (webpki-roots), so no CA bundle is needed. OpenSSL (azure-classic) is
# built from source and linked in: it needs perl, make and the kernel headers to build.

FROM rust:1.95-alpine3.22 AS build
RUN apk add --no-cache musl-dev=~1.2 perl=~5 make=~4 linux-headers=~6
WORKDIR /src
# Dependencies first, so that source edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src tests examples \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs tests/integration.rs \
    && cargo build --release --locked --bin purge-wait \
    && rm -rf src
COPY src ./src
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin purge-wait \
    && cp target/release/purge-wait /purge-wait

# For `docker run`: an unprivileged user. Build it with `--target nonroot`.
FROM scratch AS nonroot
COPY --from=build /purge-wait /usr/local/bin/purge-wait
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/purge-wait"]

# The image the GitHub Action runs (the last stage, so `image: Dockerfile` builds it). GitHub
# requires docker actions to run as root: the runner creates $GITHUB_OUTPUT and
# $GITHUB_STEP_SUMMARY owned by its own user, and an unprivileged user in the container
# could not append to them. The binary itself needs no privilege.
FROM nonroot AS action
# hadolint ignore=DL3002
USER 0:0
ENTRYPOINT ["/usr/local/bin/purge-wait"]
