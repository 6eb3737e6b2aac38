package dev.gatehouse.testkit;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A pack of hostile credentials, sent to one method of a running server, each of which must be
 * refused ({@code UNAUTHENTICATED} or {@code PERMISSION_DENIED}). Run it against the server as your
 * own configuration builds it, pointed at a {@link TestIdentityProvider}:
 *
 * <pre>{@code
 * HostileCredentials.assertAllRefused(
 *     channel, TripServiceGrpc.getStartTripMethod(), request,
 *     idp.userToken("alice").roles("driver"));        // what a legitimate caller sends
 * }</pre>
 *
 * <p>First the legitimate credential is sent as a control: it must get through authentication,
 * otherwise the refusals prove nothing. Then, derived from it and each sent alone: a forged
 * signature, a token signed by a key the issuer never published (same {@code "kid"}), a token of an
 * unknown issuer, {@code alg: none}, {@code HS256} keyed with the issuer's public key, an expired
 * token, a not-yet-valid token, a wrong audience, the credential header twice, a spoofed {@code
 * x-forwarded-client-cert} element sent by the client itself, and that header twice. Unary and
 * server-streaming methods are supported; pick one the legitimate credential may call.
 */
public final class HostileCredentials<ReqT, RespT> {
  private static final Duration DEADLINE = Duration.ofSeconds(20);

  private final Channel channel;
  private final MethodDescriptor<ReqT, RespT> method;
  private final ReqT request;
  private TestToken legitimate;
  private String header = "authorization";
  private String impersonated = "spiffe://cluster.local/ns/default/sa/default";

  private HostileCredentials(Channel channel, MethodDescriptor<ReqT, RespT> method, ReqT request) {
    this.channel = requireNonNull(channel, "channel");
    this.method = requireNonNull(method, "method");
    this.request = requireNonNull(request, "request");
    if (method.getType() != MethodDescriptor.MethodType.UNARY
        && method.getType() != MethodDescriptor.MethodType.SERVER_STREAMING) {
      throw new IllegalArgumentException(
          "method " + method.getFullMethodName() + " must be unary or server-streaming");
    }
  }

  /** A pack aimed at {@code method} on {@code channel}, sending {@code request}. */
  public static <ReqT, RespT> HostileCredentials<ReqT, RespT> against(
      Channel channel, MethodDescriptor<ReqT, RespT> method, ReqT request) {
    return new HostileCredentials<>(channel, method, request);
  }

  /**
   * One call: runs the pack with {@code legitimate} as the control and template.
   *
   * @throws AssertionError naming every hostile credential that was not refused
   */
  public static <ReqT, RespT> HostileReport assertAllRefused(
      Channel channel, MethodDescriptor<ReqT, RespT> method, ReqT request, TestToken legitimate) {
    HostileReport report = against(channel, method, request).legitimate(legitimate).run();
    report.assertAllRefused();
    return report;
  }

  /** What a legitimate caller of the method sends (required); every case is derived from it. */
  public HostileCredentials<ReqT, RespT> legitimate(TestToken token) {
    this.legitimate = requireNonNull(token, "token").copy();
    return this;
  }

  /**
   * The header the credential travels in, as {@code Bearer <jwt>}; default {@code authorization}.
   */
  public HostileCredentials<ReqT, RespT> credentialHeader(String header) {
    requireNonNull(header, "header");
    if (!header.matches("[a-z0-9][a-z0-9_.-]*") || header.endsWith("-bin")) {
      throw new IllegalArgumentException("credentialHeader must be a lower-case ASCII header name");
    }
    this.header = header;
    return this;
  }

  /**
   * The identity the spoofed XFCC cases claim, ideally one your configuration trusts from the mesh;
   * default {@code spiffe://cluster.local/ns/default/sa/default}.
   */
  public HostileCredentials<ReqT, RespT> impersonating(String spiffeId) {
    this.impersonated = requireNonNull(spiffeId, "spiffeId");
    return this;
  }

  /** Sends the control and every case; does not assert (see {@link HostileReport}). */
  public HostileReport run() {
    if (legitimate == null) {
      throw new IllegalStateException("legitimate(...) is required");
    }
    HostileReport.Result control = send("legitimate control", List.of(bearer(legitimate.sign())));
    List<HostileReport.Result> results = new ArrayList<>();
    for (Case c : cases()) {
      results.add(send(c.name, c.headers));
    }
    return new HostileReport(control, results);
  }

  private record Header(String name, String value) {}

  private record Case(String name, List<Header> headers) {}

  private Header bearer(String jwt) {
    return new Header(header, "Bearer " + jwt);
  }

