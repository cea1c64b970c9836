package io.sluice.loadtest.load;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Client networks that share the load, written {@code heavy:1:80%,small:50:20%}: one network sending 80% of the
 * sessions, fifty sharing 20%. Group {@code g} (0 for the first) is loopback {@code 127.(16+g).0.0/16}, and its
 * network {@code n} the /24 {@code 127.(16+g).n.0/24}; sessions bind to that network's addresses in turn, so a
 * server that keys on the client's /24 sees each network as one. Sessions go to networks by smooth weighted round
 * robin, so every prefix of a run has the shares within two sessions per network.
 */
public final class NetworkMix {

    /** Groups at most (second octets 16-31). */
    static final int MAX_GROUPS = 16;
    /** Networks per group at most (third octets 0-255). */
    static final int MAX_PER_GROUP = 256;
    private static final Pattern GROUP = Pattern.compile("([a-z][a-z0-9-]{0,30}):(\\d{1,3}):(\\d{1,3}(?:\\.\\d{1,3})?)%");

    /** One sending network: its group's name, its index in the group, its share of the sessions, its addresses. */
    public record Network(int index, String group, int member, double share, AddressRange addresses) {
        /** {@code heavy} for a group of one, {@code small-7} otherwise. */
        public String name(boolean alone) {
            return alone ? group : group + "-" + member;
        }
    }

    /** A group as written: name, number of networks, share of the sessions in percent. */
    public record Group(String name, int count, double percent) {
    }

    private final List<Group> groups;
    private final List<Network> networks;
    private final double[] current;

    private NetworkMix(List<Group> groups, List<Network> networks) {
        this.groups = List.copyOf(groups);
        this.networks = List.copyOf(networks);
        this.current = new double[networks.size()];
    }

    /**
     * Parses {@code NAME:COUNT:SHARE%[,...]}; the shares add up to 100%.
     *
     * @throws IllegalArgumentException naming the group that is wrong and what was expected
     */
    public static NetworkMix parse(String text) {
        String[] parts = text.split(",", -1);
        if (parts.length > MAX_GROUPS) {
            throw new IllegalArgumentException("\"" + text + "\" (expected: at most " + MAX_GROUPS + " groups)");
        }
        List<Group> groups = new ArrayList<>();
        List<Network> networks = new ArrayList<>();
        double total = 0;
        for (int g = 0; g < parts.length; g++) {
            String part = parts[g].trim();
            Matcher m = GROUP.matcher(part);
            if (!m.matches()) {
                throw invalid(part, "NAME:COUNT:SHARE%, e.g. heavy:1:80% or small:50:20%");
            }
            String name = m.group(1);
            int count = Integer.parseInt(m.group(2));
            double percent = Double.parseDouble(m.group(3));
            if (count < 1 || count > MAX_PER_GROUP) {
                throw invalid(part, "a count of networks 1-" + MAX_PER_GROUP);
            }
            if (!(percent > 0 && percent <= 100)) {
                throw invalid(part, "a share > 0% and <= 100%");
            }
            for (Group earlier : groups) {
                if (earlier.name().equals(name)) {
                    throw invalid(part, "a name no other group has");
                }
            }
            groups.add(new Group(name, count, percent));
            total += percent;
            for (int n = 0; n < count; n++) {
                AddressRange range = AddressRange.parse("127." + (16 + g) + "." + n + ".0/24",
                        AddressRange.Pick.ROUND_ROBIN);
                networks.add(new Network(networks.size(), name, n, percent / 100 / count, range));
            }
        }
        if (Math.abs(total - 100) > 0.01) {
            throw new IllegalArgumentException("\"" + text + "\" (expected: shares that add up to 100%, not "
                    + BigDecimal.valueOf(total).stripTrailingZeros().toPlainString() + "%)");
        }
        return new NetworkMix(groups, networks);
    }

    /** Every network, in order: the groups' as written, each group's by member. */
    public List<Network> networks() {
        return networks;
    }

    public List<Group> groups() {
        return groups;
    }

    /** The network of the next session: the one furthest behind its share (smooth weighted round robin). */
    public synchronized Network next() {
        int best = 0;
        for (int i = 0; i < current.length; i++) {
            current[i] += networks.get(i).share();
            if (current[i] > current[best]) {
                best = i;
            }
        }
        current[best] -= 1;
        return networks.get(best);
    }

    /** A network's name in reports: the group's alone, or with the member's index. */
    public String name(Network network) {
        return network.name(groups.stream().filter(g -> g.name().equals(network.group())).findFirst()
                .orElseThrow().count() == 1);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (Group group : groups) {
            text.append(text.length() == 0 ? "" : ",").append(group.name()).append(':').append(group.count())
                    .append(':').append(BigDecimal.valueOf(group.percent()).stripTrailingZeros().toPlainString())
                    .append('%');
        }
        return text.toString();
    }

    private static IllegalArgumentException invalid(String part, String expected) {
        return new IllegalArgumentException("\"" + part + "\" (expected: " + expected + ")");
    }
}
