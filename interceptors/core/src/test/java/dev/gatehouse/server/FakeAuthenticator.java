package dev.gatehouse.server;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.TrustSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test authenticator reading {@code header}: value {@code ok:SUBJECT[:role,role][:scope,scope]}
 * authenticates, {@code bad} is rejected, {@code down} is unavailable, {@code boom} throws.
 */
public class FakeAuthenticator implements Authenticator {
  final String name;
  final String header;
  final AtomicInteger calls = new AtomicInteger();

  FakeAuthenticator(String name, String header) {
    this.name = name;
    this.header = header;
  }

  static FakeAuthenticator user(String header) {
    return new FakeAuthenticator("fake_user", header);
  }

  static Source source(String name, String header) {
    return new Source(name, header);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Set<String> credentialHeaders() {
    return Set.of(header);
  }

  @Override
  public AuthResult authenticate(IncomingCall request) {
    calls.incrementAndGet();
    String v = request.header(header).orElse(null);
    if (v == null) {
      return AuthResult.noCredential();
    }
    switch (v) {
      case "bad" -> {
        return AuthResult.rejected(Reason.BAD_SIGNATURE, "fake rejection");
      }
      case "down" -> {
        return AuthResult.unavailable("fake outage");
      }
      case "boom" -> throw new IllegalStateException("secret-token-material");
      default -> {}
    }
    // At most 4 parts, so scopes may contain colons (ok:alice:driver:trips:write).
    String[] parts = v.split(":", 4);
    if (!parts[0].equals("ok") || parts.length < 2) {
      return AuthResult.rejected(Reason.MALFORMED_CREDENTIALS, "fake malformed");
    }
    Principal.Builder b = Principal.newBuilder().subject(parts[1]);
    if (parts.length > 2 && !parts[2].isEmpty()) {
      b.roles(List.of(parts[2].split(",")));
    }
    if (parts.length > 3 && !parts[3].isEmpty()) {
      b.scopes(List.of(parts[3].split(",")));
    }
    return AuthResult.authenticated(b.build());
  }

  /** A trust-source flavour. */
  static final class Source extends FakeAuthenticator implements TrustSource {
    Source(String name, String header) {
      super(name, header);
    }
  }
}
