package dev.gatehouse.trust.mesh;

import static java.util.Objects.requireNonNull;

import com.google.common.net.InetAddresses;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network in CIDR notation ({@code 10.0.0.0/8}, {@code fd00::/8}), or a single
 * address. Literal addresses only: nothing is ever resolved. IPv4-mapped IPv6 networks and
 * addresses ({@code ::ffff:10.0.0.0/104}, {@code ::ffff:10.1.2.3}) are normalised to IPv4, so a
 * dual-stack socket's view of an IPv4 peer matches an IPv4 network. Immutable.
 */
final class Cidr {
  private final byte[] network;
  private final int prefix;

  private Cidr(byte[] network, int prefix) {
    this.network = network;
    this.prefix = prefix;
  }

  /**
   * Parses {@code ADDRESS/PREFIX} or a bare {@code ADDRESS} (a single host).
   *
   * @throws IllegalArgumentException if it is not a literal address, the prefix is out of range,
   *     host bits are set, it carries a zone id, or it matches every address ({@code /0})
   */
  static Cidr parse(String cidr) {
    requireNonNull(cidr, "cidr");
    String text = cidr.trim();
    int slash = text.indexOf('/');
    String addressText = slash < 0 ? text : text.substring(0, slash);
    if (addressText.indexOf('%') >= 0) {
      throw new IllegalArgumentException("trusted proxy " + cidr + ": zone ids are not supported");
    }
    if (!InetAddresses.isInetAddress(addressText)) {
      throw new IllegalArgumentException(
          "trusted proxy "
              + cidr
              + ": not a literal IPv4 or IPv6 address (names are not resolved)");
    }
    byte[] raw = InetAddresses.forString(addressText).getAddress();
    boolean writtenAsV6 = addressText.indexOf(':') >= 0;
    int max = raw.length * 8;
    int prefix;
    if (slash < 0) {
      prefix = max;
    } else {
      String p = text.substring(slash + 1);
      if (!p.matches("[0-9]{1,3}")) {
        throw new IllegalArgumentException("trusted proxy " + cidr + ": bad prefix length");
      }
      prefix = Integer.parseInt(p);
      if (writtenAsV6 && raw.length == 4) {
        // Guava returned the IPv4 address of an IPv4-mapped IPv6 literal: convert the prefix.
        if (prefix < 96) {
          throw new IllegalArgumentException(
              "trusted proxy " + cidr + ": an IPv4-mapped network needs a prefix of at least 96");
        }
        prefix -= 96;
      }
      if (prefix > max) {
        throw new IllegalArgumentException("trusted proxy " + cidr + ": prefix longer than " + max);
      }
    }
    // Guava already returns IPv4 bytes for an IPv4-mapped literal; normalise defensively anyway.
    byte[] normalised = normalise(raw);
    if (prefix == 0) {
      throw new IllegalArgumentException(
          "trusted proxy " + cidr + ": a /0 network would trust every peer");
    }
    if (!Arrays.equals(mask(normalised, prefix), normalised)) {
      throw new IllegalArgumentException(
          "trusted proxy " + cidr + ": host bits are set; did you mean the network address?");
    }
    return new Cidr(normalised, prefix);
  }

  /** Whether {@code address} (normalised if IPv4-mapped) lies in this network. */
  boolean contains(InetAddress address) {
    byte[] bytes = normalise(address.getAddress());
    return bytes.length == network.length && Arrays.equals(mask(bytes, prefix), network);
  }

  /** The address bytes, with an IPv4-mapped IPv6 address turned into its 4 IPv4 bytes. */
  static byte[] normalise(byte[] address) {
    if (address.length == 16) {
      for (int k = 0; k < 10; k++) {
        if (address[k] != 0) {
          return address;
        }
      }
      if (address[10] == (byte) 0xff && address[11] == (byte) 0xff) {
        return Arrays.copyOfRange(address, 12, 16);
      }
    }
    return address;
  }

  /** Normalises an address object (IPv4-mapped IPv6 becomes IPv4). */
  static InetAddress normalise(InetAddress address) {
    if (address instanceof Inet6Address) {
      byte[] b = normalise(address.getAddress());
      if (b.length == 4) {
        return bytesToAddress(b);
      }
    }
    return address;
  }

  private static byte[] mask(byte[] address, int prefix) {
    byte[] out = address.clone();
    for (int bit = prefix; bit < out.length * 8; bit++) {
      out[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    return out;
  }

  @Override
  public String toString() {
    return InetAddresses.toAddrString(bytesToAddress(network)) + "/" + prefix;
  }

  /** A literal address from its bytes; never resolves anything. */
  private static InetAddress bytesToAddress(byte[] b) {
    try {
      return InetAddress.getByAddress(b);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
