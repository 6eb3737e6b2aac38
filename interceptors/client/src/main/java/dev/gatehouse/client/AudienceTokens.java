package dev.gatehouse.client;

import java.util.concurrent.Executor;

/** Supplies the token for each call to one audience: cached ({@link TokenSlot}) or one-time. */
interface AudienceTokens {
  /**
   * Completes {@code sink} with a token or a failure, exactly once; signing and file reads run on
   * {@code executor}, never on the calling thread.
   */
  void apply(Executor executor, TokenSlot.Sink sink);
}
