package org.example.audiopipeline.nifi;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Verifies passwords against "pbkdf2-sha256$iterations$salt$hash" (base64 salt and hash), the form
 * pipelinectl/nifi/security.py writes with Python's hashlib.pbkdf2_hmac. PBKDF2 ships with the
 * JDK, so the login needs no third-party hashing library.
 */
final class PasswordHash {
    private static final String PREFIX = "pbkdf2-sha256";

    private final int iterations;
    private final byte[] salt;
    private final byte[] hash;

    PasswordHash(final String encoded) {
        final String[] parts = encoded.split("\\$");
        if (parts.length != 4 || !PREFIX.equals(parts[0])) {
            throw new IllegalArgumentException("password hash must look like " + PREFIX + "$iterations$salt$hash");
        }
        this.iterations = Integer.parseInt(parts[1]);
        this.salt = Base64.getDecoder().decode(parts[2]);
        this.hash = Base64.getDecoder().decode(parts[3]);
    }

    boolean matches(final String password) {
        try {
            final PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, hash.length * 8);
            final byte[] candidate = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            return MessageDigest.isEqual(candidate, hash);
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 unavailable", e);
        }
    }

    static boolean sameUser(final String a, final String b) {
        return a != null && b != null
                && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
