package dev.gatehouse.trust.jwt.internal;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Test fixture: composes a {@link JwtVerifier} from its real parts with one fluent call chain, so
 * the core tests read as they did when the verifier was one class. Key selection is by issuer
 * unless {@link Builder#keysBySubjectTrustDomain} picks the SPIFFE selector.
 */
final class VerifierFixture {
  private VerifierFixture() {}

  static Builder newBuilder() {
    return new Builder();
  }

  /** The core key set of a public issuer configuration. */
  static TrustAnchor anchor(TrustedIssuer issuer) {
    return TrustAnchor.of(issuer.issuer(), issuer.keys(), issuer.algorithms(), issuer.audiences());
  }

  static final class Builder {
    private final JwtSettings.Builder settings = JwtSettings.newBuilder();
    private final HeaderPolicy.Builder headers = HeaderPolicy.newBuilder();
    private final ClaimsPolicy.Builder claims = ClaimsPolicy.newBuilder();
    private final List<TrustAnchor> anchors = new ArrayList<>();
    private Function<String, Optional<String>> trustDomainOfSubject;

    Builder addIssuer(TrustedIssuer issuer) {
      anchors.add(anchor(issuer));
      return this;
    }

    Builder keysBySubjectTrustDomain(Function<String, Optional<String>> reader) {
      this.trustDomainOfSubject = requireNonNull(reader, "reader");
      return this;
    }

    Builder clock(Clock clock) {
      settings.clock(clock);
      return this;
    }

    Builder clockSkew(Duration skew) {
      settings.clockSkew(skew);
      return this;
    }

    Builder maxTokenBytes(int max) {
      settings.maxTokenBytes(max);
      return this;
    }

    Builder fetchTimeout(Duration timeout) {
      settings.fetchTimeout(timeout);
      return this;
    }

    Builder outageTolerance(Duration tolerance) {
      settings.outageTolerance(tolerance);
      return this;
    }

    Builder signatureCacheSize(int size) {
      settings.signatureCacheSize(size);
      return this;
    }

    Builder allowHeaders(Collection<String> names) {
      headers.allowHeaders(names);
      return this;
    }

    Builder allowedTypes(Collection<String> types) {
      headers.allowedTypes(types);
      return this;
    }

    Builder requireIssuedAt(boolean require) {
      claims.requireIssuedAt(require);
      return this;
    }

    Builder maxLifetime(Duration max) {
      claims.maxLifetime(max);
      return this;
    }

    JwtVerifier build() {
      JwtSettings s = settings.build();
      HeaderPolicy h = headers.build();
      ClaimsPolicy c = claims.build();
      KeySelector keys =
          trustDomainOfSubject == null
              ? IssuerKeySelector.of(s, anchors)
              : TrustDomainKeySelector.of(s, anchors, trustDomainOfSubject);
      return JwtVerifier.newBuilder(s).headerPolicy(h).keySelector(keys).claimsPolicy(c).build();
    }
  }
}
