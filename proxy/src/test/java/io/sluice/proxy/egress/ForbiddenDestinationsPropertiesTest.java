package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.Cidr;
import io.sluice.config.EgressDestinations;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;

/**
 * The address classifier against its own copy of the special-purpose registries (RFC 6890 and updates): every
 * address of each forbidden network is refused, in every IPv6 form that reaches an IPv4 address, and the rest pass.
 */
class ForbiddenDestinationsPropertiesTest {

    private static final Map<String, String> IPV4 = Map.ofEntries(
            Map.entry("0.0.0.0/8", "unspecified"), Map.entry("10.0.0.0/8", "private"),
            Map.entry("100.64.0.0/10", "cgnat"), Map.entry("127.0.0.0/8", "loopback"),
            Map.entry("169.254.0.0/16", "link_local"), Map.entry("172.16.0.0/12", "private"),
            Map.entry("192.0.0.0/24", "ietf_protocol"), Map.entry("192.0.2.0/24", "documentation"),
            Map.entry("192.88.99.0/24", "reserved"), Map.entry("192.168.0.0/16", "private"),
            Map.entry("198.18.0.0/15", "benchmarking"), Map.entry("198.51.100.0/24", "documentation"),
            Map.entry("203.0.113.0/24", "documentation"), Map.entry("224.0.0.0/4", "multicast"),
            Map.entry("240.0.0.0/4", "reserved"));
    private static final Map<String, String> IPV6 = Map.ofEntries(
            Map.entry("fc00::/7", "unique_local"), Map.entry("fe80::/10", "link_local"),
            Map.entry("ff00::/8", "multicast"), Map.entry("2001:db8::/32", "documentation"),
            Map.entry("3fff::/20", "documentation"), Map.entry("2001:2::/48", "benchmarking"),
            Map.entry("2001::/32", "reserved"), Map.entry("64:ff9b:1::/48", "private"),
            Map.entry("fec0::/10", "reserved"));

    private static final ForbiddenDestinations BY_DEFAULT = new ForbiddenDestinations(EgressDestinations.DEFAULT);

    // Uniform, not jqwik's default bias to small values and edges, so that addresses spread over the whole space.
    @Provide
    Arbitrary<Integer> bits32() {
        return Arbitraries.integers().between(Integer.MIN_VALUE, Integer.MAX_VALUE)
                .withDistribution(RandomDistribution.uniform());
    }

    @Provide
    Arbitrary<Long> bits64() {
        return Arbitraries.longs().between(Long.MIN_VALUE, Long.MAX_VALUE).withDistribution(RandomDistribution.uniform());
    }

    @Provide
    Arbitrary<String> ipv4Networks() {
        return Arbitraries.of(IPV4.keySet());
    }

    @Provide
    Arbitrary<String> ipv6Networks() {
        return Arbitraries.of(IPV6.keySet());
    }

    @Property
    void everyAddressOfAForbiddenIpv4NetworkIsRefusedInEveryForm(@ForAll("ipv4Networks") String network,
                                                                 @ForAll("bits32") int bits) throws Exception {
        InetAddress address = inside(Cidr.parse(network), bits);
        String expected = address.getHostAddress().equals("255.255.255.255") ? "broadcast" : IPV4.get(network);

        assertThat(tag(address)).as(address.getHostAddress()).isEqualTo(expected);
        for (InetAddress form : ipv6Forms(address)) {
            assertThat(tag(form)).as(form.getHostAddress()).isEqualTo(expected);
        }
    }

    @Property
    void everyAddressOfAForbiddenIpv6NetworkIsRefused(@ForAll("ipv6Networks") String network,
                                                      @ForAll("bits64") long high, @ForAll("bits64") long low) throws Exception {
        InetAddress address = inside(Cidr.parse(network), high, low);

        assertThat(tag(address)).as(address.getHostAddress()).isEqualTo(IPV6.get(network));
    }

    @Property
    void ipv6OutsideGlobalUnicastIsRefused(@ForAll("bits64") long high, @ForAll("bits64") long low) throws Exception {
        InetAddress address = v6(high, low);
        Assume.that(!Cidr.parse("2000::/3").contains(address) && !Cidr.parse("64:ff9b::/96").contains(address)
                && !isMapped(address));

        assertThat(BY_DEFAULT.refusal(address)).as(address.getHostAddress()).isNotNull();
    }

    @Property
    void publicIpv4AddressesPassInEveryForm(@ForAll("bits32") int bits) throws Exception {
        InetAddress address = InetAddress.getByAddress(ByteBuffer.allocate(4).putInt(bits).array());
        Assume.that(IPV4.keySet().stream().noneMatch(network -> Cidr.parse(network).contains(address)));

        assertThat(BY_DEFAULT.refusal(address)).as(address.getHostAddress()).isNull();
        for (InetAddress form : ipv6Forms(address)) {
            assertThat(BY_DEFAULT.refusal(form)).as(form.getHostAddress()).isNull();
        }
    }

