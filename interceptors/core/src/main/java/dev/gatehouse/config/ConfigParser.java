package dev.gatehouse.config;

import com.google.common.net.InetAddresses;
import dev.gatehouse.config.GatehouseConfig.AllowEntry;
import dev.gatehouse.config.GatehouseConfig.KeySource;
import dev.gatehouse.config.GatehouseConfig.MeshFormat;
import dev.gatehouse.config.GatehouseConfig.MeshIdentityConfig;
import dev.gatehouse.config.GatehouseConfig.OverrideConfig;
import dev.gatehouse.config.GatehouseConfig.OverrideMode;
import dev.gatehouse.config.GatehouseConfig.ServiceIssuer;
import dev.gatehouse.config.GatehouseConfig.SharedSecretConfig;
import dev.gatehouse.config.GatehouseConfig.SignedTokenConfig;
import dev.gatehouse.config.GatehouseConfig.UserIssuer;
import dev.gatehouse.config.GatehouseConfig.UserJwtConfig;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.DuplicateKeyException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.JsonSchema;

/** Strict reader of the configuration document into {@link GatehouseConfig}. */
final class ConfigParser {
  static final Set<String> ALGORITHMS =
      Set.of("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512");
  static final List<String> DEFAULT_ALGORITHMS = List.of("ES256", "RS256", "PS256");
  private static final int MIN_SECRET_BYTES = 32;

  private final Path baseDir;

  private ConfigParser(Path baseDir) {
    this.baseDir = baseDir;
  }

  static GatehouseConfig parse(String text, Path baseDir) {
    if (text.length() > GatehouseConfig.MAX_FILE_BYTES) {
      throw new ConfigException("", "config is larger than " + GatehouseConfig.MAX_FILE_BYTES);
    }
    LoadSettings settings =
        LoadSettings.builder()
            .setLabel("gatehouse config")
            // YAML 1.2 JSON schema: `on`, `no`, `yes` stay strings and then fail the type check
            // of a boolean field instead of silently becoming booleans.
            .setSchema(new JsonSchema())
            .setAllowDuplicateKeys(false)
            .setAllowRecursiveKeys(false)
            .setMaxAliasesForCollections(10)
            .setCodePointLimit(GatehouseConfig.MAX_FILE_BYTES)
            .setDefaultMap(LinkedHashMap::new)
            .build();
    Object root;
    try {
      Iterable<Object> docs = new Load(settings).loadAllFromString(text);
      List<Object> all = new ArrayList<>();
      docs.forEach(all::add);
      if (all.size() != 1) {
        throw new ConfigException("", "expected exactly one YAML document, found " + all.size());
      }
      root = all.get(0);
    } catch (DuplicateKeyException e) {
      throw new ConfigException("", "duplicate key " + duplicateKeyName(e));
    } catch (YamlEngineException e) {
      throw new ConfigException("", "not valid YAML: " + firstLine(e.getMessage()));
    }
    if (root == null) {
      throw new ConfigException("", "config is empty");
    }
    return new ConfigParser(baseDir).config(Obj.of("", root));
  }

  private static String duplicateKeyName(DuplicateKeyException e) {
    String m = firstLine(e.getMessage());
    return m;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    String line = message.strip();
    int nl = line.indexOf('\n');
    line = nl < 0 ? line : line.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }

