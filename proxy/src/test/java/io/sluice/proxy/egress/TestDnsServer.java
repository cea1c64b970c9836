package io.sluice.proxy.egress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Section;

/**
 * A recursive resolver as far as Sluice can tell, on loopback UDP, answering from a zone kept in memory: MX, A
 * and AAAA records, NXDOMAIN, SERVFAIL, or silence. Names it holds nothing for do not exist. Every question is
 * recorded, so tests can see what was asked (absolute names only, and how often).
 */
public final class TestDnsServer implements AutoCloseable {

    private enum Fault { NONE, SERVFAIL, SILENCE }

    private record Entry(List<Record> records, Fault fault) {}

    private static final long SOA_MINIMUM = 60;

    private final UdpDnsLoop loop;
    private final Map<Name, Entry> zone = new ConcurrentHashMap<>();

    private TestDnsServer() {
        this.loop = new UdpDnsLoop("test-dns", query -> answer(query, query.getQuestion()));
    }

    public static TestDnsServer start() {
        return new TestDnsServer();
    }

    public InetSocketAddress address() {
        return loop.address();
    }

    /** {@code host:port} of the server, as the configuration takes it. */
    public String hostPort() {
        return "127.0.0.1:" + address().getPort();
    }

    /** Adds MX records: preference and host pairs, such as {@code mx(d, 300, 10, "a.d", 20, "b.d")}. */
    public TestDnsServer mx(String domain, long ttl, Object... preferenceAndHost) {
        for (int i = 0; i < preferenceAndHost.length; i += 2) {
            add(domain, new MXRecord(name(domain), DClass.IN, ttl, (Integer) preferenceAndHost[i],
                    name((String) preferenceAndHost[i + 1])));
        }
        return this;
    }

    /** Adds a TXT record of the strings given (one record, split into strings as DNS allows). */
    public TestDnsServer txt(String name, long ttl, String... strings) {
        return add(name, new TXTRecord(name(name), DClass.IN, ttl, java.util.Arrays.asList(strings)));
    }

    /** RFC 7505: {@code MX 0 .}. */
    public TestDnsServer nullMx(String domain, long ttl) {
        return add(domain, new MXRecord(name(domain), DClass.IN, ttl, 0, Name.root));
    }

    /** Adds A or AAAA records, by the literals given. */
    public TestDnsServer address(String host, long ttl, String... literals) {
        for (String literal : literals) {
            try {
                InetAddress address = InetAddress.getByName(literal);
                add(host, address.getAddress().length == 4
                        ? new ARecord(name(host), DClass.IN, ttl, address)
                        : new AAAARecord(name(host), DClass.IN, ttl, address));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return this;
    }

    /**
     * Adds an AAAA record of the 16 bytes as given: an IPv4-mapped address such as {@code ::ffff:127.0.0.1} stays an
     * AAAA record, which {@link #address} would turn into an A record as the JDK reads the literal as IPv4.
     */
    public TestDnsServer aaaa(String host, long ttl, byte[] sixteenBytes) {
        try {
            return add(host, new AAAARecord(name(host), DClass.IN, ttl,
                    java.net.Inet6Address.getByAddress(null, sixteenBytes, -1)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The name exists but has no records (every question gets NOERROR and no answer). */
    public TestDnsServer exists(String name) {
        zone.putIfAbsent(name(name), new Entry(List.of(), Fault.NONE));
        return this;
    }

    public TestDnsServer servfail(String name) {
        zone.put(name(name), new Entry(List.of(), Fault.SERVFAIL));
        return this;
    }

    /** Questions about the name are never answered. */
    public TestDnsServer silence(String name) {
        zone.put(name(name), new Entry(List.of(), Fault.SILENCE));
        return this;
    }

    /** Forgets everything about the name: it does not exist any more. */
    public TestDnsServer remove(String name) {
        zone.remove(name(name));
        return this;
    }

    /** Every question so far, as {@code name/TYPE} with the name absolute, such as {@code example.com./MX}. */
    public List<String> questions() {
        return loop.questions();
    }

    private TestDnsServer add(String name, Record record) {
        zone.compute(name(name), (key, entry) -> {
            List<Record> records = new ArrayList<>(entry == null ? List.of() : entry.records());
            records.add(record);
            return new Entry(records, Fault.NONE);
        });
        return this;
    }

    private static Name name(String text) {
        return UdpDnsLoop.name(text);
    }

    private Message answer(Message query, Record question) {
        Message response = UdpDnsLoop.response(query, question);
        Entry entry = zone.get(question.getName());
        if (entry == null) {
            response.getHeader().setRcode(Rcode.NXDOMAIN);
            response.addRecord(soa(question.getName()), Section.AUTHORITY);
            return response;
        }
        switch (entry.fault()) {
            case SILENCE -> {
                return null;
            }
            case SERVFAIL -> {
                response.getHeader().setRcode(Rcode.SERVFAIL);
                return response;
            }
            case NONE -> { }
        }
        boolean any = false;
        for (Record record : entry.records()) {
            if (record.getType() == question.getType()) {
                response.addRecord(record, Section.ANSWER);
                any = true;
            }
        }
        if (!any) {
            response.addRecord(soa(question.getName()), Section.AUTHORITY);
        }
        return response;
    }

    private static SOARecord soa(Name name) {
        return new SOARecord(name, DClass.IN, SOA_MINIMUM, name("ns.test"), name("hostmaster.test"), 1, 3600,
                600, 86400, SOA_MINIMUM);
    }

    /** The SOA minimum this server gives with negative answers: how long they may be cached. */
    public static long negativeTtl() {
        return SOA_MINIMUM;
    }

    @Override
    public void close() {
        loop.close();
    }
}
