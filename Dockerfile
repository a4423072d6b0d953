# syntax=docker/dockerfile:1
# Two images from one build: the tenant (`--target mock-idp`) and the API (`--target protected-api`).
#
#   docker build --target mock-idp -t mock-idp .
#   docker run --rm -p 8443:8443 mock-idp            # issuer https://localhost:8443/
#   docker compose -f examples/compose/compose.yaml up
#
# Both run as a non-root user on distroless (glibc, CA certificates, nothing else).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p mock-idp-cli --bin mock-idp \
 && cargo build --release --locked -p protected-api --no-default-features --bin protected-api \
 && mkdir -p /out /state /ca \
 && cp target/release/mock-idp target/release/protected-api /out/

FROM gcr.io/distroless/cc-debian12:nonroot AS mock-idp
COPY --from=build /out/mock-idp /usr/local/bin/mock-idp
# The state directory (keys, CA) is a volume so the API container can read the CA.
COPY --from=build --chown=nonroot:nonroot /state /var/lib/mock-idp
# `serve --ca-out /var/lib/mock-idp-ca/ca.pem` puts the CA certificate alone here, for other
# containers to mount (the state directory holds the signing and CA private keys).
COPY --from=build --chown=nonroot:nonroot /ca /var/lib/mock-idp-ca
ENV MOCK_IDP_STATE_DIR=/var/lib/mock-idp
VOLUME ["/var/lib/mock-idp"]
EXPOSE 8443
HEALTHCHECK --interval=5s --timeout=3s --retries=10 CMD ["/usr/local/bin/mock-idp", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/mock-idp"]
# Listen on every interface of the container; the issuer stays https://localhost:8443/.
CMD ["serve", "--bind", "0.0.0.0:8443", "--port", "8443"]

FROM gcr.io/distroless/cc-debian12:nonroot AS protected-api
COPY --from=build /out/protected-api /usr/local/bin/protected-api
ENV BIND_ADDRESS=0.0.0.0 PORT=5000
EXPOSE 5000
ENTRYPOINT ["/usr/local/bin/protected-api"]
