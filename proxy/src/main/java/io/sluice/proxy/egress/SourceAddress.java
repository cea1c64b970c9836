package io.sluice.proxy.egress;

import io.sluice.config.EgressSource;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One source address of an egress pool with its HELO name, and whether it is suspended right now, for every
 * destination or for some sites.
 */
public final class SourceAddress {

    private final EgressSource config;
    private final AtomicBoolean suspended = new AtomicBoolean();
    private final Set<String> suspendedSites = ConcurrentHashMap.newKeySet();

    SourceAddress(EgressSource config) {
        this.config = config;
    }

    public InetAddress address() {
        return config.address();
    }

    public String helo() {
        return config.helo();
    }

    public boolean suspended() {
        return suspended.get();
    }

    /** Whether the source may not send to the site now: suspended for every destination, or for that site. */
    public boolean suspendedFor(String site) {
        return suspended.get() || (!suspendedSites.isEmpty() && suspendedSites.contains(site));
    }

    /** How many sites the source is suspended for, without a copy of them. */
    public int suspendedSiteCount() {
        return suspendedSites.size();
    }

    /** True when the state for the site changed. */
    boolean suspend(String site, boolean value) {
        return value ? suspendedSites.add(site) : suspendedSites.remove(site);
    }

    /** Whether the source can reach the address: IPv4 binds reach IPv4 only, IPv6 binds IPv6 only. */
    boolean reaches(InetAddress remote) {
        return (address() instanceof Inet4Address) == (remote instanceof Inet4Address);
    }

    /** True when the state changed. */
    boolean suspend(boolean value) {
        return suspended.getAndSet(value) != value;
    }

    @Override
    public String toString() {
        return config.text();
    }
}
