import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Temporary files and their commit (SPEC §3.6): `.sft-partial-<32 hex>` created with
 * CREATE_NEW and mode 0600 in the destination directory, fsync, link to the final name
 * (fails if it exists: never a replace), unlink, fsync the directory. Temporaries still
 * registered at exit (SIGTERM, SIGINT run the shutdown hooks) are removed.
 */
final class Storage {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : LIVE) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort at exit
                }
            }
        }, "remove-temporaries"));
    }

    /** A temporary file being written. */
    static final class Temp implements AutoCloseable {
        final Path path;
        final FileChannel channel;
        Temp(Path path, FileChannel channel) { this.path = path; this.channel = channel; }

        /** Removes the temporary file (any failure path). */
        void discard() {
            try {
                channel.close();
            } catch (IOException e) {
                // closing a file we are deleting
            }
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                System.err.println("pki4: cannot remove " + path + ": " + e.getMessage());
            }
            LIVE.remove(path);
        }

        @Override public void close() { discard(); }
    }

    static Temp create(Path dir, boolean world0644) throws IOException {
        byte[] r = new byte[16];
        RANDOM.nextBytes(r);
        Path p = dir.resolve(Names.PARTIAL_PREFIX + HexFormat.of().formatHex(r));
        FileChannel ch;
        if (world0644) {
            if (Files.exists(p)) throw new FileAlreadyExistsException(p.toString());
            ch = new FileOutputStream(p.toFile()).getChannel();
        } else {
            ch = FileChannel.open(p, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        LIVE.add(p);
        return new Temp(p, ch);
    }

    /** The fault r12_client_writes_final: the "temporary" is the final name itself. */
    static Temp createFinal(Path fin, boolean replace) throws IOException {
        EnumSet<StandardOpenOption> how = replace
                ? EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)
                : EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileChannel ch = FileChannel.open(fin, how,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        LIVE.add(fin);
        return new Temp(fin, ch);
    }

    /** The fault r12_client_writes_final: the data is already in place. */
    static void keepInPlace(Temp t) throws IOException {
        t.channel.force(true);
        t.channel.close();
        LIVE.remove(t.path);
    }

    /** A temporary in java.io.tmpdir (the fault client_temp_in_java_tmpdir). */
    static Temp createInJavaTmpdir() throws IOException {
        Path p = Files.createTempFile("sft-get-", ".part");
        LIVE.add(p);
        return new Temp(p, FileChannel.open(p, StandardOpenOption.WRITE));
    }

    /**
     * fsync, then link to FINAL (FileAlreadyExistsException if it exists), unlink the
     * temporary, fsync the directory. REPLACE: the user asked to overwrite (a get with
     * --force), or the fault put_replaces.
     */
    static void commit(Temp t, Path fin, boolean replace) throws IOException {
        t.channel.force(true);
        t.channel.close();
        if (replace) {
            Files.move(t.path, fin, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } else if (!t.path.getParent().equals(fin.getParent())) {
            // a temporary outside the destination (the fault): move, no replace
            Files.move(t.path, fin);
        } else {
            Files.createLink(fin, t.path);
            Files.delete(t.path);
        }
        LIVE.remove(t.path);
        syncDirectory(fin.getParent());
    }

    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /**
     * Removes `.sft-partial-*` files in DIR untouched for longer than OLDER_THAN_MS
     * (0: all of them: a responder owns its inbox).
     */
    static void sweep(Path dir, long olderThanMs) {
        long now = System.currentTimeMillis();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, Names.PARTIAL_PREFIX + "*")) {
            for (Path p : ds) {
                try {
                    FileTime m = Files.getLastModifiedTime(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    if (olderThanMs == 0 || now - m.toMillis() > olderThanMs) Files.deleteIfExists(p);
                } catch (IOException e) {
                    // another process may have removed it
                }
            }
        } catch (IOException e) {
            System.err.println("pki4: cannot sweep " + dir + ": " + e.getMessage());
        }
    }

    private Storage() {}
}
