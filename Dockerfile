# The gatekeeper image: the carapace-sky CLI and HTTP service, with uv and SkyPilot installed
# at build time by the same installer the desktop app runs (`carapace-sky install`), so a
# container never takes a different install path than a laptop.
#
#   docker build -t carapace-gatekeeper .
#   docker build --build-arg CARAPACE_UV_VERSION=0.11.12 -t carapace-gatekeeper .
#   # air-gapped: a mirror laid out like the release (<base>/<version>/uv-<triple>.tar.gz),
#   # plus uv's own index and Python mirrors (docs/operations.md)
#   docker build --build-arg CARAPACE_UV_DOWNLOAD_BASE=https://mirror.internal/uv \
#                --build-arg CARAPACE_UV_SHA256=<sha256 of the archive> \
#                --build-arg UV_DEFAULT_INDEX=https://mirror.internal/pypi/simple \
#                --build-arg UV_PYTHON_INSTALL_MIRROR=https://mirror.internal/python-build-standalone \
#                -t carapace-gatekeeper .
#   docker run --rm -p 127.0.0.1:8787:8787 -e CARAPACE_GATEKEEPER_TOKEN=<secret> carapace-gatekeeper
#
# test/e2e/dockerfile.test.ts runs this file's install step outside Docker against a
# loopback mirror (no Docker engine where the tests run) and checks that every install step
# here goes through carapace-sky.

# Debian, not Alpine: npm's bun package and uv's default release are built for glibc.
ARG NODE_IMAGE=node:22-bookworm-slim
FROM ${NODE_IMAGE}

# The installer's inputs (docs/configuration.md). Empty means the installer's default: for
# the download base, astral's mirror and then GitHub; for the digest, the built-in table.
ARG CARAPACE_UV_VERSION=0.10.2
ARG CARAPACE_UV_DOWNLOAD_BASE=
ARG CARAPACE_UV_SHA256=
ARG CARAPACE_SKYPILOT_SPEC=skypilot-nightly[aws]
ARG CARAPACE_PYTHON=3.12
# Reach uv unchanged, for builds behind a private index; no default, so unset unless given.
# HTTP_PROXY, HTTPS_PROXY and NO_PROXY are Docker's predefined build args and need no line.
ARG UV_DEFAULT_INDEX
ARG UV_PYTHON_INSTALL_MIRROR

# CA roots for SkyPilot's cloud clients; ssh and rsync are how SkyPilot reaches its clusters.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates openssh-client rsync \
 && rm -rf /var/lib/apt/lists/*

# The node image's non-root user (uid 1000) owns the app and CARAPACE_HOME.
ENV CARAPACE_HOME=/home/node/.carapace \
    CARAPACE_UV_VERSION=${CARAPACE_UV_VERSION} \
    CARAPACE_UV_DOWNLOAD_BASE=${CARAPACE_UV_DOWNLOAD_BASE} \
    CARAPACE_UV_SHA256=${CARAPACE_UV_SHA256} \
    CARAPACE_SKYPILOT_SPEC=${CARAPACE_SKYPILOT_SPEC} \
    CARAPACE_PYTHON=${CARAPACE_PYTHON} \
    PATH=/opt/carapace/bin:/home/node/.carapace/tools/bin:${PATH}
WORKDIR /opt/carapace
RUN chown node:node /opt/carapace
USER node

# Dependencies first, so a source change does not re-download them. Bun is a devDependency
# and the CLI's runtime, hence no --omit=dev.
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force
COPY --chown=node:node . .

# uv and SkyPilot, through the product's installer and nothing else.
RUN ["carapace-sky", "install"]

# Healthy once SkyPilot answers from CARAPACE_HOME; status reads the disk and never installs.
HEALTHCHECK --interval=30s --timeout=15s --start-period=20s --retries=3 \
  CMD carapace-sky status --json | grep -q '"sky_installed":true' || exit 1

# The gatekeeper is loopback-only by contract. Inside a container it must bind all of the
# container's interfaces for a published port to reach it; publish it on the host's loopback
# only (-p 127.0.0.1:8787:8787, same port: the Host check wants 127.0.0.1:8787 or
# localhost:8787 and answers 421 to anything else). Other containers on the same network
# could connect, so `serve` refuses a non-loopback address without a token of at least 16
# characters: it exits 2 and
# the container stops. Pass the token at run time, never as a build arg (build args stay in
# the image's history):
#   docker run -p 127.0.0.1:8787:8787 -e CARAPACE_GATEKEEPER_TOKEN="$(openssl rand -hex 32)" carapace-gatekeeper
#   docker run --env-file gatekeeper.env ...   # a file holding CARAPACE_GATEKEEPER_TOKEN=...
# The HEALTHCHECK needs no token: `status` reads CARAPACE_HOME and never calls the service.
EXPOSE 8787
# `docker stop` sends SIGTERM: serve cancels a running install, stops, and exits 143 (128+15).
CMD ["carapace-sky", "serve", "--host", "0.0.0.0", "--port", "8787"]
