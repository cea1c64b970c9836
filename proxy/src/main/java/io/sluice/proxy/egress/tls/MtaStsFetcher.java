package io.sluice.proxy.egress.tls;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.sluice.config.MtaStsConfig;
import io.sluice.proxy.smtp.SmtpClientConnection;
import java.io.ByteArrayOutputStream;
import java.net.IDN;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLException;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Finds a destination's MTA-STS policy as RFC 8461 §3 says: the id of the {@code _mta-sts} TXT record, and the policy
 * itself from {@code https://mta-sts.<domain>/.well-known/mta-sts.txt}. The policy host is resolved with the egress
 * resolvers (absolute names, never the host's search list), must not be a forbidden destination, must present a
 * certificate valid for its name from the trusted authorities, answer 200 with {@code text/plain} and no more than
 * the size limit (counted as it arrives), all within the fetch timeout; a redirect is not followed (§3.3). The
 * exchange itself is {@link HttpsExchange}'s.
 */
final class MtaStsFetcher {

    static final String PATH = "/.well-known/mta-sts.txt";

    private final Resolver dns;
    private final HttpsExchange https;
    private final MtaStsConfig config;

    MtaStsFetcher(Resolver dns, HttpsExchange https, MtaStsConfig config) {
        this.dns = dns;
        this.https = https;
        this.config = config;
    }

    /** What the TXT lookup gave: the policy id, none (no policy published), or a failure to learn it for now. */
    record TxtAnswer(String id, boolean failed) {
        static final TxtAnswer NONE = new TxtAnswer(null, false);
        static final TxtAnswer FAILED = new TxtAnswer(null, true);
    }

    /** Why no policy came from the policy host. */
    static final class FetchException extends Exception {
        private final TlsResult result;

        FetchException(TlsResult result, String message) {
            super(message);
            this.result = result;
        }

        FetchException(TlsResult result, String message, Throwable cause) {
            super(message, cause);
            this.result = result;
        }

        /** {@code sts-policy-fetch-error}, {@code sts-policy-invalid} or {@code sts-webpki-invalid}. */
        TlsResult result() {
            return result;
        }
    }

    /** The id of the domain's {@code _mta-sts} TXT record (RFC 8461 §3.1); never completes exceptionally. */
    CompletableFuture<TxtAnswer> txt(String domain) {
        Name name;
        try {
            name = Name.fromString("_mta-sts." + ascii(domain), Name.root);
        } catch (TextParseException | IllegalArgumentException e) {
            return CompletableFuture.completedFuture(TxtAnswer.NONE);
        }
        return query(name, Type.TXT).thenApply(response -> {
            int rcode = response.getRcode();
            if (rcode == Rcode.NXDOMAIN) {
                return TxtAnswer.NONE;
            }
            if (rcode != Rcode.NOERROR) {
                return TxtAnswer.FAILED;
            }
            List<String> records = new ArrayList<>();
            for (Record record : response.getSection(Section.ANSWER)) {
                if (record instanceof TXTRecord txt) {
                    // A record's strings are one text (RFC 7208 §3.3 reads them the same way).
                    records.add(String.join("", txt.getStrings()));
                }
            }
            return new TxtAnswer(MtaStsRecord.id(records).orElse(null), false);
        }).exceptionally(error -> TxtAnswer.FAILED);
    }

    /** The policy body as the policy host serves it; fails with a {@link FetchException}. */
    CompletableFuture<String> fetch(String domain) {
        String host;
        Name name;
        try {
            String absolute = "mta-sts." + ascii(domain);
            // The name without its final dot for SNI, the certificate check and the Host header.
            host = absolute.substring(0, absolute.length() - 1);
            name = Name.fromString(absolute, Name.root);
        } catch (TextParseException | IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new FetchException(TlsResult.STS_POLICY_FETCH_ERROR,
                    "invalid domain " + MtaStsPolicy.printable(domain)));
        }
        return addresses(dns, name).thenCompose(addresses -> get(host, addresses));
    }

    private CompletableFuture<String> get(String host, List<InetAddress> addresses) {
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, PATH);
        request.headers().set(HttpHeaderNames.HOST, host)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                .set(HttpHeaderNames.ACCEPT, "text/plain");
        return https.send(host, addresses, config.httpsPort(), config.fetchTimeout(), request,
                result -> new PolicyBody(host, config.maxPolicySize(), result),
                (message, cause) -> new FetchException(TlsResult.STS_POLICY_FETCH_ERROR, message, cause));
    }

    private CompletableFuture<Message> query(Name name, int type) {
        return query(dns, name, type);
    }

    private static CompletableFuture<Message> query(Resolver dns, Name name, int type) {
        return dns.sendAsync(Message.newQuery(Record.newRecord(name, type, DClass.IN))).toCompletableFuture();
    }

    /** The IPv4 and IPv6 addresses of the name, with the resolver given; empty where it has none or DNS fails. */
    static CompletableFuture<List<InetAddress>> addresses(Resolver dns, Name name) {
        CompletableFuture<Message> v4 = query(dns, name, Type.A);
        CompletableFuture<Message> v6 = query(dns, name, Type.AAAA);
        return v4.handle((a, error) -> a).thenCombine(v6.handle((aaaa, error) -> aaaa), (a, aaaa) -> {
            List<InetAddress> addresses = new ArrayList<>();
            for (Message response : new Message[] {a, aaaa}) {
                if (response == null) {
                    continue;
                }
                for (Record record : response.getSection(Section.ANSWER)) {
                    if (record instanceof ARecord address) {
                        addresses.add(address.getAddress());
                    } else if (record instanceof AAAARecord address) {
                        addresses.add(address.getAddress());
                    }
                }
            }
            return addresses;
        });
    }

    private static String ascii(String domain) {
        String name = IDN.toASCII(domain, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        return name.endsWith(".") ? name : name + ".";
    }

    /** Reads the response: 200, text/plain, at most {@code limit} bytes, counted as they come. */
    private static final class PolicyBody extends SimpleChannelInboundHandler<HttpObject> {
        private final String host;
        private final int limit;
        private final CompletableFuture<String> result;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private boolean accepted;

        PolicyBody(String host, int limit, CompletableFuture<String> result) {
            this.host = host;
            this.limit = limit;
            this.result = result;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
            if (result.isDone()) {
                return;
            }
            if (message instanceof HttpResponse response && !response(response)) {
                return;
            }
            if (message instanceof HttpContent content && accepted) {
                ByteBuf bytes = content.content();
                if (body.size() + bytes.readableBytes() > limit) {
                    fail(TlsResult.STS_POLICY_INVALID, host + " sent a policy larger than " + limit + " bytes");
                    return;
                }
                byte[] chunk = new byte[bytes.readableBytes()];
                bytes.readBytes(chunk);
                body.writeBytes(chunk);
                if (message instanceof LastHttpContent) {
                    try {
                        result.complete(StandardCharsets.UTF_8.newDecoder()
                                .onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT)
                                .decode(ByteBuffer.wrap(body.toByteArray())).toString());
                    } catch (CharacterCodingException e) {
                        fail(TlsResult.STS_POLICY_INVALID, host + " sent a policy that is not UTF-8");
                    }
                }
            }
        }

        private boolean response(HttpResponse response) {
            int status = response.status().code();
            if (status != 200) {
                // RFC 8461 §3.3: a redirect is not followed; any other answer than 200 is no policy.
                String location = response.headers().get(HttpHeaderNames.LOCATION);
                fail(TlsResult.STS_POLICY_FETCH_ERROR, host + " answered " + status
                        + (location != null && status / 100 == 3 ? ", a redirect (not followed)" : ""));
                return false;
            }
            String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
            String media = type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
            if (!media.equals("text/plain")) {
                fail(TlsResult.STS_POLICY_INVALID, host + " sent the policy as \""
                        + MtaStsPolicy.printable(type == null ? "" : type) + "\" (expected: text/plain)");
                return false;
            }
            if (HttpUtil.getContentLength(response, -1L) > limit) {
                fail(TlsResult.STS_POLICY_INVALID, host + " announced a policy larger than " + limit + " bytes");
                return false;
            }
            accepted = true;
            return true;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
                fail(TlsResult.STS_WEBPKI_INVALID, host + " failed the TLS handshake or its certificate check: "
                        + SmtpClientConnection.rootMessage(handshake.cause()));
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(TlsResult.STS_POLICY_FETCH_ERROR, host + " closed the connection before the policy's end");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Throwable root = cause;
            while (root.getCause() != null && root.getCause() != root && !(root instanceof SSLException)) {
                root = root.getCause();
            }
            if (root instanceof SSLException) {
                fail(TlsResult.STS_WEBPKI_INVALID, host + " failed the TLS handshake or its certificate check: "
                        + root.getMessage());
            } else {
                fail(TlsResult.STS_POLICY_FETCH_ERROR, host + ": " + cause);
            }
            ctx.close();
        }

        private void fail(TlsResult why, String message) {
            result.completeExceptionally(new FetchException(why, message));
        }
    }
}