  private GatehouseConfig config(Obj root) {
    String serviceName = root.requiredString("service_name");
    boolean devMode = root.bool("dev_mode", false);
    boolean dryRun = root.bool("dry_run", false);
    long skew = root.integer("clock_skew_seconds", 30, 0, 120);
    List<OverrideConfig> overrides = root.list("overrides", this::override);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < overrides.size(); i++) {
      if (!seen.add(overrides.get(i).method())) {
        throw new ConfigException(
            root.path("overrides[" + i + "].method"),
            "declared twice: " + overrides.get(i).method());
      }
    }
    Optional<UserJwtConfig> userJwt = root.optionalObj("user_jwt").map(this::userJwt);
    Optional<SignedTokenConfig> signedToken = Optional.empty();
    Optional<MeshIdentityConfig> mesh = Optional.empty();
    Optional<SharedSecretConfig> secret = Optional.empty();
    Optional<GatehouseConfig.PeerCertificateConfig> peer = Optional.empty();
    Optional<GatehouseConfig.SpiffeJwtConfig> spiffeJwt = Optional.empty();
    Optional<Obj> internal = root.optionalObj("internal");
    if (internal.isPresent()) {
      Obj in = internal.get();
      signedToken = in.optionalObj("signed_token").map(this::signedToken);
      mesh = in.optionalObj("mesh_identity").map(this::mesh);
      secret = in.optionalObj("shared_secret").map(o -> sharedSecret(o, devMode));
      peer = in.optionalObj("peer_certificate").map(this::peerCertificate);
      spiffeJwt = in.optionalObj("spiffe_jwt").map(this::spiffeJwt);
      if (spiffeJwt.isPresent()
          && signedToken.isPresent()
          && spiffeJwt.get().header().equals(signedToken.get().header())) {
        throw new ConfigException(
            "internal.spiffe_jwt.header",
            "spiffe_jwt and signed_token both read "
                + spiffeJwt.get().header()
                + "; give one of them its own header (a credential one source refuses would"
                + " never reach the other)");
      }
      in.finish();
    }
    root.finish();
    if (userJwt.isPresent() && signedToken.isPresent()) {
      Set<String> users = new HashSet<>();
      userJwt.get().issuers().forEach(i -> users.add(i.issuer()));
      for (int i = 0; i < signedToken.get().issuers().size(); i++) {
        String iss = signedToken.get().issuers().get(i).issuer();
        if (users.contains(iss)) {
          throw new ConfigException(
              "internal.signed_token.issuers[" + i + "].issuer",
              "issuer " + iss + " is also a user_jwt issuer; one issuer cannot be both");
        }
      }
    }
    return new GatehouseConfig(
        serviceName,
        devMode,
        dryRun,
        Duration.ofSeconds(skew),
        overrides,
        userJwt,
        signedToken,
        mesh,
        secret,
        peer,
        spiffeJwt);
  }

  private GatehouseConfig.PeerCertificateConfig peerCertificate(Obj o) {
    List<GatehouseConfig.TrustBundle> bundles = o.list("trust_bundles", this::trustBundle);
    if (bundles.isEmpty()) {
      throw new ConfigException(o.path("trust_bundles"), "at least one trust bundle is required");
    }
    uniqueTrustDomains(o, "trust_bundles", bundles.stream().map(b -> b.trustDomain()).toList());
    List<GatehouseConfig.SpiffeAllowEntry> allow = spiffeAllow(o);
    o.finish();
    return new GatehouseConfig.PeerCertificateConfig(bundles, allow);
  }

  private GatehouseConfig.TrustBundle trustBundle(Obj o) {
    String td = trustDomain(o, "trust_domain");
    Path ca = baseDir.resolve(o.requiredString("ca_file")).normalize();
    if (!Files.isReadable(ca)) {
      throw new ConfigException(o.path("ca_file"), "cannot read " + ca);
    }
    o.finish();
    return new GatehouseConfig.TrustBundle(td, ca);
  }

  private GatehouseConfig.SpiffeJwtConfig spiffeJwt(Obj o) {
    String header = header(o, "authorization");
    List<GatehouseConfig.JwtBundle> bundles = o.list("bundles", this::jwtBundle);
    if (bundles.isEmpty()) {
      throw new ConfigException(o.path("bundles"), "at least one bundle is required");
    }
    uniqueTrustDomains(o, "bundles", bundles.stream().map(b -> b.trustDomain()).toList());
    List<String> algorithms = algorithms(o);
    List<GatehouseConfig.SpiffeAllowEntry> allow = spiffeAllow(o);
    o.finish();
    return new GatehouseConfig.SpiffeJwtConfig(header, bundles, allow, algorithms);
  }

  private GatehouseConfig.JwtBundle jwtBundle(Obj o) {
    String td = trustDomain(o, "trust_domain");
    KeySource keys = keys(o);
    o.finish();
    return new GatehouseConfig.JwtBundle(td, keys);
  }

  private List<GatehouseConfig.SpiffeAllowEntry> spiffeAllow(Obj o) {
    List<GatehouseConfig.SpiffeAllowEntry> allow = o.list("allow", this::spiffeAllowEntry);
    if (allow.isEmpty()) {
      throw new ConfigException(o.path("allow"), "at least one allow entry is required");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < allow.size(); i++) {
      GatehouseConfig.SpiffeAllowEntry e = allow.get(i);
      String k = e.identity().map(x -> "id:" + x).orElse("td:" + e.trustDomain().orElse(""));
      if (!seen.add(k)) {
        throw new ConfigException(o.path("allow[" + i + "]"), "listed twice");
      }
    }
    return allow;
  }

  private GatehouseConfig.SpiffeAllowEntry spiffeAllowEntry(Obj o) {
    boolean id = o.has("identity");
    boolean td = o.has("trust_domain");
    if (id == td) {
      throw new ConfigException(o.path("identity"), "exactly one of identity and trust_domain");
    }
    Optional<String> identity = id ? Optional.of(o.requiredString("identity")) : Optional.empty();
    Optional<String> domain = td ? Optional.of(trustDomain(o, "trust_domain")) : Optional.empty();
    List<String> roles = o.stringList("roles");
    List<String> scopes = o.stringList("scopes");
    o.finish();
    return new GatehouseConfig.SpiffeAllowEntry(identity, domain, roles, scopes);
  }

  /** A trust domain name as SPIFFE spells it: lower case, at most 255 bytes, never normalised. */
  private static String trustDomain(Obj o, String key) {
    String td = o.requiredString(key);
    if (td.length() > 255 || !td.matches("[a-z0-9._-]+")) {
      throw new ConfigException(
          o.path(key), "must be a trust domain name: lower-case letters, digits, '.', '-', '_'");
    }
    return td;
  }

  private static void uniqueTrustDomains(Obj o, String key, List<String> names) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < names.size(); i++) {
      if (!seen.add(names.get(i))) {
        throw new ConfigException(
            o.path(key + "[" + i + "].trust_domain"), "trust domain listed twice: " + names.get(i));
      }
    }
  }

  private OverrideConfig override(Obj o) {
    String method = o.requiredString("method");
    String mode = o.requiredString("mode");
    OverrideMode m =
        switch (mode) {
          case "public" -> OverrideMode.PUBLIC;
          case "internal" -> OverrideMode.INTERNAL;
          default -> throw new ConfigException(o.path("mode"), "must be public or internal");
        };
    if (!method.matches("[A-Za-z_][A-Za-z0-9_.]*/(\\*|[A-Za-z_][A-Za-z0-9_]*)")) {
      throw new ConfigException(
          o.path("method"), "must be package.Service/Method or package.Service/*");
    }
    o.finish();
    return new OverrideConfig(method, m);
  }

  private UserJwtConfig userJwt(Obj o) {
    List<UserIssuer> issuers = o.list("issuers", this::userIssuer);
    if (issuers.isEmpty()) {
      throw new ConfigException(o.path("issuers"), "at least one issuer is required");
    }
    uniqueIssuers(o, issuers.stream().map(UserIssuer::issuer).toList());
    String roles = o.string("roles_claim", "roles");
    String scopes = o.string("scopes_claim", "scope");
    for (String f : List.of("roles_claim", "scopes_claim")) {
      String v = f.equals("roles_claim") ? roles : scopes;
      if (!v.matches("[A-Za-z0-9_:-]+(\\.[A-Za-z0-9_:-]+)*")) {
        throw new ConfigException(o.path(f), "must be a dot path of claim names");
      }
    }
    o.finish();
    return new UserJwtConfig(issuers, roles, scopes);
  }

  private static void uniqueIssuers(Obj o, List<String> names) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < names.size(); i++) {
      if (!seen.add(names.get(i))) {
        throw new ConfigException(
            o.path("issuers[" + i + "].issuer"), "issuer listed twice: " + names.get(i));
      }
    }
  }

  private UserIssuer userIssuer(Obj o) {
    String issuer = o.requiredString("issuer");
    KeySource keys = keys(o);
    List<String> audiences = o.stringList("audiences");
    if (audiences.isEmpty()) {
      throw new ConfigException(o.path("audiences"), "at least one audience is required");
    }
    List<String> algorithms = algorithms(o);
    o.finish();
    return new UserIssuer(issuer, keys, audiences, algorithms);
  }

  private SignedTokenConfig signedToken(Obj o) {
    String header = header(o, "authorization");
    long ttl = o.integer("max_ttl_seconds", 900, 1, 3600);
    boolean replay = o.bool("replay_protection", false);
    List<ServiceIssuer> issuers = o.list("issuers", this::serviceIssuer);
    if (issuers.isEmpty()) {
      throw new ConfigException(o.path("issuers"), "at least one issuer is required");
    }
    uniqueIssuers(o, issuers.stream().map(ServiceIssuer::issuer).toList());
    o.finish();
    return new SignedTokenConfig(header, Duration.ofSeconds(ttl), replay, issuers);
  }

  private ServiceIssuer serviceIssuer(Obj o) {
    String issuer = o.requiredString("issuer");
    KeySource keys = keys(o);
    List<String> roles = o.stringList("roles");
    List<String> scopes = o.stringList("scopes");
    List<String> clusterIds = o.stringList("cluster_ids");
    List<String> algorithms = algorithms(o);
    Optional<Boolean> replay =
        o.has("replay_protection")
            ? Optional.of(o.bool("replay_protection", false))
            : Optional.empty();
    o.finish();
    return new ServiceIssuer(issuer, keys, roles, scopes, clusterIds, algorithms, replay);
  }

  private MeshIdentityConfig mesh(Obj o) {
    String header = header(o, "x-forwarded-client-cert");
    String format = o.string("format", "XFCC");
    MeshFormat f =
        switch (format) {
          case "XFCC" -> MeshFormat.XFCC;
          case "PRINCIPAL" -> MeshFormat.PRINCIPAL;
          default -> throw new ConfigException(o.path("format"), "must be XFCC or PRINCIPAL");
        };
    if (!o.has("trusted_proxies")) {
      throw new ConfigException(o.path("trusted_proxies"), "is required");
    }
    List<String> proxies = o.stringList("trusted_proxies");
    if (proxies.isEmpty()) {
      throw new ConfigException(o.path("trusted_proxies"), "at least one CIDR is required");
    }
    for (int i = 0; i < proxies.size(); i++) {
      checkCidr(o.path("trusted_proxies[" + i + "]"), proxies.get(i));
    }
    Optional<String> expectedBy =
        o.has("expected_by") ? Optional.of(o.requiredString("expected_by")) : Optional.empty();
    boolean single = o.bool("require_single_element", false);
    List<AllowEntry> allow = o.list("allow", this::allowEntry);
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < allow.size(); i++) {
      if (!ids.add(allow.get(i).identity())) {
        throw new ConfigException(
            o.path("allow[" + i + "].identity"),
            "identity listed twice: " + allow.get(i).identity());
      }
    }
    o.finish();
    return new MeshIdentityConfig(header, f, proxies, expectedBy, single, allow);
  }

  private AllowEntry allowEntry(Obj o) {
    String identity = o.requiredString("identity");
    List<String> roles = o.stringList("roles");
    List<String> scopes = o.stringList("scopes");
    o.finish();
    return new AllowEntry(identity, roles, scopes);
  }

  private SharedSecretConfig sharedSecret(Obj o, boolean devMode) {
    if (!devMode) {
      throw new ConfigException(
          o.path(""), "the shared secret is for development only and needs dev_mode: true");
    }
    String header = header(o, "x-internal-secret");
    String file = o.requiredString("secret_file");
    Path path = baseDir.resolve(file).normalize();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (IOException e) {
      throw new ConfigException(o.path("secret_file"), "cannot read " + path);
    }
    int len = bytes.length;
    while (len > 0 && (bytes[len - 1] == '\n' || bytes[len - 1] == '\r')) {
      len--;
    }
    java.util.Arrays.fill(bytes, (byte) 0);
    if (len < MIN_SECRET_BYTES) {
      throw new ConfigException(
          o.path("secret_file"), "the secret must be at least " + MIN_SECRET_BYTES + " bytes");
    }
    List<String> roles = o.stringList("roles");
    o.finish();
    return new SharedSecretConfig(header, path, roles);
  }

  private static String header(Obj o, String def) {
    String h = o.string("header", def);
    if (!h.matches("[a-z0-9][a-z0-9_.-]*") || h.endsWith("-bin") || h.startsWith("grpc-")) {
      throw new ConfigException(
          o.path("header"), "must be a lower-case ASCII header name (not -bin, not grpc-)");
    }
    return h;
  }

  private KeySource keys(Obj o) {
    boolean hasUri = o.has("jwks_uri");
    boolean hasFile = o.has("jwks_file");
    if (hasUri == hasFile) {
      throw new ConfigException(o.path("jwks_uri"), "exactly one of jwks_uri and jwks_file");
    }
    if (hasFile) {
      Path p = baseDir.resolve(o.requiredString("jwks_file")).normalize();
      if (!Files.isReadable(p)) {
        throw new ConfigException(o.path("jwks_file"), "cannot read " + p);
      }
      return new KeySource(Optional.empty(), Optional.of(p));
    }
    String raw = o.requiredString("jwks_uri");
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      throw new ConfigException(o.path("jwks_uri"), "not a URI");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    if (uri.getHost() == null || uri.getUserInfo() != null || uri.getFragment() != null) {
      throw new ConfigException(o.path("jwks_uri"), "must be an absolute http(s) URL with a host");
    }
    if (scheme.equals("http")) {
      if (!isLoopback(uri.getHost())) {
        throw new ConfigException(
            o.path("jwks_uri"), "plain http is accepted for loopback addresses only");
      }
    } else if (!scheme.equals("https")) {
      throw new ConfigException(o.path("jwks_uri"), "must be https (or http on loopback)");
    }
    return new KeySource(Optional.of(uri), Optional.empty());
  }

  /**
   * True for literal loopback addresses only (127.0.0.0/8, ::1), never a name: {@code localhost} is
   * a name whose resolution the operator does not control. Never does a DNS lookup.
   */
  static boolean isLoopback(String host) {
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return InetAddresses.isInetAddress(h) && InetAddresses.forString(h).isLoopbackAddress();
  }

  private static List<String> algorithms(Obj o) {
    if (!o.has("algorithms")) {
      return DEFAULT_ALGORITHMS;
    }
    List<String> algs = o.stringList("algorithms");
    if (algs.isEmpty()) {
      throw new ConfigException(o.path("algorithms"), "at least one algorithm is required");
    }
    for (int i = 0; i < algs.size(); i++) {
      if (!ALGORITHMS.contains(algs.get(i))) {
        throw new ConfigException(
            o.path("algorithms[" + i + "]"),
            "unsupported algorithm "
                + algs.get(i)
                + "; allowed: ES256/384/512, RS256/384/512, PS256/384/512");
      }
    }
    return algs;
  }

  private static void checkCidr(String path, String cidr) {
    int slash = cidr.indexOf('/');
    if (slash <= 0) {
      throw new ConfigException(path, "must be a CIDR such as 127.0.0.1/32 or ::1/128");
    }
    String addr = cidr.substring(0, slash);
    // Literal addresses only, parsed without any DNS lookup.
    if (!InetAddresses.isInetAddress(addr)) {
      throw new ConfigException(path, "must be a literal IP address prefix");
    }
    // IPv4-mapped IPv6 prefixes (::ffff:10.0.0.0/104) are IPv6 prefixes.
    int max = addr.contains(":") ? 128 : 32;
    try {
      int bits = Integer.parseInt(cidr.substring(slash + 1));
      if (bits < 0 || bits > max) {
        throw new ConfigException(path, "prefix length must be 0.." + max);
      }
    } catch (NumberFormatException e) {
      throw new ConfigException(path, "prefix length must be a number");
    }
  }

  /** A YAML mapping being read; tracks which keys were consumed so leftovers are errors. */
  private static final class Obj {
    private final String path;
    private final Map<String, Object> map;
    private final Set<String> consumed = new LinkedHashSet<>();

    private Obj(String path, Map<String, Object> map) {
      this.path = path;
      this.map = map;
    }

    static Obj of(String path, Object value) {
      if (!(value instanceof Map<?, ?> m)) {
        throw new ConfigException(path, "expected a mapping, got " + typeName(value));
      }
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String k)) {
          throw new ConfigException(path, "keys must be strings");
        }
        out.put(k, e.getValue());
      }
      return new Obj(path, out);
    }

    String path(String key) {
      if (key.isEmpty()) {
        return path;
      }
      return path.isEmpty() ? key : path + "." + key;
    }

    boolean has(String key) {
      return map.containsKey(key);
    }

    private Object take(String key) {
      consumed.add(key);
      return map.get(key);
    }

    String requiredString(String key) {
      if (!map.containsKey(key)) {
        throw new ConfigException(path(key), "is required");
      }
      String s = string(key, null);
      if (s.isBlank()) {
        throw new ConfigException(path(key), "must not be empty");
      }
      return s;
    }

    String string(String key, String def) {
      Object v = take(key);
      if (v == null && !map.containsKey(key)) {
        return def;
      }
      if (!(v instanceof String s)) {
        throw new ConfigException(path(key), "expected a string, got " + typeName(v));
      }
      if (!s.strip().equals(s) || s.isEmpty()) {
        throw new ConfigException(path(key), "must not be empty or padded with whitespace");
      }
      return s;
    }

    boolean bool(String key, boolean def) {
      if (!map.containsKey(key)) {
        consumed.add(key);
        return def;
      }
      Object v = take(key);
      if (!(v instanceof Boolean b)) {
        throw new ConfigException(path(key), "expected true or false, got " + typeName(v));
      }
      return b;
    }

    long integer(String key, long def, long min, long max) {
      if (!map.containsKey(key)) {
        consumed.add(key);
        return def;
      }
      Object v = take(key);
      long n;
      if (v instanceof Integer i) {
        n = i;
      } else if (v instanceof Long l) {
        n = l;
      } else if (v instanceof BigInteger) {
        throw new ConfigException(path(key), "must be between " + min + " and " + max);
      } else {
        throw new ConfigException(path(key), "expected an integer, got " + typeName(v));
      }
      if (n < min || n > max) {
        throw new ConfigException(path(key), "must be between " + min + " and " + max);
      }
      return n;
    }

    Optional<Obj> optionalObj(String key) {
      if (!map.containsKey(key)) {
        return Optional.empty();
      }
      return Optional.of(of(path(key), take(key)));
    }

    <T> List<T> list(String key, java.util.function.Function<Obj, T> item) {
      return rawList(key, (p, v) -> item.apply(of(p, v)));
    }

    List<String> stringList(String key) {
      List<String> out =
          rawList(
              key,
              (p, v) -> {
                if (!(v instanceof String s) || s.isBlank() || !s.strip().equals(s)) {
                  throw new ConfigException(p, "expected a non-empty string, got " + typeName(v));
                }
                return s;
              });
      if (new HashSet<>(out).size() != out.size()) {
        throw new ConfigException(path(key), "lists a value twice");
      }
      return out;
    }

    private <T> List<T> rawList(String key, BiFunction<String, Object, T> item) {
      if (!map.containsKey(key)) {
        consumed.add(key);
        return List.of();
      }
      Object v = take(key);
      if (!(v instanceof List<?> l)) {
        throw new ConfigException(path(key), "expected a list, got " + typeName(v));
      }
      List<T> out = new ArrayList<>();
      for (int i = 0; i < l.size(); i++) {
        out.add(item.apply(path(key) + "[" + i + "]", l.get(i)));
      }
      return out;
    }

    void finish() {
      for (String k : map.keySet()) {
        if (!consumed.contains(k)) {
          throw new ConfigException(path(k), "unknown field");
        }
      }
    }

    private static String typeName(Object v) {
      if (v == null) {
        return "null";
      }
      if (v instanceof String) {
        return "a string";
      }
      if (v instanceof Boolean) {
        return "a boolean";
      }
      if (v instanceof Number) {
        return "a number";
      }
      if (v instanceof List) {
        return "a list";
      }
      if (v instanceof Map) {
        return "a mapping";
      }
      return v.getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }
  }
}
