# syntax=docker/dockerfile:1
# The image for `docker run`, GitLab and other container users (ghcr.io/purge-wait/purge-wait),
# built by .github/workflows/release.yml from the release's static musl binaries (dist/amd64,
# dist/arm64): nothing is compiled here, so the multi-arch build takes seconds. It matches
# the Dockerfile's `action` stage: an empty image, the binary as the exec-form entrypoint,
# root (GitHub's docker actions must write the runner's files; there is no USER).
FROM scratch
ARG TARGETARCH
COPY --chmod=755 dist/${TARGETARCH}/purge-wait /usr/local/bin/purge-wait
ENTRYPOINT ["/usr/local/bin/purge-wait"]
