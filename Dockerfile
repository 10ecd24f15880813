# multus-token-rotator image: Node 24 LTS, production dependencies only, runs as the non-root `node` user (1000).
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY scripts ./scripts
USER 1000:1000
# TypeScript runs directly (Node 24 type stripping); the same script as `npm run rotate`.
ENTRYPOINT ["node", "scripts/rotate.ts"]
