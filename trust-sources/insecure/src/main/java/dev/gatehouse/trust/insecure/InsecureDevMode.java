package dev.gatehouse.trust.insecure;

/**
 * The capability that unlocks development-only trust sources such as {@link
 * InsecureSharedSecretTrustSource}. Obtaining it is a deliberate, grep-able act: search a code base
 * for {@code InsecureDevMode.acknowledge()} to find every place that turns dev mode on. The config
 * loader passes it only when the file says {@code dev_mode: true}.
 */
public final class InsecureDevMode {
  private static final InsecureDevMode INSTANCE = new InsecureDevMode();

  private InsecureDevMode() {}

  /**
   * Acknowledges that this process runs in development mode and may use insecure trust sources.
   * Never call this in production code paths.
   */
  public static InsecureDevMode acknowledge() {
    return INSTANCE;
  }

  @Override
  public String toString() {
    return "InsecureDevMode";
  }
}