    @Property
    void publicIpv6AddressesPass(@ForAll("bits64") long high, @ForAll("bits64") long low) throws Exception {
        // Into 2000::/3, the global unicast space.
        InetAddress address = v6((high & 0x1fff_ffff_ffff_ffffL) | 0x2000_0000_0000_0000L, low);
        Assume.that(IPV6.keySet().stream().noneMatch(network -> Cidr.parse(network).contains(address))
                && !Cidr.parse("2001::/23").contains(address) && !Cidr.parse("2002::/16").contains(address));

        assertThat(BY_DEFAULT.refusal(address)).as(address.getHostAddress()).isNull();
    }

    @Property
    void allowedNetworksPassInEveryFormAndTheLongerPrefixDecides(@ForAll("bits32") int bits) throws Exception {
        ForbiddenDestinations rules = new ForbiddenDestinations(new EgressDestinations(
                List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"), Cidr.parse("10.0.0.0/8"),
                        Cidr.parse("8.8.8.8/32")),
                List.of(Cidr.parse("10.9.0.0/16"), Cidr.parse("8.8.8.0/24"))));
        InetAddress loopback = inside(Cidr.parse("127.0.0.0/8"), bits);
        InetAddress ten = inside(Cidr.parse("10.0.0.0/8"), bits);
        InetAddress google = inside(Cidr.parse("8.8.8.0/24"), bits);

        for (InetAddress form : withIpv6Forms(loopback)) {
            assertThat(rules.refusal(form)).as(form.getHostAddress()).isNull();
        }
        assertThat(rules.refusal(InetAddress.getByName("::1"))).isNull();
        boolean inDenied = Cidr.parse("10.9.0.0/16").contains(ten);
        for (InetAddress form : withIpv6Forms(ten)) {
            assertThat(rules.refusal(form)).as(form.getHostAddress())
                    .isEqualTo(inDenied ? DestinationClass.DENIED : null);
        }
        boolean allowedHost = google.getHostAddress().equals("8.8.8.8");
        for (InetAddress form : withIpv6Forms(google)) {
            assertThat(rules.refusal(form)).as(form.getHostAddress())
                    .isEqualTo(allowedHost ? null : DestinationClass.DENIED);
        }
        // Allowing loopback opens nothing else: link-local stays forbidden.
        assertThat(rules.refusal(InetAddress.getByName("169.254.169.254"))).isEqualTo(DestinationClass.LINK_LOCAL);
    }

    private static String tag(InetAddress address) {
        DestinationClass kind = BY_DEFAULT.refusal(address);
        return kind == null ? "permitted" : kind.tag();
    }

    private static List<InetAddress> withIpv6Forms(InetAddress ipv4) throws UnknownHostException {
        List<InetAddress> forms = new java.util.ArrayList<>(ipv6Forms(ipv4));
        forms.add(0, ipv4);
        return forms;
    }

    /** IPv4-mapped (as a real Inet6Address, which the JDK never builds from a literal), NAT64 and 6to4. */
    private static List<InetAddress> ipv6Forms(InetAddress ipv4) throws UnknownHostException {
        byte[] v4 = ipv4.getAddress();
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(v4, 0, mapped, 12, 4);
        byte[] nat64 = new byte[16];
        nat64[1] = 0x64;
        nat64[2] = (byte) 0xff;
        nat64[3] = (byte) 0x9b;
        System.arraycopy(v4, 0, nat64, 12, 4);
        byte[] sixToFour = new byte[16];
        sixToFour[0] = 0x20;
        sixToFour[1] = 0x02;
        System.arraycopy(v4, 0, sixToFour, 2, 4);
        sixToFour[15] = 1;
        return List.of(Inet6Address.getByAddress(null, mapped, -1), InetAddress.getByAddress(nat64),
                InetAddress.getByAddress(sixToFour));
    }

    private static boolean isMapped(InetAddress address) {
        byte[] bytes = address.getAddress();
        return java.util.Arrays.equals(bytes, 0, 12, new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1}, 0, 12);
    }

    private static InetAddress inside(Cidr network, int bits) throws UnknownHostException {
        int mask = network.prefixLength() == 0 ? 0 : -1 << (32 - network.prefixLength());
        int base = ByteBuffer.wrap(network.network().getAddress()).getInt();
        return InetAddress.getByAddress(ByteBuffer.allocate(4).putInt(base | (bits & ~mask)).array());
    }

    private static InetAddress inside(Cidr network, long high, long low) throws UnknownHostException {
        ByteBuffer base = ByteBuffer.wrap(network.network().getAddress());
        long baseHigh = base.getLong();
        long baseLow = base.getLong();
        int prefix = network.prefixLength();
        long highMask = prefix >= 64 ? -1L : prefix == 0 ? 0 : -1L << (64 - prefix);
        long lowMask = prefix <= 64 ? 0 : -1L << (128 - prefix);
        return v6(baseHigh | (high & ~highMask), baseLow | (low & ~lowMask));
    }

    private static InetAddress v6(long high, long low) throws UnknownHostException {
        // Built as an Inet6Address whatever the bits, as an AAAA record gives them.
        return Inet6Address.getByAddress(null, ByteBuffer.allocate(16).putLong(high).putLong(low).array(), -1);
    }
}
