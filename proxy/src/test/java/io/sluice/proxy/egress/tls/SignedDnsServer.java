package io.sluice.proxy.egress.tls;

import io.sluice.proxy.egress.UdpDnsLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.DSRecord;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSECRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.Type;

/**
 * A recursive resolver as a validating stub sees one, on loopback UDP: it serves one DNSSEC-signed zone (an ECDSA
 * P-256 key, algorithm 13, signs every RRset when it is asked for, so records may be added at any time), with NSEC
 * denials of names and types, and any number of names outside it unsigned. The zone's DS record is the trust anchor
 * the tests configure. A signature can be spoiled for one RRset, so that its answer is bogus. Every question is
 * recorded.
 */
public final class SignedDnsServer implements AutoCloseable {

    private static final long TTL = 300;
    private static final long SOA_MINIMUM = 60;

    private final UdpDnsLoop loop;
    private final Name apex;
    private final KeyPair key;
    private final DNSKEYRecord dnskey;
    private final Map<Name, List<Record>> names = new ConcurrentHashMap<>();
    private final Set<String> spoiled = ConcurrentHashMap.newKeySet();
    private final Map<Name, Record> forgedMx = new ConcurrentHashMap<>();

    private SignedDnsServer(Name apex) throws GeneralSecurityException, DNSSEC.DNSSECException {
        this.apex = apex;
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        this.key = generator.generateKeyPair();
        this.dnskey = new DNSKEYRecord(apex, DClass.IN, TTL, DNSKEYRecord.Flags.ZONE_KEY | DNSKEYRecord.Flags.SEP_KEY,
                DNSKEYRecord.Protocol.DNSSEC, DNSSEC.Algorithm.ECDSAP256SHA256, key.getPublic());
        add(new SOARecord(apex, DClass.IN, TTL, name("ns." + apex), name("hostmaster." + apex), 1, 3600, 600,
                86400, SOA_MINIMUM));
        this.loop = new UdpDnsLoop("signed-test-dns", query -> answer(query, query.getQuestion()));
    }

