# gmgui in a container (docs/deploy.md): the same `gmgui` command and exit codes as everywhere else.
#   docker build -t gmgui .
#   docker run -d --name gmgui -p 127.0.0.1:3000:3000 -v gmgui-data:/data -v "$HOME/code:/work" gmgui
#   docker logs gmgui        # the line "gmgui is ready: open http://…/?token=…"
# scripts/docker-steps.mjs runs these same steps without Docker (test/package/docker-steps.test.ts), so
# RUN steps use paths relative to WORKDIR; a step only Docker can run is marked "docker-steps: skip".

ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Build: the package exactly as `npm pack` makes it (prepack builds the web app and the server).
FROM ${NODE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
# Build tools only; nothing here loads the SQLite addon, so no install script needs to run.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm pack --silent && mkdir -p out && tar -xzf gmgui-*.tgz -C out && cp package-lock.json out/package/

# 2. Runtime: the unpacked package and its runtime dependencies, as locked (overrides included).
FROM ${NODE_IMAGE}
WORKDIR /opt/gmgui
COPY --from=build /build/out/package/ ./
# The `gmgui` command on PATH, as `npm install -g` would link it.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund \
  && chmod +x dist/server/cli.mjs && mkdir -p bin && ln -s ../dist/server/cli.mjs bin/gmgui
# docker-steps: skip (a user and folder ownership need Docker)
RUN mkdir -p /data /work && chown node:node /data /work
ENV NODE_ENV=production \
    PATH=/opt/gmgui/bin:$PATH \
    GMGUI_DATA_DIR=/data \
    GMGUI_ROOTS=/work \
    HOST=0.0.0.0 \
    PORT=3000
VOLUME /data
USER node
EXPOSE 3000
# /api/health needs no token; a server that cannot answer it is restarted by the orchestrator.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + (process.env.BASE_URL || '') + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `docker stop` sends SIGTERM: gmgui finishes requests under way, stops agents, exits 0.
STOPSIGNAL SIGTERM
CMD ["gmgui"]
