package dev.gatehouse.trust.spiffe.tls;

import dev.gatehouse.trust.spiffe.TrustDomain;
import dev.gatehouse.trust.spiffe.tls.Pki.Issued;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Material that never changes: an SVID and one bundle. */
record FixedMaterial(X509Material current) implements X509MaterialSource {
  static FixedMaterial of(Issued svid, String trustDomain, X509Certificate... cas) {
    return new FixedMaterial(
        X509Material.of(
            svid.chain(), svid.key(), Map.of(TrustDomain.parse(trustDomain), List.of(cas))));
  }

  @Override
  public AutoCloseable subscribe(Consumer<X509Material> listener) {
    return () -> {};
  }
}
