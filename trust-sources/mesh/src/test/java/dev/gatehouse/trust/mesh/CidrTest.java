package dev.gatehouse.trust.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.net.InetAddresses;
import dev.gatehouse.testing.TestSupport;
import java.util.List;
import org.junit.jupiter.api.Test;

class CidrTest {
  private static boolean contains(String cidr, String address) {
    return Cidr.parse(cidr).contains(InetAddresses.forString(address));
  }

  @Test
  void contains_ipv4Network_insideAndOutside() {
    assertTrue(contains("10.0.0.0/8", "10.255.1.2"));
    assertFalse(contains("10.0.0.0/8", "11.0.0.1"));
    assertTrue(contains("127.0.0.1/32", "127.0.0.1"));
    assertFalse(contains("127.0.0.1/32", "127.0.0.2"));
    assertTrue(contains("192.168.1.128/25", "192.168.1.200"));
    assertFalse(contains("192.168.1.128/25", "192.168.1.127"));
  }

  @Test
  void contains_ipv6Network_insideAndOutside() {
    assertTrue(contains("::1/128", "::1"));
    assertFalse(contains("::1/128", "::2"));
    assertTrue(contains("fd00:1::/32", "fd00:1:ffff::5"));
    assertFalse(contains("fd00:1::/32", "fd00:2::5"));
  }

  @Test
  void contains_familiesNeverCrossMatch() {
    assertFalse(contains("::1/128", "127.0.0.1"));
    assertFalse(contains("127.0.0.1/32", "::1"));
    assertFalse(contains("::/8", "0.0.0.1"));
  }

  @Test
  void contains_ipv4MappedPeer_matchesIpv4Network() throws Exception {
    Cidr cidr = Cidr.parse("127.0.0.0/8");
    assertTrue(cidr.contains(TestSupport.mappedPeer("127.0.0.1").getAddress()));
    assertFalse(cidr.contains(TestSupport.mappedPeer("128.0.0.1").getAddress()));
  }

  @Test
  void parse_ipv4MappedNetwork_normalisedToIpv4() {
    assertEquals("10.0.0.0/8", Cidr.parse("::ffff:10.0.0.0/104").toString());
    assertTrue(contains("::ffff:10.0.0.0/104", "10.1.2.3"));
    assertEquals("10.1.2.3/32", Cidr.parse("::ffff:10.1.2.3").toString());
  }

  @Test
  void parse_bareAddress_singleHost() {
    assertEquals("127.0.0.1/32", Cidr.parse("127.0.0.1").toString());
    assertEquals("::1/128", Cidr.parse("::1").toString());
  }

  @Test
  void parse_invalid_refusedWithoutResolving() {
    for (String bad :
        List.of(
            "localhost",
            "localhost/32",
            "example.com/24",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "10.0.0.0/8/8",
            "10.0.0.1/8",
            "0.0.0.0/0",
            "::/0",
            "fe80::1%eth0/128",
            "::ffff:10.0.0.0/80",
            "",
            "10.0.0")) {
      assertThrows(IllegalArgumentException.class, () -> Cidr.parse(bad), bad);
    }
  }
}
