package example;

import com.auth0.jwk.Jwk;
import com.auth0.jwk.JwkException;
import com.auth0.jwk.JwkProvider;
import com.auth0.jwk.JwkProviderBuilder;
import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An API on Auth0's java-jwt and jwks-rsa as their READMEs show them: a JwkProvider for the
 * tenant (JwkProviderBuilder(issuer), its defaults: 5 keys cached 10 h, at most 10 fetches a
 * minute), JWT.decode for the kid, Algorithm.RSA256 with the key found, and
 * JWT.require(algorithm).withIssuer(issuer).withAudience(audience). The HTTP glue (the JDK's
 * HttpServer, Bearer parsing, RFC 6750 challenges, the scope check) is this file's, written
 * plainly, so findings about headers and challenges are about it, not about java-jwt. Bearer only.
 */
public final class Api {
    private static final Pattern BEARER = Pattern.compile("^Bearer ([A-Za-z0-9\\-._~+/]+=*)$");

    public static void main(String[] args) throws IOException {
        String issuer = "https://" + System.getenv("AUTH0_DOMAIN") + "/";
        String audience = System.getenv("AUTH0_AUDIENCE");
        JwkProvider provider = new JwkProviderBuilder(issuer).build();
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "5085"));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext("/api/", ex -> {
            try {
                handle(ex, provider, issuer, audience);
            } catch (RuntimeException e) {
                refuse(ex, 401, "invalid_token", "");
            } finally {
                ex.close();
            }
        });
        server.start();
    }

    private static void handle(HttpExchange ex, JwkProvider provider, String issuer, String audience)
            throws IOException {
        List<String> auth = ex.getRequestHeaders().get("Authorization");
        if (auth == null || auth.isEmpty()) {
            refuse(ex, 401, "", "");
            return;
        }
        Matcher m = BEARER.matcher(auth.get(0));
        if (auth.size() > 1 || !m.matches()) {
            refuse(ex, 400, "invalid_request", "");
            return;
        }
        String token = m.group(1);
        DecodedJWT jwt;
        try {
            DecodedJWT unverified = JWT.decode(token);
            Jwk jwk = provider.get(unverified.getKeyId());
            Algorithm algorithm = Algorithm.RSA256((RSAPublicKey) jwk.getPublicKey(), null);
            JWTVerifier verifier = JWT.require(algorithm).withIssuer(issuer).withAudience(audience).build();
            jwt = verifier.verify(token);
        } catch (JWTVerificationException | JwkException e) {
            System.err.println("refused: " + e);
            refuse(ex, 401, "invalid_token", "");
            return;
        }
        if (ex.getRequestURI().getPath().equals("/api/private-scoped")) {
            String scope = jwt.getClaim("scope").asString();
            if (scope == null || !Arrays.asList(scope.split(" ")).contains("read:messages")) {
                refuse(ex, 403, "insufficient_scope", "scope=\"read:messages\"");
                return;
            }
        }
        send(ex, 200, "{\"sub\":\"" + jwt.getSubject() + "\"}");
    }

    private static void refuse(HttpExchange ex, int status, String error, String extra) throws IOException {
        StringBuilder challenge = new StringBuilder("Bearer realm=\"api\"");
        if (!error.isEmpty()) {
            challenge.append(", error=\"").append(error).append('"');
        }
        if (!extra.isEmpty()) {
            challenge.append(", ").append(extra);
        }
        ex.getResponseHeaders().set("WWW-Authenticate", challenge.toString());
        send(ex, status, "{\"error\":\"" + (error.isEmpty() ? "unauthorized" : error) + "\"}");
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }
}
