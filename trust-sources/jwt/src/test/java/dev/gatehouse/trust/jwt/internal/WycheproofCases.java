package dev.gatehouse.trust.jwt.internal;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads Wycheproof vector files from {@code testdata/wycheproof}: groups and their cases. */
final class WycheproofCases {
  private WycheproofCases() {}

  /** One test case with the group it belongs to. */
  record Case(Map<String, Object> group, Map<String, Object> test) {
    int tcId() {
      return ((Number) test.get("tcId")).intValue();
    }

    String result() {
      return (String) test.get("result");
    }

    String comment() {
      Object c = test.get("comment");
      return c == null ? "" : c.toString();
    }

    String string(String member) {
      return (String) test.get(member);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> groupObject(String member) {
      return (Map<String, Object>) group.get(member);
    }

    /** The JUnit display name: tcId, label and Wycheproof's comment. */
    String displayName() {
      return "tcId " + tcId() + " [" + result() + "] " + comment();
    }
  }

  /** Every case of {@code wycheproof/<relativePath>}, in file order. */
  @SuppressWarnings("unchecked")
  static List<Case> read(String relativePath) throws Exception {
    Map<String, Object> doc =
        JSONObjectUtils.parse(
            Files.readString(KnownAnswerTest.vectors().resolve("wycheproof/" + relativePath)), -1);
    List<Case> out = new ArrayList<>();
    for (Object g : (List<Object>) doc.get("testGroups")) {
      Map<String, Object> group = (Map<String, Object>) g;
      for (Object t : (List<Object>) group.get("tests")) {
        out.add(new Case(group, (Map<String, Object>) t));
      }
    }
    return out;
  }
}
