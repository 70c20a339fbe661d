# The gateway image used by docker-compose.yml.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY resolvers ./resolvers
COPY console ./console
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# A 64 MB young generation for the gateway (README, Operations: Memory).
ENV NODE_OPTIONS=--max-semi-space-size=64
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/console/dist ./console/dist
COPY package.json datagate.yaml ./
COPY bin ./bin
COPY schema ./schema
EXPOSE 4000
USER node
# --no-allocation-site-pretenuring is not accepted in NODE_OPTIONS: given to the server itself (README, Operations, Memory).
CMD ["sh", "-c", "node bin/datagate.js seed --if-empty && node --no-allocation-site-pretenuring bin/datagate.js serve"]
