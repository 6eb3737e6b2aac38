package dev.gatehouse.trust.jwt.internal;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.util.function.Supplier;

/**
 * The current set of a live key source, filtered by the key-set rules once per set object (the
 * supplier hands back the same object until the keys change). Never fetches and never fails: an
 * absent set reads as empty.
 */
final class LiveJwkSetSource implements JWKSetSource<SecurityContext> {
  private static final JWKSet EMPTY = new JWKSet();

  private record Filtered(JWKSet raw, JWKSet usable) {}

  private final Supplier<JWKSet> live;
  private final KeyFilter filter;
  private volatile Filtered last = new Filtered(null, EMPTY);

  LiveJwkSetSource(Supplier<JWKSet> live, KeyFilter filter) {
    this.live = live;
    this.filter = filter;
  }

  @Override
  public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator eval, long now, SecurityContext ctx) {
    JWKSet raw = live.get();
    Filtered f = last;
    // Identity on purpose: the supplier returns the very same object until the keys change.
    @SuppressWarnings("ReferenceEquality")
    boolean unchanged = raw == f.raw();
    if (unchanged) {
      return f.usable();
    }
    JWKSet usable = raw == null ? EMPTY : filter.apply(raw.toPublicJWKSet());
    last = new Filtered(raw, usable);
    return usable;
  }

  @Override
  public void close() {}
}
