package dev.gatehouse.audit;

/** Why {@code --check} fails for a method. The codes are part of the JSON report. */
enum Finding {
  /** The server would refuse to start: the resolver reported a problem for this method. */
  REFUSED_AT_STARTUP("refused_at_startup"),
  /** No Gatehouse option applies at all: gated and DENY, both by default. */
  UNANNOTATED("unannotated"),
  /** Public, but not listed in the {@code --allow-public} file. */
  PUBLIC_NOT_ALLOWED("public_not_allowed"),
  /**
   * A server reflection method ({@code grpc.reflection.v1.ServerReflection}, {@code
   * grpc.reflection.v1alpha.ServerReflection}) is public: anyone could list the server's API.
   * Approved only by its full method name in the {@code --allow-public} file.
   */
  PUBLIC_REFLECTION("public_reflection");

  private final String code;

  Finding(String code) {
    this.code = code;
  }

  /** The stable code used in the reports. */
  String code() {
    return code;
  }
}
