# syntax=docker/dockerfile:1
# The production install path (README, "Deploy"), one stage per step:
#   build    compiles src/ to dist/ with the development dependencies (`npm run build`);
#   deps     installs the production dependencies alone (`npm ci --omit=dev`);
#   runtime  package.json, package-lock.json, node_modules and dist/, run by a non-root user. Nothing else.
# test/dockerfile.test.ts checks these steps against package.json and the install path test/e2e/production-install
# proves, which also runs this file's ENTRYPOINT, CMD and HEALTHCHECK.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Compiling needs TypeScript, not sqlite3's binary: no install script runs here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS deps
# sqlite3 downloads a prebuilt Node-API binary; when it cannot, node-gyp compiles one with these (this stage only).
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# tini runs as PID 1 and node as its child: tini passes SIGTERM (drain, then exit) and SIGHUP (reload the policy
# file) on to node and reaps zombies. It is in the image rather than left to `docker run --init`, which Kubernetes
# and most orchestrators do not offer.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json ./
# The default store (STORE_URL=sqlite://./data/…) is written by the bot's user; mount a volume here to keep it.
RUN mkdir data && chown node:node data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
# bash, not a second node: the check runs inside the container's memory limit, and node would take ~45 MB of it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-3000} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && read -r -t 4 status <&3 && [[ $status == 'HTTP/1.1 200 '* ]]"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--max-old-space-size=96", "dist/main.js"]
