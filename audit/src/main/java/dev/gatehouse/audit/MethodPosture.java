package dev.gatehouse.audit;

import dev.gatehouse.policy.MethodPolicy;
import java.util.List;
import java.util.Optional;

/**
 * The audited posture of one method: its resolved policy, or the problems that would stop the
 * server from starting, and the findings {@code --check} fails on.
 *
 * @param method full method name, {@code package.Service/Method}
 * @param service full service name
 * @param file the .proto file that declares the service
 * @param policy the resolved policy; null when {@code problems} is non-empty
 * @param problems what the server would refuse at startup, without the method-name prefix
 * @param findings what {@code --check} fails on
 */
record MethodPosture(
    String method,
    String service,
    String file,
    MethodPolicy policy,
    List<String> problems,
    List<Finding> findings) {

  MethodPosture {
    problems = List.copyOf(problems);
    findings = List.copyOf(findings);
  }

  Optional<MethodPolicy> resolved() {
    return Optional.ofNullable(policy);
  }
}
