import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;

/**
 * Names (SPEC §3.5) and the share. A get walks the name component by component with
 * SecureDirectoryStream (openat relative to the directory just opened, O_NOFOLLOW): a
 * symbolic link anywhere is refused with `forbidden` (even one that stays inside: our
 * choice, APP-NAME-4 allows it), so a link swapped in between the check and the open is
 * never followed (APP-NAME-5).
 */
final class Names {
    static final String PARTIAL_PREFIX = ".sft-partial-";

    /** The outcome of a refused name or a failed lookup: the EROR code to send. */
    static final class Refused extends Exception {
        final int code;
        Refused(int code, String why) { super(why); this.code = code; }
    }

    /** APP-NAME-1/2/8: returns normally when the name is acceptable. */
    static void check(String name) throws Refused {
        if (Faults.on("names_normalized")) {
            name = Path.of(name).normalize().toString();
        }
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        // r16_name_length_in_chars: the bound counted in UTF-16 chars (String.length())
        int total = Faults.on("r16_name_length_in_chars") ? name.length() : utf8.length;
        if (utf8.length == 0 || total > 4096) throw new Refused(Frames.FORBIDDEN, "bad name length");
        if (name.startsWith("/")) throw new Refused(Frames.FORBIDDEN, "absolute name");
        if (Faults.on("r16_drive_letter_assert")) {
            // "cannot happen on a POSIX share": an assert, gone without -ea
            assert !(name.length() >= 2 && name.charAt(1) == ':' && isAsciiLetter(name.charAt(0))) : "drive letter";
        } else if (name.length() >= 2 && name.charAt(1) == ':' && isAsciiLetter(name.charAt(0))) {
            throw new Refused(Frames.FORBIDDEN, "drive letter");
        }
        for (int k = 0; k < name.length(); k++) {
            char c = name.charAt(k);
            if (c < 0x20 || c == 0x7f || c == '\\') throw new Refused(Frames.FORBIDDEN, "control or backslash");
            if (!Faults.on("c1_controls_allowed") && c >= 0x80 && c <= 0x9f) {
                throw new Refused(Frames.FORBIDDEN, "C1 control");
            }
            boolean isolate = c >= 0x2066 && c <= 0x2069 && !Faults.on("r12_bidi_isolates");
            if ((c >= 0x202a && c <= 0x202e) || isolate) {
                throw new Refused(Frames.FORBIDDEN, "bidirectional formatting");
            }
        }
        for (String part : name.split("/", -1)) {
            int n = part.getBytes(StandardCharsets.UTF_8).length;
            boolean dot = part.equals(".") && !Faults.on("r12_dot_component");
            if (n == 0 || n > 255 || dot || part.equals("..")) {
                throw new Refused(Frames.FORBIDDEN, "bad component");
            }
        }
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    static String basename(String name) {
        int slash = name.lastIndexOf('/');
        return slash < 0 ? name : name.substring(slash + 1);
    }

    /** An opened file of the share and its size. */
    static final class Opened implements AutoCloseable {
        final SeekableByteChannel channel;
        final long size;
        Opened(SeekableByteChannel channel, long size) { this.channel = channel; this.size = size; }
        @Override public void close() throws IOException { channel.close(); }
    }

    /** Opens NAME (already checked) inside SHARE without ever following a link. */
    static Opened open(Path share, String name) throws Refused, IOException {
        if (Faults.on("names_normalized")) name = Path.of(name).normalize().toString();
        if (Faults.on("symlinks_followed")) return openFollowing(share, name);
        if (Faults.on("realpath_then_open")) return openAfterRealPath(share, name);
        String[] parts = name.split("/");
        DirectoryStream<Path> top = Files.newDirectoryStream(share);
        if (!(top instanceof SecureDirectoryStream)) {
            top.close();
            throw new IOException("no SecureDirectoryStream on this platform");
        }
        SecureDirectoryStream<Path> dir = (SecureDirectoryStream<Path>) top;
        try {
            for (int k = 0; k < parts.length; k++) {
                Path part = Path.of(parts[k]);
                BasicFileAttributes a;
                try {
                    a = dir.getFileAttributeView(part, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .readAttributes();
                } catch (NoSuchFileException e) {
                    throw new Refused(Frames.NOT_FOUND, "no such file");
                }
                if (a.isSymbolicLink()) throw new Refused(Frames.FORBIDDEN, "symbolic link");
                boolean last = k == parts.length - 1;
                if (!last) {
                    if (!a.isDirectory()) throw new Refused(Frames.NOT_FOUND, "no such file");
                    SecureDirectoryStream<Path> next;
                    try {
                        next = dir.newDirectoryStream(part, LinkOption.NOFOLLOW_LINKS);
                    } catch (IOException e) {
                        // swapped for a link or a file since we looked: refuse, never follow
                        throw new Refused(Frames.FORBIDDEN, "changed during lookup");
                    }
                    dir.close();
                    dir = next;
                    continue;
                }
                if (!a.isRegularFile()) throw new Refused(Frames.NOT_FOUND, "not a regular file");
                SeekableByteChannel ch;
                try {
                    ch = dir.newByteChannel(part, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
                } catch (IOException e) {
                    throw new Refused(Frames.FORBIDDEN, "changed during lookup");
                }
                BasicFileAttributes again = dir.getFileAttributeView(part, BasicFileAttributeView.class,
                        LinkOption.NOFOLLOW_LINKS).readAttributes();
                if (!again.isRegularFile() || !again.fileKey().equals(a.fileKey())) {
                    ch.close();
                    throw new Refused(Frames.FORBIDDEN, "changed during lookup");
                }
                return new Opened(ch, ch.size());
            }
            throw new Refused(Frames.NOT_FOUND, "empty name");
        } finally {
            dir.close();
        }
    }

    /** The fault: what a hurried team writes. */
    private static Opened openFollowing(Path share, String name) throws Refused, IOException {
        Path p = share.resolve(name);
        if (!Files.exists(p)) throw new Refused(Frames.NOT_FOUND, "no such file");
        if (!Files.isRegularFile(p)) throw new Refused(Frames.NOT_FOUND, "not a regular file");
        SeekableByteChannel ch = Files.newByteChannel(p, StandardOpenOption.READ);
        return new Opened(ch, ch.size());
    }

    /** The fault realpath_then_open: checked by path, then opened by path. */
    private static Opened openAfterRealPath(Path share, String name) throws Refused, IOException {
        Path p = share.resolve(name);
        Path real;
        try {
            real = p.toRealPath();
        } catch (NoSuchFileException e) {
            throw new Refused(Frames.NOT_FOUND, "no such file");
        }
        if (!real.startsWith(share.toRealPath())) throw new Refused(Frames.FORBIDDEN, "outside the share");
        if (!Files.isRegularFile(real)) throw new Refused(Frames.NOT_FOUND, "not a regular file");
        SeekableByteChannel ch = Files.newByteChannel(p, StandardOpenOption.READ);
        return new Opened(ch, ch.size());
    }

    private Names() {}
}
