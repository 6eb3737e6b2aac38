package dev.gatehouse.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ReportsTest {

  @Test
  void printable_terminalAndBidiControls_escaped() {
    assertEquals(
        "a\\u001b[2Jb\\u202ec\\u0085d\\u2028e\\nf",
        Reports.printable("a\u001b[2Jb\u202ec\u0085d\u2028e\\nf"));
    assertEquals("plain text [x, y]", Reports.printable("plain text [x, y]"));
  }

  @Test
  void md_cellBreakersAndHtml_escaped() {
    assertEquals("a\\|b &lt;img&gt; &amp; 'c' \\u000a", Reports.md("a|b <img> & `c` \n"));
  }
}
