# attaind and attainctl on Debian 12 (bookworm), as in the quick start.
FROM debian:bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential pkg-config meson ninja-build python3 python3-yaml cmark-gfm \
      libulfius-dev libmicrohttpd-dev libjansson-dev libjwt-dev libpq-dev libssl-dev libcmocka-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN meson setup /build -Dbuildtype=release && ninja -C /build attaind attainctl

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libulfius2.7 libmicrohttpd12 libjansson4 libjwt0 libpq5 libssl3 curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --no-create-home attain
COPY --from=build /build/attaind /build/attainctl /usr/local/bin/
USER attain
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/attaind"]
