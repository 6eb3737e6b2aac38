package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import io.grpc.Attributes;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SpiffeJwtTrustSource.Builder#reuseKeysOf}: a rebuilt source (a configuration reload) keeps
 * the cached bundle of a trust domain whose bundle location and algorithms are unchanged, even
 * after the replaced source is closed and while the bundle endpoint is down; a changed bundle
 * location is fetched anew.
 */
class SpiffeJwtReuseKeysTest {
  private static final Instant NOW = Instant.parse("2026-06-01T08:00:00Z");
  private static final String TD = "example.org";
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final String BILLING = "spiffe://example.org/ns/billing/sa/payer";

  private ECKey key;
  private JwksServer bundle;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    key = new ECKeyGenerator(Curve.P_256).keyID("td-1").generate();
    bundle = JwksServer.start(new JWKSet(key));
    open.add(bundle);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private SpiffeJwtTrustSource.Builder source(String bundleUrl, String audience) {
    return SpiffeJwtTrustSource.newBuilder()
        .serviceAudience(audience)
        .clock(Clock.fixed(NOW, ZoneOffset.UTC))
        .addBundle(TD, JwksSource.uri(bundleUrl));
  }

  private SpiffeJwtTrustSource opened(SpiffeJwtTrustSource.Builder b) {
    SpiffeJwtTrustSource s = b.build();
    open.add(s);
    return s;
  }

  private AuthResult call(SpiffeJwtTrustSource s, String id, String audience) {
    String token =
        TestTokens.sign(
            key, TestTokens.header("ES256", "td-1"), TestTokens.claims(TD, id, audience, NOW, 300));
    return s.authenticate(
        IncomingCall.of(
            "gatehouse.test.v1.Probe/Worker",
            ProbeHarness.headers("authorization", "Bearer " + token),
            Attributes.EMPTY));
  }

  @Test
  void reuseKeysOf_sameBundleLocationWhileEndpointDown_cachedBundleServes() {
    SpiffeJwtTrustSource before =
        opened(source(bundle.url(), "trips").allow(WORKER, Set.of("finisher"), Set.of()));
    AuthResult first = call(before, WORKER, "trips");
    assertEquals(AuthResult.Outcome.AUTHENTICATED, first.outcome(), first::toString);

    bundle.down(true); // the bundle endpoint goes down, then the allow-list and audience change
    SpiffeJwtTrustSource after =
        opened(
            source(bundle.url(), "trips-v2")
                .allow(BILLING, Set.of("payer"), Set.of())
                .reuseKeysOf(before));
    before.close(); // the replaced source is closed once its grace period ends
    int requests = bundle.requests();

    AuthResult added = call(after, BILLING, "trips-v2");
    assertEquals(AuthResult.Outcome.AUTHENTICATED, added.outcome(), added::toString);
    assertEquals(Set.of("payer"), added.principal().orElseThrow().roles());
    AuthResult removed = call(after, WORKER, "trips-v2");
    assertEquals(Reason.IDENTITY_NOT_ALLOWED, removed.reason(), removed::toString);
    AuthResult oldAudience = call(after, BILLING, "trips");
    assertEquals(AuthResult.Outcome.REJECTED, oldAudience.outcome(), oldAudience::toString);
    assertEquals(requests, bundle.requests(), "an unchanged bundle location is not fetched again");
  }

  @Test
  void reuseKeysOf_bundleLocationChanged_newLocationFetchedNotOldCache() throws Exception {
    SpiffeJwtTrustSource before =
        opened(source(bundle.url(), "trips").allow(WORKER, Set.of(), Set.of()));
    AuthResult first = call(before, WORKER, "trips");
    assertEquals(AuthResult.Outcome.AUTHENTICATED, first.outcome(), first::toString);

    JwksServer moved = JwksServer.start(new JWKSet(key));
    open.add(moved);
    moved.down(true); // the new location is down: only the old location's cache could serve
    SpiffeJwtTrustSource after =
        opened(source(moved.url(), "trips").allow(WORKER, Set.of(), Set.of()).reuseKeysOf(before));
    before.close();

    AuthResult r = call(after, WORKER, "trips");
    assertEquals(AuthResult.Outcome.UNAVAILABLE, r.outcome(), r::toString);
    assertEquals(Reason.KEYS_UNAVAILABLE, r.reason(), r::toString);
    assertTrue(moved.requests() >= 1, "the new bundle location is fetched");

    moved.down(false);
    SpiffeJwtTrustSource recovered =
        opened(source(moved.url(), "trips").allow(WORKER, Set.of(), Set.of()));
    AuthResult ok = call(recovered, WORKER, "trips");
    assertEquals(AuthResult.Outcome.AUTHENTICATED, ok.outcome(), ok::toString);
  }
}
