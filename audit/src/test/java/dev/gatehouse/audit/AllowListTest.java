package dev.gatehouse.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AllowListTest {

  @Test
  void parse_commentsBlanksAndWildcards_matchExactlyWhatIsListed() throws UsageException {
    AllowList list =
        AllowList.parse(
            "# approved public methods\n\n  a.v1.Health/Check   # probe\r\nb.v1.Status/*\n",
            "allow.txt");

    assertTrue(list.allows("a.v1.Health/Check"));
    assertFalse(list.allows("a.v1.Health/Watch"));
    assertTrue(list.allows("b.v1.Status/Get"));
    assertFalse(list.allows("b.v1.StatusAdmin/Get"));
    assertFalse(list.allows("b.v1/Status"));
  }

  @Test
  void parse_leadingByteOrderMark_ignored() throws UsageException {
    assertTrue(AllowList.parse("\uFEFFa.S/M\n", "f").allows("a.S/M"));
  }

  @Test
  void unused_entriesMatchingNoPublicMethod_reported() throws UsageException {
    AllowList list = AllowList.parse("a.S/M\na.S/Gone\nb.T/*\n", "f");

    assertEquals(List.of("a.S/Gone", "b.T/*"), list.unused(List.of("a.S/M", "a.S/Other")));
  }

  @Test
  void parse_malformedEntry_refusedWithLineNumber() {
    for (String bad : List.of("a.S/M extra", "*", "a.S/", "/M", "a.S/M/N", "a.S/*x")) {
      UsageException e =
          assertThrows(UsageException.class, () -> AllowList.parse("# c\n" + bad + "\n", "f"));
      assertTrue(e.getMessage().startsWith("f:2: not a full method name"), e.getMessage());
    }
  }

  @Test
  void parse_controlCharacterInEntry_escapedInTheMessage() {
    UsageException e =
        assertThrows(UsageException.class, () -> AllowList.parse("a.S/\u001b[31mM\n", "f"));
    assertFalse(e.getMessage().contains("\u001b"));
    assertTrue(e.getMessage().contains("\\u001b"));
  }
}
