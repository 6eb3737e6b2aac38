package dev.gatehouse.audit;

import com.google.protobuf.Descriptors.FileDescriptor;
import dev.gatehouse.policy.Mode;
import dev.gatehouse.policy.ModeOverride;
import dev.gatehouse.policy.PolicyException;
import dev.gatehouse.policy.PolicyResolver;
import dev.gatehouse.policy.Preset;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The posture audit command line: prints every method's resolved Gatehouse mode, requirements and
 * where each came from, from a descriptor set, and optionally fails a build on risky postures.
 *
 * <pre>
 * java -jar gatehouse-audit.jar [--format table|json|markdown] [--check]
 *     [--allow-public FILE] [--diff BASELINE.json] [--override PATTERN=public|internal]...
 *     [--preset health|reflection]... DESCRIPTOR_SET
 * </pre>
 *
 * <p>Exit codes: {@value #OK} ok; {@value #CHECK_FAILED} {@code --check} failed; {@value #USAGE}
 * bad arguments or unreadable input (one line on stderr). The report goes to stdout, diagnostics to
 * stderr.
 */
public final class AuditCli {
  /** Exit code: the report was printed and, with {@code --check}, nothing failed. */
  public static final int OK = 0;

  /** Exit code: {@code --check} found at least one failure. */
  public static final int CHECK_FAILED = 1;

  /** Exit code: bad arguments, or an input that cannot be read or parsed. */
  public static final int USAGE = 2;

  static final String USAGE_TEXT =
      "usage: gatehouse-audit [--format table|json|markdown] [--check] [--allow-public FILE]"
          + " [--diff BASELINE.json] [--override PATTERN=public|internal]..."
          + " [--preset health|reflection]... DESCRIPTOR_SET";

  private static final String PREFIX = "gatehouse-audit: ";

  private AuditCli() {}

  /** Runs the CLI and exits the JVM with its exit code. */
  public static void main(String[] args) {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    int code = run(Arrays.asList(args), out, err);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * Runs the CLI without exiting: the report goes to {@code out}, diagnostics to {@code err}.
   *
   * @return the exit code: {@link #OK}, {@link #CHECK_FAILED} or {@link #USAGE}
   */
  public static int run(List<String> args, PrintStream out, PrintStream err) {
    try {
      Options options = Options.parse(args);
      if (options.help) {
        out.println(USAGE_TEXT);
        return OK;
      }
      return execute(options, out, err);
    } catch (UsageException e) {
      err.println(PREFIX + oneLine(e.getMessage()));
      return USAGE;
    } catch (RuntimeException e) {
      err.println(PREFIX + "internal error: " + oneLine(String.valueOf(e)));
      return USAGE;
    } catch (StackOverflowError e) {
      // Malformed input nested deeper than any library walk can follow: still one line, exit 2.
      err.println(PREFIX + "input is nested too deeply");
      return USAGE;
    }
  }

  private static int execute(Options options, PrintStream out, PrintStream err)
      throws UsageException {
    AllowList allowPublic =
        options.allowPublic == null ? null : AllowList.read(options.allowPublic);
    List<PostureDiff.Snapshot> baseline =
        options.diff == null ? null : PostureDiff.readBaseline(options.diff);
    List<FileDescriptor> files = DescriptorSets.load(options.descriptorSet);

    AuditReport report = PostureAudit.audit(files, options.overrides, options.presets, allowPublic);

    List<PostureDiff.Change> changes = null;
    if (baseline == null) {
      out.print(Reports.render(report, options.format));
    } else {
      List<PostureDiff.Snapshot> current = new ArrayList<>();
      for (MethodPosture m : report.methods()) {
        current.add(PostureDiff.snapshot(m));
      }
      changes = PostureDiff.diff(baseline, current);
      out.print(PostureDiff.render(changes, options.format, options.diff.toString()));
    }
    out.flush();
    for (String warning : report.warnings()) {
      err.println(PREFIX + "warning: " + oneLine(warning));
    }
    if (!options.check) {
      return OK;
    }

    int failures = 0;
    for (MethodPosture m : report.methods()) {
      for (Finding f : m.findings()) {
        failures++;
        err.println(PREFIX + "check: " + oneLine(m.method() + ": " + explain(f, m, options)));
      }
    }
    for (String problem : report.problems()) {
      failures++;
      err.println(PREFIX + "check: " + oneLine(problem));
    }
    if (changes != null) {
      for (PostureDiff.Change c : changes) {
        if (c.kind() == PostureDiff.Kind.WIDENED) {
          failures++;
          err.println(
              PREFIX
                  + "check: "
                  + oneLine(
                      c.method()
                          + ": WIDENED since the baseline: "
                          + (c.before() == null ? "(absent)" : c.before())
                          + " -> "
                          + c.after()));
        }
      }
    }
    if (failures > 0) {
      err.println(PREFIX + "check failed: " + failures + " finding" + (failures == 1 ? "" : "s"));
      return CHECK_FAILED;
    }
    err.println(PREFIX + "check passed: " + report.methods().size() + " methods");
    return OK;
  }

  private static String explain(Finding f, MethodPosture m, Options options) {
    return switch (f) {
      case REFUSED_AT_STARTUP ->
          "the server would refuse to start: " + String.join("; ", m.problems());
      case UNANNOTATED ->
          "no Gatehouse option applies (gated, deny everyone by default);"
              + " annotate it or declare it with an override";
      case PUBLIC_NOT_ALLOWED -> "public but not listed in " + options.allowPublic;
      case PUBLIC_REFLECTION ->
          "server reflection is public: anyone can list this server's API (make it internal with"
              + " the reflection preset, or approve this method by its full name in"
              + " --allow-public)";
    };
  }

  /** Keeps a diagnostic on one line and free of control characters. */
  private static String oneLine(String s) {
    return Reports.printable(s == null ? "" : s);
  }

  /** Parsed command-line arguments. */
  static final class Options {
    boolean help;
    String format = "table";
    boolean check;
    Path allowPublic;
    Path diff;
    Path descriptorSet;
    final List<ModeOverride> overrides = new ArrayList<>();
    final Set<Preset> presets = EnumSet.noneOf(Preset.class);

    static Options parse(List<String> args) throws UsageException {
      Options o = new Options();
      boolean formatSeen = false;
      boolean checkSeen = false;
      boolean endOfOptions = false;
      List<String> positional = new ArrayList<>();
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        if (endOfOptions || !arg.startsWith("-") || arg.equals("-")) {
          positional.add(arg);
          continue;
        }
        String name = arg;
        String value = null;
        int eq = arg.indexOf('=');
        if (arg.startsWith("--") && eq > 0) {
          name = arg.substring(0, eq);
          value = arg.substring(eq + 1);
        }
        switch (name) {
          case "--" -> endOfOptions = true;
          case "-h", "--help" -> o.help = true;
          case "--check" -> {
            if (value != null) {
              throw new UsageException("--check takes no value");
            }
            if (checkSeen) {
              throw new UsageException("--check given twice");
            }
            checkSeen = true;
            o.check = true;
          }
          case "--format" -> {
            if (formatSeen) {
              throw new UsageException("--format given twice");
            }
            formatSeen = true;
            String f = value != null ? value : next(args, ++i, name);
            o.format = f.toLowerCase(Locale.ROOT);
            if (!List.of("table", "json", "markdown").contains(o.format)) {
              throw new UsageException("--format must be table, json or markdown");
            }
          }
          case "--allow-public" -> {
            if (o.allowPublic != null) {
              throw new UsageException("--allow-public given twice");
            }
            o.allowPublic = path(value != null ? value : next(args, ++i, name), name);
          }
          case "--diff" -> {
            if (o.diff != null) {
              throw new UsageException("--diff given twice");
            }
            o.diff = path(value != null ? value : next(args, ++i, name), name);
          }
          case "--override" ->
              o.overrides.add(override(value != null ? value : next(args, ++i, name)));
          case "--preset" -> {
            String p = value != null ? value : next(args, ++i, name);
            o.presets.add(
                Preset.fromConfigName(p)
                    .orElseThrow(
                        () ->
                            new UsageException(
                                "--preset: unknown preset "
                                    + p
                                    + "; known presets: "
                                    + Preset.configNames())));
          }
          default -> throw new UsageException("unknown option " + arg + "; " + USAGE_TEXT);
        }
      }
      if (o.help) {
        return o;
      }
      if (positional.size() != 1) {
        throw new UsageException(
            (positional.isEmpty() ? "no descriptor set given" : "more than one descriptor set")
                + "; "
                + USAGE_TEXT);
      }
      o.descriptorSet = path(positional.get(0), "DESCRIPTOR_SET");
      try {
        PolicyResolver.create(o.overrides); // refuses the same pattern twice
      } catch (PolicyException e) {
        throw new UsageException(String.join("; ", e.problems()));
      }
      return o;
    }

    private static String next(List<String> args, int i, String option) throws UsageException {
      if (i >= args.size()) {
        throw new UsageException(option + " needs a value");
      }
      return args.get(i);
    }

    private static Path path(String value, String option) throws UsageException {
      if (value.isEmpty()) {
        throw new UsageException(option + " needs a value");
      }
      try {
        return Path.of(value);
      } catch (InvalidPathException e) {
        throw new UsageException(option + ": invalid path");
      }
    }

    private static ModeOverride override(String value) throws UsageException {
      int eq = value.lastIndexOf('=');
      if (eq <= 0) {
        throw new UsageException("--override must be PATTERN=public or PATTERN=internal");
      }
      Mode mode =
          switch (value.substring(eq + 1).toLowerCase(Locale.ROOT)) {
            case "public" -> Mode.PUBLIC;
            case "internal" -> Mode.INTERNAL;
            default ->
                throw new UsageException("--override mode must be public or internal: " + value);
          };
      try {
        return ModeOverride.of(value.substring(0, eq), mode);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--override: " + e.getMessage());
      }
    }
  }
}
