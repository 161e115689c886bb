# syntax=docker/dockerfile:1
#
# Earshot images, one multi-stage build:
#   docker build --target api        -t earshot-api .
#   docker build --target worker     -t earshot-worker .
#   docker build --target worker-gpu -t earshot-worker-gpu .   (CUDA 12 + cuDNN 9, EARSHOT_PROVIDER=cuda)
# The model is not in the image: mount a directory holding model(.int8).onnx + tokens.txt at
# /models/sensevoice (`npm run model:download` fetches the sherpa-onnx SenseVoiceSmall export).

ARG NODE_IMAGE=node:20-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:12.6.3-cudnn-runtime-ubuntu22.04

# ---------- build: all dependencies, TypeScript → dist ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# onnxruntime-node's postinstall would download CUDA libraries; the CPU binaries ship in the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
COPY packages/core/package.json packages/core/
COPY packages/modelgen/package.json packages/modelgen/
COPY apps/cli/package.json apps/cli/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY packages/core packages/core
COPY apps apps
RUN npx tsc -b packages/core apps/cli apps/api apps/worker

# ---------- prod-deps: production node_modules only ----------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY --from=build /app/package.json /app/package-lock.json /app/.npmrc ./
COPY --from=build /app/packages/core/package.json packages/core/
COPY --from=build /app/packages/modelgen/package.json packages/modelgen/
COPY --from=build /app/apps/cli/package.json apps/cli/
COPY --from=build /app/apps/api/package.json apps/api/
COPY --from=build /app/apps/worker/package.json apps/worker/
RUN npm ci --omit=dev --no-audit --no-fund

# ---------- prod-deps-cuda: the same, plus onnxruntime's CUDA 12 execution provider ----------
FROM prod-deps AS prod-deps-cuda
# Downloads libonnxruntime_providers_{cuda,shared}.so next to the CPU binaries (needs network).
RUN cd node_modules/onnxruntime-node && ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install.js

# ---------- app: the built workspace without sources or dev tools ----------
FROM scratch AS app
COPY --from=build /app/package.json /app/
COPY --from=build /app/packages/core/package.json /app/packages/core/
COPY --from=build /app/packages/core/dist /app/packages/core/dist
COPY --from=build /app/packages/modelgen/package.json /app/packages/modelgen/
COPY --from=build /app/apps/cli/package.json /app/apps/cli/
COPY --from=build /app/apps/cli/dist /app/apps/cli/dist
COPY --from=build /app/apps/api/package.json /app/apps/api/
COPY --from=build /app/apps/api/dist /app/apps/api/dist
COPY --from=build /app/apps/api/console /app/apps/api/console
COPY --from=build /app/apps/worker/package.json /app/apps/worker/
COPY --from=build /app/apps/worker/dist /app/apps/worker/dist

# ---------- runtime: Debian + Node 20 + ffmpeg (MP3/OGG/FLAC/M4A decoding) ----------
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod-deps /app/node_modules node_modules
COPY --from=app /app/ ./
RUN mkdir -p /data /models && chown node:node /data
USER node
ENTRYPOINT ["tini", "--"]

FROM runtime AS api
ENV EARSHOT_DATA_DIR=/data
EXPOSE 8080
CMD ["node", "apps/api/dist/main.js"]

FROM runtime AS worker
ENV EARSHOT_MODEL_DIR=/models/sensevoice
EXPOSE 9464
# One worker per container (Kubernetes/KEDA scale the containers). On a host that should scale
# itself, run the supervisor instead: `node apps/worker/dist/supervisor.js --min 0 --max 2`
# (with EARSHOT_GPUS=0,1 on the GPU image: one process per GPU).
CMD ["node", "apps/worker/dist/main.js"]

# ---------- worker-gpu: NVIDIA CUDA 12 runtime + cuDNN 9 base with Node 20 copied in ----------
FROM ${NODE_IMAGE} AS node-binary

FROM ${CUDA_IMAGE} AS worker-gpu
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg tini ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && useradd --create-home --uid 10001 earshot
COPY --from=node-binary /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=cuda12 \
    EARSHOT_PROVIDER=cuda \
    EARSHOT_MODEL_DIR=/models/sensevoice
COPY --from=prod-deps-cuda /app/node_modules node_modules
COPY --from=app /app/ ./
RUN mkdir -p /models
USER earshot
EXPOSE 9464
ENTRYPOINT ["tini", "--"]
CMD ["node", "apps/worker/dist/main.js"]