  private List<Case> cases() {
    TestIdentityProvider idp = legitimate.provider();
    JWK key = idp.signingKey(legitimate.algorithm());
    JWTClaimsSet claims = legitimate.claimsSet();
    Instant now = idp.clock().instant().truncatedTo(ChronoUnit.SECONDS);
    List<Case> out = new ArrayList<>();
    out.add(one("forged signature", forge(legitimate.sign())));
    out.add(
        one(
            "signed with a key the issuer never published",
            legitimate.signWith(impostor(key, key.getKeyID()), claims)));
    JWTClaimsSet otherIssuer =
        new JWTClaimsSet.Builder(claims).issuer(idp.issuer() + ".impostor.invalid").build();
    out.add(
        one(
            "token of an unknown issuer",
            legitimate.signWith(impostor(key, "impostor-kid"), otherIssuer)));
    out.add(one("alg none", unsigned(claims)));
    out.add(one("HS256 keyed with the issuer's public key", hmacWithPublicKey(claims, key)));
    out.add(
        one(
            "expired",
            legitimate
                .copy()
                .issuedAt(now.minus(Duration.ofMinutes(20)))
                .expiresAt(now.minus(Duration.ofMinutes(10)))
                .sign()));
    out.add(
        one(
            "not yet valid",
            legitimate
                .copy()
                .issuedAt(now)
                .notBefore(now.plus(Duration.ofMinutes(5)))
                .expiresAt(now.plus(Duration.ofMinutes(10)))
                .sign()));
    out.add(one("wrong audience", legitimate.copy().audience("wrong-audience.invalid").sign()));
    out.add(
        new Case(
            "credential header twice",
            List.of(bearer(legitimate.sign()), bearer(legitimate.sign()))));
    String spoofed =
        Xfcc.element()
            .by("spiffe://cluster.local/ns/default/sa/this-server")
            .uri(impersonated)
            .build();
    out.add(
        new Case(
            "spoofed XFCC element from the client", List.of(new Header(Xfcc.HEADER, spoofed))));
    out.add(
        new Case(
            "XFCC header twice",
            List.of(new Header(Xfcc.HEADER, spoofed), new Header(Xfcc.HEADER, spoofed))));
    return out;
  }

  private Case one(String name, String jwt) {
    return new Case(name, List.of(bearer(jwt)));
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The same token with one bit of its signature flipped. */
  private static String forge(String jwt) {
    int dot = jwt.lastIndexOf('.');
    byte[] signature = Base64.getUrlDecoder().decode(jwt.substring(dot + 1));
    signature[signature.length / 2] ^= 0x01;
    return jwt.substring(0, dot + 1) + b64(signature);
  }

  /** A fresh key of the same type, never published. */
  private static JWK impostor(JWK like, String kid) {
    try {
      return like instanceof ECKey
          ? new ECKeyGenerator(Curve.P_256).keyID(kid).algorithm(JWSAlgorithm.ES256).generate()
          : new RSAKeyGenerator(2048).keyID(kid).algorithm(JWSAlgorithm.RS256).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("key generation failed", e);
    }
  }

  private static String headerJson(String alg, String kid) {
    return "{\"alg\":\""
        + alg
        + "\""
        + (kid == null ? "" : ",\"kid\":\"" + kid + "\"")
        + ",\"typ\":\"JWT\"}";
  }

  private static String payload(JWTClaimsSet claims) {
    return b64(claims.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String unsigned(JWTClaimsSet claims) {
    return b64(headerJson("none", null).getBytes(StandardCharsets.UTF_8))
        + "."
        + payload(claims)
        + ".";
  }

  private static String hmacWithPublicKey(JWTClaimsSet claims, JWK key) {
    try {
      PublicKey pub = key instanceof ECKey ec ? ec.toPublicKey() : ((RSAKey) key).toPublicKey();
      String input =
          b64(headerJson("HS256", key.getKeyID()).getBytes(StandardCharsets.UTF_8))
              + "."
              + payload(claims);
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(pub.getEncoded(), "HmacSHA256"));
      return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (JOSEException | GeneralSecurityException e) {
      throw new IllegalStateException("HMAC failed", e);
    }
  }

  private HostileReport.Result send(String name, List<Header> headers) {
    Metadata md = new Metadata();
    for (Header h : headers) {
      md.put(Metadata.Key.of(h.name(), Metadata.ASCII_STRING_MARSHALLER), h.value());
    }
    Channel withHeaders =
        ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md));
    CallOptions options =
        CallOptions.DEFAULT.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    try {
      if (method.getType() == MethodDescriptor.MethodType.UNARY) {
        ClientCalls.blockingUnaryCall(withHeaders, method, options, request);
      } else {
        Iterator<RespT> it =
            ClientCalls.blockingServerStreamingCall(withHeaders, method, options, request);
        while (it.hasNext()) {
          it.next();
        }
      }
      return new HostileReport.Result(name, Status.Code.OK);
    } catch (StatusRuntimeException e) {
      return new HostileReport.Result(name, e.getStatus().getCode());
    }
  }

  @Override
  public String toString() {
    return "HostileCredentials{method=" + method.getFullMethodName() + ", header=" + header + "}";
  }
}
