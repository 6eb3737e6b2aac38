package dev.gatehouse.trust.insecure;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfigClaim;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import dev.gatehouse.config.ConfigSection;
import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.Authenticator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The {@code internal.shared_secret} section of the configuration file: development only, refused
 * unless the file says {@code dev_mode: true}, built into an {@link
 * InsecureSharedSecretTrustSource}. Register {@link #provider()} to read it. Restart-only: a reload
 * that changes it is refused, and the secret read at startup stays live until restart.
 *
 * @param header the header (default {@code x-internal-secret})
 * @param secretFile the file holding the secret (at least 32 bytes)
 * @param roles roles granted to a caller presenting it
 */
public record InsecureSharedSecretSection(String header, Path secretFile, List<String> roles)
    implements ConfigSection {
  /** The section's path in the file. */
  public static final String PATH = "internal.shared_secret";

  private static final Provider PROVIDER = new Provider();

  /** Validates and copies. */
  public InsecureSharedSecretSection {
    requireNonNull(header, "header");
    requireNonNull(secretFile, "secretFile");
    roles = List.copyOf(roles);
  }

  /** The provider of {@code internal.shared_secret}; restart-only on reload. */
  public static ConfigSectionProvider<InsecureSharedSecretSection> provider() {
    return PROVIDER;
  }

  @Override
  public List<ConfigClaim> claims() {
    return List.of(ConfigClaim.header(header, PATH + ".header"));
  }

  private static final class Provider
      implements ConfigSectionProvider<InsecureSharedSecretSection> {
    @Override
    public String path() {
      return PATH;
    }

    @Override
    public Class<InsecureSharedSecretSection> sectionType() {
      return InsecureSharedSecretSection.class;
    }

    @Override
    public InsecureSharedSecretSection parse(ConfigNode o, GatehouseConfig topLevel) {
      if (!topLevel.devMode()) {
        throw new ConfigException(
            o.path(""), "the shared secret is for development only and needs dev_mode: true");
      }
      String header = o.header("header", InsecureSharedSecretTrustSource.DEFAULT_HEADER);
      Path path = o.file("secret_file");
      byte[] bytes;
      try {
        bytes = SecretFile.read(path);
      } catch (SecretFile.TooLargeException e) {
        throw new ConfigException(o.path("secret_file"), path + " is " + e.getMessage());
      } catch (IOException e) {
        throw new ConfigException(o.path("secret_file"), "cannot read " + path);
      }
      int len = bytes.length;
      while (len > 0 && (bytes[len - 1] == '\n' || bytes[len - 1] == '\r')) {
        len--;
      }
      Arrays.fill(bytes, (byte) 0);
      if (len < InsecureSharedSecretTrustSource.MIN_SECRET_BYTES) {
        throw new ConfigException(
            o.path("secret_file"),
            "the secret must be at least "
                + InsecureSharedSecretTrustSource.MIN_SECRET_BYTES
                + " bytes");
      }
      List<String> roles = o.stringList("roles");
      o.finish();
      return new InsecureSharedSecretSection(header, path, roles);
    }

    @Override
    public Authenticator create(
        InsecureSharedSecretSection c,
        GatehouseConfig config,
        Optional<Previous<InsecureSharedSecretSection>> previous) {
      if (!config.devMode()) {
        throw new IllegalStateException("the shared secret needs dev_mode: true");
      }
      return InsecureSharedSecretTrustSource.newBuilder()
          // dev_mode: true in the file is the operator's explicit acknowledgement.
          .devMode(InsecureDevMode.acknowledge())
          .header(c.header())
          .secretFile(c.secretFile())
          .roles(c.roles())
          .build();
    }

    @Override
    public ReloadPolicy reloadPolicy() {
      return ReloadPolicy.RESTART_ONLY;
    }

    @Override
    public String toString() {
      return "InsecureSharedSecretSection.provider()";
    }
  }
}
