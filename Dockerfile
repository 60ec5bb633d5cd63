# syntax=docker/dockerfile:1
#
# One image for every Chorus process: `chorus up` (embedded, the default
# command) or `chorus serve --target <service>` (distributed), set per
# container. Build from the repository root:
#
#   docker build -t chorus .
#   docker run --rm -p 8080:8080 chorus                      # embedded mode
#   docker run --rm chorus serve --target auth               # with CHORUS_* settings
#
# Deployments using it: deploy/compose (Docker Compose) and deploy/k8s (kustomize).

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# The registry and target folders are cache mounts: they survive between
# builds on one builder but are not part of any layer, so the binary is
# copied out of the target folder before the step ends.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p chorus \
    && install -D -m 0755 target/release/chorus /out/chorus

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A fixed uid/gid, so volume permissions and Kubernetes' runAsUser agree.
RUN groupadd --system --gid 10001 chorus \
    && useradd --system --uid 10001 --gid chorus --home-dir /var/lib/chorus --shell /usr/sbin/nologin chorus \
    && install -d -o chorus -g chorus -m 0750 /var/lib/chorus /var/lib/chorus/data
COPY --from=builder /out/chorus /usr/local/bin/chorus
USER 10001:10001
# The data folder is ./data under it (/var/lib/chorus/data, owned by the
# chorus user so a fresh named volume mounted there is writable): SQLite
# files and generated secrets in embedded mode; the search index, media's
# upload spool and local media files in distributed mode.
WORKDIR /var/lib/chorus
# Inside a container the listener must not be loopback-only.
ENV CHORUS_LISTEN=0.0.0.0:8080
EXPOSE 8080
# No HEALTHCHECK: the image has no curl or wget (ca-certificates only), and
# the port to probe depends on the target (the gateway's 8080, a service's
# own services.<name>.listen). Orchestrators probe /health and /ready
# themselves: Kubernetes' probes in deploy/k8s, the gateway's upstream
# checks in deploy/compose.
ENTRYPOINT ["chorus"]
CMD ["up"]
