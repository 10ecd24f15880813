# multus-token-rotator image. Two stages:
#   build    the official Node image (npm is only here): production dependencies, exactly as locked.
#   final    distroless "cc" (glibc, libstdc++, CA certificates, /etc/passwd with nonroot 65532; no shell, no package
#            manager, no npm) + the node binary of the build stage + /app. Runs as 65532, read-only.
# Node is pinned to the version the tests run on (package.json devDependency "node": 24.21.0). Pin the two base
# images by digest in your registry mirror (docker buildx imagetools inspect <image>) before shipping.
# test/e2e/image/image-tree.test.ts rebuilds this image's /app from these steps (the COPY lines, npm ci --omit=dev,
# the USER) and runs it against a cluster: a step that breaks the image fails the suite.
FROM docker.io/library/node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY scripts ./scripts

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/node /usr/local/bin/node
COPY --from=build /app /app
WORKDIR /app
ENV NODE_ENV=production
USER 65532:65532
# TypeScript runs directly (Node 24 type stripping); the same script as `npm run rotate`.
ENTRYPOINT ["/usr/local/bin/node", "scripts/rotate.ts"]
