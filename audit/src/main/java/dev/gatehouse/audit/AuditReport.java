package dev.gatehouse.audit;

import java.util.List;

/**
 * Everything one audit found.
 *
 * @param methods every method of every service in the descriptor set, in descriptor order
 * @param problems problems not tied to one method (e.g. an override that matches nothing)
 * @param warnings notes that do not fail {@code --check} (e.g. unused allow-public entries)
 */
record AuditReport(List<MethodPosture> methods, List<String> problems, List<String> warnings) {
  AuditReport {
    methods = List.copyOf(methods);
    problems = List.copyOf(problems);
    warnings = List.copyOf(warnings);
  }

  /** The number of reasons {@code --check} fails. */
  int failures() {
    int n = problems.size();
    for (MethodPosture m : methods) {
      n += m.findings().size();
    }
    return n;
  }
}
