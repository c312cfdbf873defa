# k8stream container image.
#
#   docker build -t k8stream .
#   docker run --rm --read-only --tmpfs /tmp -v k8stream-data:/var/lib/k8stream \
#     -v "$PWD/.k8streamrc:/etc/k8stream/.k8streamrc:ro" k8stream
#
# Two stages: `build` compiles the TypeScript and the WebAssembly transforms with every dev
# dependency; the runtime stage installs only production dependencies and copies the built
# output. test/deploy/image.test.ts reads the COPY and `npm ci` lines of the runtime stage,
# assembles the same files in a temporary directory and runs k8stream from there, so keep
# each copied path on its own COPY line.
#
# At run time the image writes nowhere but /var/lib/k8stream (state, disk buffers, dead
# letters) and /tmp (HOME, caches): it runs with a read-only root filesystem when those two
# are volumes. Point state.dir, deadLetter and file sinks under /var/lib/k8stream: relative
# paths resolve next to the config, which is read-only. tini is PID 1 and forwards SIGTERM,
# so k8stream flushes its open batches within `shutdown.graceMs` before it exits.

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund && npm run build

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="k8stream" \
      org.opencontainers.image.description="Stream Kubernetes events to durable storage" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# Manifests first: the dependency layer is reused while only sources change. Workspaces needed
# only at build time (transforms/kit, test/apiserver) are left out; npm ci installs without them.
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/core/package.json core/package.json
COPY --from=build /src/plugins/sink-file/package.json plugins/sink-file/package.json
COPY --from=build /src/plugins/sink-stdout/package.json plugins/sink-stdout/package.json
COPY --from=build /src/plugins/sink-http/package.json plugins/sink-http/package.json
COPY --from=build /src/plugins/sink-s3/package.json plugins/sink-s3/package.json
COPY --from=build /src/plugins/sink-gcs/package.json plugins/sink-gcs/package.json
COPY --from=build /src/plugins/sink-nats/package.json plugins/sink-nats/package.json
COPY --from=build /src/transforms/filter/package.json transforms/filter/package.json
COPY --from=build /src/transforms/redact/package.json transforms/redact/package.json
COPY --from=build /src/transforms/route-tag/package.json transforms/route-tag/package.json
COPY --from=build /src/transforms/cloudevents/package.json transforms/cloudevents/package.json
RUN npm ci --omit=dev --omit=optional --omit=peer --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# The built output: core (JavaScript + JSON schemas), the sinks, the .wasm transforms.
COPY --from=build /src/core/dist core/dist
COPY --from=build /src/core/schema core/schema
COPY --from=build /src/plugins/sink-file/dist plugins/sink-file/dist
COPY --from=build /src/plugins/sink-stdout/dist plugins/sink-stdout/dist
COPY --from=build /src/plugins/sink-http/dist plugins/sink-http/dist
COPY --from=build /src/plugins/sink-s3/dist plugins/sink-s3/dist
COPY --from=build /src/plugins/sink-gcs/dist plugins/sink-gcs/dist
COPY --from=build /src/plugins/sink-nats/dist plugins/sink-nats/dist
COPY --from=build /src/transforms/filter/dist transforms/filter/dist
COPY --from=build /src/transforms/redact/dist transforms/redact/dist
COPY --from=build /src/transforms/route-tag/dist transforms/route-tag/dist
COPY --from=build /src/transforms/cloudevents/dist transforms/cloudevents/dist

# The `node` user of the base image, by number so that runAsNonRoot can verify it.
RUN mkdir -p /var/lib/k8stream /etc/k8stream && chown 1000:1000 /var/lib/k8stream
USER 1000:1000
# The binary sizes V8 itself (core/src/util/memory-limit.ts, core/src/cli/heap-limit.ts): from the
# container's memory limit it picks the old space and a small young generation (at most 8 MB
# semi-spaces even without a limit: V8 otherwise keeps ~200 MB committed under load for no
# throughput gain), and re-executes itself once with those flags. Flags set in NODE_OPTIONS win.
# The re-exec also starts V8 without its optimizing compilers, back on at the first events (loading
# the modules made Node's loader hot: ~8 MB of compiler pages then stayed resident at idle), unless
# a tier flag such as --maglev is passed, and sets MALLOC_ARENA_MAX=2 unless set (docs/performance.md).
# The binary also loads @kubernetes/client-node without its generated API and undici, which
# k8stream never runs (core/src/util/lean-client-node.ts, installed by core/src/cli/process-setup.ts
# before anything else loads): its dist/config.js then costs 65 MB of RSS instead of 125. The bench
# child (test/bench/child.mjs) loads it the same way. To trade CPU for memory, run `node --heap-growing-percent=25`
# (docs/performance.md).
ENV NODE_ENV=production \
    HOME=/tmp
VOLUME ["/var/lib/k8stream"]
EXPOSE 9464
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/core/dist/cli/main.js"]
CMD ["run", "--config", "/etc/k8stream/.k8streamrc"]