    /** A server whose signed zone is {@code apex}, such as {@code example.test}. */
    public static SignedDnsServer start(String apex) {
        try {
            return new SignedDnsServer(name(apex));
        } catch (GeneralSecurityException | DNSSEC.DNSSECException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code host:port} of the server, as the configuration takes it. */
    public String hostPort() {
        return "127.0.0.1:" + loop.address().getPort();
    }

    public InetSocketAddress address() {
        return loop.address();
    }

    /** The signed zone's trust anchor, its DS record in zone-file form, as a trust-anchor file holds it. */
    public String trustAnchor() {
        return new DSRecord(apex, DClass.IN, TTL, DSRecord.Digest.SHA256, dnskey) + "\n";
    }

    public SignedDnsServer mx(String domain, int preference, String host) {
        return add(new MXRecord(name(domain), DClass.IN, TTL, preference, name(host)));
    }

    public SignedDnsServer address(String host, String literal) {
        try {
            return add(new ARecord(name(host), DClass.IN, TTL, InetAddress.getByName(literal)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A TXT record of one string, such as a domain's {@code _mta-sts} record. */
    public SignedDnsServer txt(String owner, String text) {
        try {
            return add(new org.xbill.DNS.TXTRecord(name(owner), DClass.IN, TTL, text));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A TLSA record of the host's SMTP port, {@code _25._tcp.<host>}. */
    public SignedDnsServer tlsa(String host, int usage, int selector, int matchingType, byte[] data) {
        return add(new TLSARecord(name("_25._tcp." + host), DClass.IN, TTL, usage, selector, matchingType, data));
    }

    /** From now on the RRset's signature does not verify: one byte of it is changed. */
    public SignedDnsServer spoil(String owner, int type) {
        spoiled.add(name(owner) + "/" + type);
        return this;
    }

    /**
     * The attacker's forgery on the path: a query without the DO bit for the domain's MX gets {@code host} as its only
     * MX, unsigned; a validating resolver (which asks with DO) still gets the signed RRset.
     */
    public SignedDnsServer forgePlainMx(String domain, String host) {
        forgedMx.put(name(domain), new MXRecord(name(domain), DClass.IN, TTL, 10, name(host)));
        return this;
    }

    /** Every question so far, as {@code name/TYPE}, such as {@code example.test./DNSKEY}. */
    public List<String> questions() {
        return loop.questions();
    }

    private SignedDnsServer add(Record record) {
        names.compute(record.getName(), (name, records) -> {
            List<Record> list = new ArrayList<>(records == null ? List.of() : records);
            list.add(record);
            return list;
        });
        return this;
    }

    private static Name name(String text) {
        return UdpDnsLoop.name(text);
    }

    private Message answer(Message query, Record question) {
        Message response = UdpDnsLoop.response(query, question);
        OPTRecord opt = query.getOPT();
        boolean dnssec = opt != null && (opt.getFlags() & ExtendedFlags.DO) != 0;
        if (opt != null) {
            response.addRecord(new OPTRecord(1232, 0, 0, dnssec ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        }
        Name qname = question.getName();
        Record forged = forgedMx.get(qname);
        if (!dnssec && forged != null && question.getType() == Type.MX) {
            response.addRecord(forged, Section.ANSWER);
            return response;
        }
        boolean signed = qname.subdomain(apex);
        List<Record> matching = new ArrayList<>();
        if (signed && qname.equals(apex) && question.getType() == Type.DNSKEY) {
            matching.add(dnskey);
        }
        for (Record record : names.getOrDefault(qname, List.of())) {
            if (record.getType() == question.getType()) {
                matching.add(record);
            }
        }
        if (!matching.isEmpty()) {
            addRRset(response, Section.ANSWER, matching, signed && dnssec);
            return response;
        }
        if (!signed) {
            if (!names.containsKey(qname)) {
                response.getHeader().setRcode(Rcode.NXDOMAIN);
            }
            return response;
        }
        // Negative answers of the signed zone: its SOA and the NSEC records that prove them (RFC 4035 §3.1.3).
        TreeMap<Name, NSECRecord> chain = nsecChain();
        Set<NSECRecord> proofs = new TreeSet<>();
        if (exists(qname)) {
            proofs.add(chain.containsKey(qname) ? chain.get(qname) : chain.floorEntry(qname).getValue());
        } else {
            response.getHeader().setRcode(Rcode.NXDOMAIN);
            proofs.add(chain.floorEntry(qname).getValue());
            Name encloser = qname;
            while (!exists(encloser)) {
                encloser = new Name(encloser, 1);
            }
            try {
                proofs.add(chain.floorEntry(Name.concatenate(Name.fromConstantString("*"), encloser)).getValue());
            } catch (org.xbill.DNS.NameTooLongException e) {
                throw new IllegalStateException(e);
            }
        }
        addRRset(response, Section.AUTHORITY, names.get(apex).stream()
                .filter(record -> record.getType() == Type.SOA).toList(), dnssec);
        if (dnssec) {
            for (NSECRecord nsec : proofs) {
                addRRset(response, Section.AUTHORITY, List.of(nsec), true);
            }
        }
        return response;
    }

    /** Whether the name has records or names below it (an empty non-terminal), or is the apex. */
    private boolean exists(Name name) {
        if (name.equals(apex) || names.containsKey(name)) {
            return true;
        }
        for (Name owner : names.keySet()) {
            if (owner.subdomain(name)) {
                return true;
            }
        }
        return false;
    }

    /** The zone's NSEC records, by owner in canonical order, each naming the next owner (RFC 4034 §4). */
    private TreeMap<Name, NSECRecord> nsecChain() {
        TreeSet<Name> owners = new TreeSet<>();
        owners.add(apex);
        for (Name owner : names.keySet()) {
            if (owner.subdomain(apex)) {
                owners.add(owner);
            }
        }
        TreeMap<Name, NSECRecord> chain = new TreeMap<>();
        for (Name owner : owners) {
            Name next = owners.higher(owner);
            TreeSet<Integer> types = new TreeSet<>(List.of(Type.RRSIG, Type.NSEC));
            if (owner.equals(apex)) {
                types.add(Type.DNSKEY);
            }
            names.getOrDefault(owner, List.of()).forEach(record -> types.add(record.getType()));
            chain.put(owner, new NSECRecord(owner, DClass.IN, SOA_MINIMUM, next == null ? apex : next,
                    types.stream().mapToInt(Integer::intValue).toArray()));
        }
        return chain;
    }

    private void addRRset(Message response, int section, List<Record> records, boolean sign) {
        records.forEach(record -> response.addRecord(record, section));
        if (sign) {
            response.addRecord(signature(new RRset(records)), section);
        }
    }

    private RRSIGRecord signature(RRset rrset) {
        Instant now = Instant.now();
        try {
            RRSIGRecord signature = DNSSEC.sign(rrset, dnskey, key.getPrivate(), now.minus(Duration.ofHours(1)),
                    now.plus(Duration.ofDays(1)));
            if (!spoiled.contains(rrset.getName() + "/" + rrset.getType())) {
                return signature;
            }
            byte[] bytes = signature.getSignature();
            bytes[bytes.length / 2] ^= 1;
            return new RRSIGRecord(signature.getName(), signature.getDClass(), signature.getTTL(),
                    signature.getTypeCovered(), signature.getAlgorithm(), signature.getOrigTTL(),
                    signature.getExpire(), signature.getTimeSigned(), signature.getFootprint(), signature.getSigner(),
                    bytes);
        } catch (DNSSEC.DNSSECException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        loop.close();
    }
}
