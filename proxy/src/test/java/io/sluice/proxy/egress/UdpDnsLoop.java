package io.sluice.proxy.egress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The UDP side of the tests' DNS servers, on loopback: receives each query on a thread of its own, records the
 * question, and sends the answer given (none for null), as large as the query's EDNS payload size allows.
 */
public final class UdpDnsLoop implements AutoCloseable {

    private final DatagramSocket socket;
    private final Function<Message, Message> answers;
    private final List<String> questions = Collections.synchronizedList(new ArrayList<>());
    private final Thread thread;

    public UdpDnsLoop(String name, Function<Message, Message> answers) {
        try {
            this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.answers = answers;
        this.thread = new Thread(this::serve, name);
        thread.setDaemon(true);
        thread.start();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Every question so far, as {@code name/TYPE} with the name absolute, such as {@code example.com./MX}. */
    public List<String> questions() {
        synchronized (questions) {
            return List.copyOf(questions);
        }
    }

    private void serve() {
        byte[] buffer = new byte[4096];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
                Message query = new Message(Arrays.copyOf(packet.getData(), packet.getLength()));
                Record question = query.getQuestion();
                questions.add(question.getName() + "/" + Type.string(question.getType()));
                Message response = answers.apply(query);
                if (response != null) {
                    OPTRecord opt = query.getOPT();
                    byte[] wire = response.toWire(opt == null ? 512 : Math.max(512, opt.getPayloadSize()));
                    socket.send(new DatagramPacket(wire, wire.length, packet.getSocketAddress()));
                }
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An absolute name; a test's own text that does not parse is its mistake. */
    public static Name name(String text) {
        try {
            return Name.fromString(text, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    /** An empty recursive server's response to the query: its id, QR, RD and RA, and the question. */
    public static Message response(Message query, Record question) {
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.RD);
        response.getHeader().setFlag(Flags.RA);
        response.addRecord(question, Section.QUESTION);
        return response;
    }
}
