package dev.gatehouse.trust.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.gatehouse.spi.KeySetReachability.KeySetState;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where a key set comes from, as health checks and descriptions show it: the JWKS URL without its
 * query, which may carry an access token the operator put there.
 */
class KeySetLocationTest {
  private static final String URL_WITH_QUERY =
      "https://127.0.0.1:1/jwks.json?access_token=query-secret-value";

  @Test
  void keySetLocation_omitsTheUrlQuery() {
    try (UserJwtAuthenticator users =
        UserJwtAuthenticator.newBuilder()
            .addIssuer("https://idp.example", URL_WITH_QUERY, List.of("trips"))
            .build()) {
      List<KeySetState> states = users.keySets();
      assertEquals(1, states.size());
      assertEquals("jwks_uri https://127.0.0.1:1/jwks.json", states.get(0).location());
      assertFalse(users.toString().contains("query-secret-value"), users.toString());
    }
  }

  @Test
  void jwksSourceDescription_omitsTheUrlQuery() {
    assertEquals(
        "jwks_uri https://127.0.0.1:1/jwks.json", JwksSource.uri(URL_WITH_QUERY).toString());
  }
}
