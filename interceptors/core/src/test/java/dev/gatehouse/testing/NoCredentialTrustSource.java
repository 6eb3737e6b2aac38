package dev.gatehouse.testing;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.TrustSource;
import java.util.Set;

/** A trust source that never finds a credential: lets user-JWT tests build a chain. */
public final class NoCredentialTrustSource implements TrustSource {
  @Override
  public String name() {
    return "none";
  }

  @Override
  public Set<String> credentialHeaders() {
    return Set.of("x-test-none");
  }

  @Override
  public AuthResult authenticate(IncomingCall request) {
    return AuthResult.noCredential();
  }
}
